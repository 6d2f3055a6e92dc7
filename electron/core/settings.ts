import { z } from 'zod';

export const SEVERITIES = ['information', 'warning', 'critical', 'emergency'] as const;
export type Severity = (typeof SEVERITIES)[number];

const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

const optionalSecret = z
  .string()
  .trim()
  .optional()
  .transform((value) => value || undefined);

export const settingsSchema = z.object({
  host: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  port: port.default(8787),
  adminPort: port.default(8788),
  levelWebhookSecret: optionalSecret,
  levelWebhookSecretPrevious: optionalSecret,
  ilertIntegrationKey: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{8,200}$/, 'does not look like an ilert integration key (letters and digits, like il1api…)')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  ilertApiUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL like https://api.ilert.com' })
    .transform((url) => url.replace(/\/+$/, ''))
    .default('https://api.ilert.com'),
  ilertHeartbeatUrl: z
    .url({ protocol: /^https?$/, error: 'must be the heartbeat URL from ilert, like https://beat.ilert.com/api/pings/<key>' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  ilertEventsPerMinute: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(100_000, 'must be at most 100000')
    .default(50),
  highPrioritySeverities: z.array(z.enum(SEVERITIES)).default(['critical', 'emergency']),
  retentionDays: z.coerce.number().int().min(1, 'must be at least 1 day').max(3650).default(30),
  // Desktop app only.
  notifyMinSeverity: z.enum(SEVERITIES).default('warning'),
  notifyResolves: z.boolean().default(false),
  startAtLogin: z.boolean().default(false),
});

export type Settings = z.output<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;
export type SettingKey = keyof Settings;

/** The environment variables that override the settings file; part of the public interface. */
export const ENVIRONMENT_OVERRIDES = {
  RELAY_HOST: 'host',
  RELAY_PORT: 'port',
  RELAY_ADMIN_PORT: 'adminPort',
  LEVEL_WEBHOOK_SECRET: 'levelWebhookSecret',
  LEVEL_WEBHOOK_SECRET_PREVIOUS: 'levelWebhookSecretPrevious',
  ILERT_INTEGRATION_KEY: 'ilertIntegrationKey',
  ILERT_API_URL: 'ilertApiUrl',
  ILERT_EVENTS_PER_MINUTE: 'ilertEventsPerMinute',
  ILERT_HEARTBEAT_URL: 'ilertHeartbeatUrl',
} as const satisfies Record<string, SettingKey>;

export const SECRET_SETTINGS = ['levelWebhookSecret', 'levelWebhookSecretPrevious', 'ilertIntegrationKey', 'ilertHeartbeatUrl'] as const;

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

function settingLabel(key: string): string {
  const envName = Object.entries(ENVIRONMENT_OVERRIDES).find(([, setting]) => setting === key)?.[0];
  return envName ? `${key} (${envName})` : key;
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

/** Warnings about a valid but risky or incomplete configuration, shown on start and in the UI. */
export function configurationProblems(settings: Settings): string[] {
  const problems: string[] = [];
  if (!settings.levelWebhookSecret) {
    problems.push('no Level webhook secret: unsigned deliveries are accepted — set LEVEL_WEBHOOK_SECRET');
  }
  if (!settings.ilertIntegrationKey) {
    problems.push('no ilert integration key: alerts are stored but not forwarded — set ILERT_INTEGRATION_KEY');
  }
  if (settings.levelWebhookSecret && settings.levelWebhookSecret.length < 16) {
    problems.push('the Level webhook secret is short: generate a strong one with `openssl rand -hex 32`');
  }
  if (settings.levelWebhookSecretPrevious && !settings.levelWebhookSecret) {
    problems.push('a previous Level secret is set without a current one — set LEVEL_WEBHOOK_SECRET');
  }
  if (!/^(127\.|::1$|localhost$)/.test(settings.host)) {
    problems.push(`the receiver listens on ${settings.host}, beyond this machine: make sure only webhook traffic reaches it`);
  }
  return problems;
}

/** Masks a secret for display: enough to recognise it, never enough to use it. */
export function maskSecret(secret: string | undefined): string | undefined {
  if (!secret) return undefined;
  return secret.length <= 8 ? '••••' : `${secret.slice(0, 4)}••••${secret.slice(-2)}`;
}
