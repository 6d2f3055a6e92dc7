import { z } from 'zod';
import { SEVERITY_LEVELS, type SettingMetadata } from '../../shared/contract.ts';
import { levelTemplatesSchema, sourcesSchema } from './sources/source.ts';
import { DEFAULT_TARGET, targetNames } from './targets.ts';

const port = z.coerce.number({ error: 'must be a port number' }).int('must be a whole number').min(0, 'must be between 0 and 65535').max(65535, 'must be between 0 and 65535');

const optionalSecret = z
  .string()
  .trim()
  .optional()
  .transform((value) => value || undefined);

const integrationKey = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{8,200}$/, 'does not look like an ilert integration key (letters and digits, like il1api…)');

const optionalHttpUrl = (hint: string) =>
  z
    .url({ protocol: /^https?$/, error: hint })
    .optional()
    .or(z.literal('').transform(() => undefined));

/**
 * A link into a web app with `{id}` where the id goes. ilert's and Level's web-app URLs are not in
 * their public API documentation, so the technician pastes one from the browser instead of the
 * relay guessing it; https only, since the desktop app opens it in the system browser.
 */
const optionalLinkTemplate = (page: string) =>
  z
    .string()
    .trim()
    .refine((value) => value.startsWith('https://') && value.includes('{id}') && URL.canParse(value.replaceAll('{id}', '1')), {
      error: `must be an https link with {id} where the id goes: copy the address of ${page} and put {id} in place of its id`,
    })
    .optional()
    .or(z.literal('').transform(() => undefined));

/** The longest hold-down or resolve grace: past a day, holding a page back is no longer about flapping. */
export const MAX_FLAP_SECONDS = 86_400;

const flapSeconds = z.coerce
  .number({ error: 'must be a number of seconds' })
  .int('must be a whole number of seconds')
  .min(0, 'must be 0 (off) or more')
  .max(MAX_FLAP_SECONDS, `must be at most ${MAX_FLAP_SECONDS} seconds (a day)`)
  .default(0);

/** A named ilert alert source that Level groups can be routed to; `default` is the main key. */
export const ilertTargetSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'a target needs a name')
    .max(60, 'at most 60 characters')
    .refine((name) => name !== 'default', '"default" is the main integration key; choose another name'),
  integrationKey,
  /** This target's own summary and details for Level alerts; left out, the relay's default. */
  levelTemplates: levelTemplatesSchema.optional(),
});

/** However the audit's retention is set, it keeps at least this much history. */
export const AUDIT_RETENTION_FLOOR_DAYS = 90;

export const settingsSchema = z.object({
  host: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  port: port.default(8787),
  adminPort: port.default(8788),
  /** Where the admin door listens; beyond loopback it speaks HTTPS only (see admin/). */
  adminHost: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  /** Extra names the admin door answers to (its Host check and certificate), e.g. a Tailscale name. */
  adminHostNames: z
    .preprocess(
      (value) =>
        typeof value === 'string'
          ? value
              .split(',')
              .map((name) => name.trim())
              .filter(Boolean)
          : value,
      z.array(z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, 'must be host names like relay.example.ts.net, separated by commas')).max(20),
    )
    .default([]),
  levelWebhookSecret: optionalSecret,
  levelWebhookSecretPrevious: optionalSecret,
  ilertIntegrationKey: integrationKey.optional().or(z.literal('').transform(() => undefined)),
  /** Pass-through: forward Level's original body to ilert's native Level.io alert source at this URL. */
  ilertPassThroughUrl: optionalHttpUrl('must be the Level.io alert source URL from ilert, like https://api.ilert.com/api/v1/events/levelio/<key>'),
  /** A user API key, for reading alert sources and alert states back (optional). */
  ilertApiKey: optionalSecret,
  ilertTargets: z
    .array(ilertTargetSchema)
    .max(200)
    .refine((targets) => new Set(targets.map((target) => target.name)).size === targets.length, 'target names must be unique')
    .default([]),
  ilertApiUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL like https://api.ilert.com' })
    .transform((url) => url.replace(/\/+$/, ''))
    .default('https://api.ilert.com'),
  ilertHeartbeatUrl: optionalHttpUrl('must be the heartbeat URL from ilert, like https://beat.ilert.com/api/pings/<key>'),
  /** Shared secret for Level automations' HTTP request action, which cannot sign. */
  levelAutomationSecret: optionalSecret,
  levelApiUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL like https://api.level.io/v2' })
    .transform((url) => url.replace(/\/+$/, ''))
    .default('https://api.level.io/v2'),
  levelApiKey: optionalSecret,
  /** "Open in ilert" on an alert row: ilert's alert page, `{id}` being ilert's alert id. */
  ilertAlertLink: optionalLinkTemplate('an alert in ilert'),
  /** "Open in Level" on an alert row: Level's device page, `{id}` being Level's device id. */
  levelDeviceLink: optionalLinkTemplate('a device in Level'),
  /** Alerts from devices in no mapped group (nor under one): the default target, or not forwarded. */
  unmappedGroups: z.enum(['default', 'skip']).default('default'),
  /** The public HTTPS base URL Level calls (a tunnel or reverse proxy in front of the receiver). */
  publicUrl: optionalHttpUrl('must be the public base URL, like https://relay.example.com').transform((url) => url?.replace(/\/+$/, '')),
  tunnel: z.enum(['off', 'quick', 'named']).default('off'),
  /** A named Cloudflare tunnel's token; its URL is `publicUrl`. */
  cloudflaredToken: optionalSecret,
  cloudflaredPath: z.string().trim().min(1).default('cloudflared'),
  ilertEventsPerMinute: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(100_000, 'must be at most 100000')
    .default(50),
  highPrioritySeverities: z.array(z.enum(SEVERITY_LEVELS)).default(['critical', 'emergency']),
  /** Flapping (issue 22): send an ALERT only if it still fires this long after it came in; 0 = at once. A group route may override it. */
  holdDownSeconds: flapSeconds,
  /** Flapping (issue 22): a RESOLVE of an alert ilert has waits this long, so a quick refire becomes a comment; 0 = at once. A group route may override it. */
  resolveGraceSeconds: flapSeconds,
  retentionDays: z.coerce.number().int().min(1, 'must be at least 1 day').max(3650).default(30),
  /**
   * The audit has its own retention with a floor, so shortening the delivery log cannot erase who
   * did what; only the owner changes it (see `updateSettings`).
   */
  auditRetentionDays: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(AUDIT_RETENTION_FLOOR_DAYS, `must be at least ${AUDIT_RETENTION_FLOOR_DAYS} days`)
    .max(3650, 'must be at most 3650 days')
    .default(365),
  /** Health warns about a device in Level's maintenance mode for longer than this: Level never ends it by itself. */
  levelMaintenanceWarnHours: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1 hour')
    .max(24 * 90, 'must be at most 2160 hours (90 days)')
    .default(24),
  /** Sources other than Level (Particle, any JSON webhook), each at /webhooks/source/<slug>; their secrets stay out of the settings view. */
  sources: sourcesSchema,
  /** Replay with edits sends an event Level never sent: admins may, operators only when this allows it. */
  operatorsMayReplayWithEdits: z.boolean().default(false),
  // Desktop app only.
  notifyMinSeverity: z.enum(SEVERITY_LEVELS).default('warning'),
  notifyResolves: z.boolean().default(false),
  startAtLogin: z.boolean().default(false),
  checkForUpdates: z.boolean().default(true),
});

export type Settings = z.output<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;
export type SettingKey = keyof Settings;

/**
 * What there is to know about each setting, in one place: its label, the environment variable
 * that overrides the settings file (part of the public interface), whether it is a secret (never
 * logged, never sent to a UI in full, encrypted at rest on the desktop), whether a change waits
 * for a restart, and whether only the desktop app uses it. Served to the dashboard through the
 * contract (`getSettingsMetadata`).
 */
export const SETTINGS_METADATA = {
  host: { label: 'Receiver address', env: 'RELAY_HOST', restart: true },
  port: { label: 'Receiver port', env: 'RELAY_PORT', restart: true },
  adminPort: { label: 'Dashboard port', env: 'RELAY_ADMIN_PORT', restart: true },
  adminHost: { label: 'Dashboard address', env: 'RELAY_ADMIN_HOST', restart: true },
  adminHostNames: { label: 'Dashboard host names', env: 'RELAY_ADMIN_HOST_NAMES' },
  levelWebhookSecret: { label: 'Level webhook secret', env: 'LEVEL_WEBHOOK_SECRET', secret: true },
  levelWebhookSecretPrevious: { label: 'Previous webhook secret', env: 'LEVEL_WEBHOOK_SECRET_PREVIOUS', secret: true },
  ilertIntegrationKey: { label: 'ilert integration key', env: 'ILERT_INTEGRATION_KEY', secret: true },
  ilertPassThroughUrl: { label: 'ilert pass-through URL', env: 'ILERT_PASS_THROUGH_URL', secret: true },
  ilertApiKey: { label: 'ilert API key', env: 'ILERT_API_KEY', secret: true },
  ilertTargets: { label: 'ilert targets' },
  ilertApiUrl: { label: 'ilert API URL', env: 'ILERT_API_URL' },
  ilertHeartbeatUrl: { label: 'ilert heartbeat URL', env: 'ILERT_HEARTBEAT_URL', secret: true },
  levelAutomationSecret: { label: 'Level automation secret', env: 'LEVEL_AUTOMATION_SECRET', secret: true },
  levelApiUrl: { label: 'Level API URL', env: 'LEVEL_API_URL' },
  levelApiKey: { label: 'Level API key', env: 'LEVEL_API_KEY', secret: true },
  ilertAlertLink: { label: 'ilert alert link', env: 'ILERT_ALERT_LINK' },
  levelDeviceLink: { label: 'Level device link', env: 'LEVEL_DEVICE_LINK' },
  unmappedGroups: { label: 'Devices in unmapped groups' },
  publicUrl: { label: 'Public URL', env: 'RELAY_PUBLIC_URL' },
  tunnel: { label: 'Tunnel', env: 'RELAY_TUNNEL' },
  cloudflaredToken: { label: 'Named tunnel token', env: 'CLOUDFLARED_TOKEN', secret: true },
  cloudflaredPath: { label: 'cloudflared program', env: 'CLOUDFLARED_PATH' },
  ilertEventsPerMinute: { label: 'ilert events per minute', env: 'ILERT_EVENTS_PER_MINUTE' },
  highPrioritySeverities: { label: 'ilert priority HIGH for' },
  holdDownSeconds: { label: 'Hold-down (seconds)', env: 'RELAY_HOLD_DOWN_SECONDS' },
  resolveGraceSeconds: { label: 'Resolve grace (seconds)', env: 'RELAY_RESOLVE_GRACE_SECONDS' },
  retentionDays: { label: 'Keep history for (days)' },
  auditRetentionDays: { label: 'Keep the audit for (days)' },
  levelMaintenanceWarnHours: { label: 'Warn about Level maintenance mode after (hours)' },
  sources: { label: 'Other sources' },
  operatorsMayReplayWithEdits: { label: 'Operators may replay with edits' },
  notifyMinSeverity: { label: 'Notify from severity', desktopOnly: true },
  notifyResolves: { label: 'Notify when an alert resolves', desktopOnly: true },
  startAtLogin: { label: 'Start at login', desktopOnly: true },
  checkForUpdates: { label: 'Check for updates', desktopOnly: true },
} as const satisfies { [K in SettingKey]: { label: string; env?: string; secret?: true; restart?: true; desktopOnly?: true } };

type Metadata = typeof SETTINGS_METADATA;
type KeysWith<Flag extends string> = { [K in SettingKey]: Metadata[K] extends Record<Flag, true> ? K : never }[SettingKey];
const keysWith = <Flag extends 'secret' | 'restart'>(flag: Flag) =>
  (Object.keys(SETTINGS_METADATA) as SettingKey[]).filter((key) => (SETTINGS_METADATA[key] as Partial<Record<Flag, true>>)[flag]) as KeysWith<Flag>[];

/** The environment variables that override the settings file, each with its setting. */
export const ENVIRONMENT_OVERRIDES: Readonly<Record<string, SettingKey>> = Object.fromEntries(
  Object.entries(SETTINGS_METADATA).flatMap(([key, meta]) => ('env' in meta ? [[meta.env, key as SettingKey]] : [])),
);

export const SECRET_SETTINGS = keysWith('secret');
export type SecretSetting = KeysWith<'secret'>;

/** The listeners' addresses: a change is saved at once but used from the next start. */
export const RESTART_SETTINGS = keysWith('restart');

/** The metadata as the contract serves it, in the table's order. */
export function settingsMetadata(): SettingMetadata[] {
  return Object.entries(SETTINGS_METADATA).map(([key, meta]: [string, { label: string; env?: string; secret?: true; restart?: true; desktopOnly?: true }]) => ({
    key,
    label: meta.label,
    env: meta.env,
    secret: meta.secret === true,
    needsRestart: meta.restart === true,
    desktopOnly: meta.desktopOnly === true,
  }));
}

export interface SettingIssue {
  key: string;
  message: string;
}

export class SettingsError extends Error {
  readonly issues: SettingIssue[];
  readonly problems: string[];
  constructor(issues: SettingIssue[]) {
    const problems = issues.map((issue) => (issue.key ? `${settingLabel(issue.key)}: ${issue.message}` : issue.message));
    super(`invalid settings:\n  ${problems.join('\n  ')}`);
    this.issues = issues;
    this.problems = problems;
  }
}

export function validateSettings(values: Record<string, unknown>): Settings {
  const result = settingsSchema.safeParse(values);
  if (!result.success) {
    throw new SettingsError(result.error.issues.map((issue) => ({ key: issue.path.map(String).join('.'), message: issue.message })));
  }
  return result.data;
}

/** The environment variable that overrides a setting, if there is one. */
export function environmentVariable(key: string): string | undefined {
  const meta = Object.hasOwn(SETTINGS_METADATA, key) ? SETTINGS_METADATA[key as SettingKey] : undefined;
  return meta && 'env' in meta ? meta.env : undefined;
}

function settingLabel(key: string): string {
  const variable = environmentVariable(key);
  return variable ? `${key} (${variable})` : key;
}

/**
 * Merges the stored settings with environment overrides and validates the result.
 * Throws SettingsError listing every invalid setting, so a user fixes them all in one go.
 */
export function resolveSettings(stored: Record<string, unknown>, env: NodeJS.ProcessEnv): Settings {
  const merged: Record<string, unknown> = { ...stored };
  for (const [name, key] of Object.entries(ENVIRONMENT_OVERRIDES)) {
    const value = env[name];
    if (value !== undefined && value !== '') merged[key] = value;
  }
  return validateSettings(merged);
}

/** The settings an environment variable fixes, so a UI shows them read-only. */
export function settingsLockedByEnvironment(env: NodeJS.ProcessEnv): SettingKey[] {
  return Object.entries(ENVIRONMENT_OVERRIDES)
    .filter(([name]) => env[name] !== undefined && env[name] !== '')
    .map(([, key]) => key);
}

/**
 * Why a source's events cannot go to its target, or undefined when they can. ilert's Level.io
 * pass-through takes only Level's own bodies, so a source on the default target needs the key.
 */
export function sourceTargetProblem(settings: Settings, target: string): string | undefined {
  if (target === DEFAULT_TARGET) {
    if (settings.ilertPassThroughUrl)
      return 'the default target passes Level’s own bodies to ilert’s Level.io source, which cannot take another source’s events: give this source a named target';
    return undefined;
  }
  return targetNames(settings).includes(target) ? undefined : `there is no ilert target named “${target}”`;
}

/** Warnings about a valid but risky or incomplete configuration, shown on start and in the UI. */
export function configurationProblems(settings: Settings): string[] {
  const problems: string[] = [];
  if (!settings.levelWebhookSecret) {
    problems.push('no Level webhook secret: unsigned deliveries are accepted — set LEVEL_WEBHOOK_SECRET');
  }
  if (!settings.ilertIntegrationKey && !settings.ilertPassThroughUrl) {
    problems.push('no ilert integration key: alerts are stored but not forwarded — set ILERT_INTEGRATION_KEY');
  }
  if (settings.tunnel === 'named' && (!settings.cloudflaredToken || !settings.publicUrl)) {
    problems.push('a named tunnel needs its token (CLOUDFLARED_TOKEN) and its public URL (RELAY_PUBLIC_URL)');
  }
  if (settings.levelWebhookSecret && settings.levelWebhookSecret.length < 16) {
    problems.push('the Level webhook secret is short: generate a strong one with `openssl rand -hex 32`');
  }
  if (settings.levelWebhookSecretPrevious && !settings.levelWebhookSecret) {
    problems.push('a previous Level secret is set without a current one — set LEVEL_WEBHOOK_SECRET');
  }
  for (const source of settings.sources) {
    const problem = sourceTargetProblem(settings, source.target);
    if (problem) problems.push(`source “${source.name}”: ${problem}; its events are kept but not sent`);
  }
  if (!/^(127\.|::1$|localhost$)/.test(settings.host)) {
    problems.push(`the receiver listens on ${settings.host}, beyond this machine: make sure only webhook traffic reaches it`);
  }
  return problems;
}
