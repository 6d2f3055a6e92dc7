/**
 * The one contract between the relay core and any UI: every method with its input and output
 * schema, and every pushed event. The admin HTTP API (browser) and IPC (Electron) both serve it;
 * adding a method is one entry here plus its handler.
 */
import { z } from 'zod';

const id = z.object({ id: z.number().int().positive() });
const none = z.object({}).strict();
const optionalText = z.string().optional();

/**
 * Bounds for what callers send: every string and list in a method's input has one, so an oversized
 * request is a 400 that says which field, never a query with 40,000 variables or a deep recursion
 * (a test walks every input schema for them).
 */
const NAME_MAX = 200;
const TEXT_MAX = 2000;
const LIST_MAX = 100;
/** A webhook body edited for replay, in characters: above the receiver's 1 MiB, which the relay checks in bytes and names. */
const REPLAY_BODY_MAX = 4 * 1024 * 1024;
const name = z.string().max(NAME_MAX);
/** A source's template (ilert's template language), as long as the core's parser takes. */
const template = z.string().max(16 * 1024);
const text = z.string().max(TEXT_MAX);
/** Level alerts' summary and details for one ilert target, in the sources' template language; empty keeps the relay's default. */
export const levelTemplatesSchema = z.object({ summary: template.optional(), details: template.optional() });

export const DELIVERY_STATUSES = ['received', 'accepted', 'duplicate', 'rejected', 'queued', 'retrying', 'sending', 'delivered', 'failed', 'skipped', 'held'] as const;
/** Level's alert severities, the one list of them: most urgent first. */
export const SEVERITY_LEVELS = ['emergency', 'critical', 'warning', 'information'] as const;
export type Severity = (typeof SEVERITY_LEVELS)[number];
/** How urgent a severity is, for comparing: information 0 … emergency 3; anything else below them all. */
export function severityRank(severity: string | undefined): number {
  const index = SEVERITY_LEVELS.indexOf(severity as Severity);
  return index === -1 ? -1 : SEVERITY_LEVELS.length - 1 - index;
}
/** Where a delivery came from: Level's webhook, a re-run, a Level automation, reconciliation with Level's API, the setup test, or an action in the app (Accept). */
export const DELIVERY_SOURCES = ['webhook', 'rerun', 'replay', 'automation', 'reconciled', 'test', 'app'] as const;
export const ILERT_ALERT_STATES = ['PENDING', 'ACCEPTED', 'RESOLVED'] as const;

/** One finding of the diagnosis checks: what is wrong, and what to do about it. */
export const diagnosisSchema = z.object({
  id: z.string(),
  level: z.enum(['error', 'warning']),
  title: z.string(),
  detail: z.string(),
  fix: optionalText,
  /** The delivery the finding is about (the one that could not be processed, the oldest waiting): Health links to it. */
  deliveryId: z.number().int().optional(),
});

export const tunnelStateSchema = z.object({
  status: z.enum(['stopped', 'starting', 'running', 'restarting', 'not-installed', 'failed']),
  kind: z.enum(['quick', 'named']),
  publicUrl: optionalText,
  restarts: z.number().int(),
  lastError: optionalText,
  urlChangedAt: z.number().optional(),
  /** Set when a quick tunnel's URL changed: Level must be told the new one. */
  warning: optionalText,
});

export const relayStatusSchema = z.object({
  receiverListening: z.boolean(),
  receiverUrl: optionalText,
  publicUrl: optionalText,
  queueDepth: z.number().int(),
  failedJobs: z.number().int(),
  lastDeliveryAt: z.number().optional(),
  /** From the latest attempt: true if ilert answered at all, false on a network error or timeout. */
  ilertReachable: z.boolean().optional(),
  lastAttemptAt: z.number().optional(),
  heartbeat: z
    .object({ configured: z.boolean(), lastPingAt: z.number().optional(), lastStatusCode: z.number().optional(), lastError: optionalText, withheld: optionalText })
    .optional(),
  /** What ilert said to the last attempts, worst target first: "503, retrying", "404 key not found". */
  ilert: z.object({ tone: z.enum(['ok', 'warn', 'bad', 'muted']), text: z.string(), target: optionalText }),
  /** The one list of problems: the status bar, Health, its tab badge and the tray all count it. */
  diagnoses: z.array(diagnosisSchema),
  tunnel: tunnelStateSchema.optional(),
  /** Reading alert states back from ilert (only with a user API key). */
  ilertState: z.object({ lastPollAt: z.number().optional(), lastError: optionalText, skippedAlerts: z.number().int(), incompleteListing: z.boolean() }).optional(),
  /** Per target with events waiting: how long they take to drain at ilert's rate limit, and whether the limit holds them back now. */
  backlog: z.array(z.object({ target: z.string(), waiting: z.number().int(), perMinute: z.number(), drainMs: z.number(), rateLimited: z.boolean() })).optional(),
  /** Targets forwarding is paused for (ilert maintenance), with the events held for each. */
  pausedTargets: z.array(z.object({ target: z.string(), pausedAt: z.number(), pausedBy: z.string(), waiting: z.number().int() })).optional(),
  /** The last ilert outage since the relay started: how many events it delayed, and what became of them (skipped: ALERT and RESOLVE pairs). */
  outage: z
    .object({
      since: z.number(),
      endedAt: z.number().optional(),
      waiting: z.number().int(),
      delivered: z.number().int(),
      failed: z.number().int(),
      skipped: z.number().int(),
    })
    .optional(),
});

const jobStatus = z.enum(['queued', 'retrying', 'sending', 'delivered', 'failed', 'skipped', 'held']);

/**
 * A job the relay did not send at once (a maintenance window, its ilert target paused): why, until when, and — once it is
 * no longer held — how that ended. Kept after release, so the alert shows it was held.
 */
export const heldViewSchema = z.object({
  reason: z.string(),
  until: z.number().optional(),
  released: optionalText,
  /** Held because its ilert target is paused: it goes when the target is resumed (Routing), not by "Send now". */
  pausedTarget: optionalText,
});

export const jobViewSchema = z.object({
  id: z.number().int(),
  eventType: z.string(),
  status: jobStatus,
  reason: optionalText,
  attempts: z.number().int(),
  nextAttemptAt: z.number().optional(),
  lastStatusCode: z.number().optional(),
  lastError: optionalText,
  lastLatencyMs: z.number().optional(),
  url: optionalText,
  /** The ilert target (alert source) and why this route was chosen. */
  target: z.string(),
  routeReason: optionalText,
  held: heldViewSchema.optional(),
});

export const attemptViewSchema = z.object({
  id: z.number().int(),
  startedAt: z.number(),
  latencyMs: z.number().optional(),
  url: z.string(),
  statusCode: z.number().optional(),
  error: optionalText,
  requestBody: z.string(),
  responseBody: optionalText,
  manual: z.boolean(),
});

export const deliveryRowSchema = z.object({
  id: z.number().int(),
  receivedAt: z.number(),
  source: z.enum(DELIVERY_SOURCES),
  eventType: optionalText,
  eventId: optionalText,
  /** 'received': acknowledged, not yet applied (it then becomes 'accepted', or 'failed' with why). */
  outcome: z.enum(['received', 'accepted', 'failed', 'duplicate', 'rejected']),
  status: z.enum(DELIVERY_STATUSES),
  statusCode: z.number().int(),
  reason: optionalText,
  signature: z.string(),
  alertName: optionalText,
  hostname: optionalText,
  severity: optionalText,
  levelAlertId: optionalText,
  path: z.string(),
  rerunOf: z.number().optional(),
  job: jobViewSchema.optional(),
});

export const deliveryDetailSchema = deliveryRowSchema.extend({
  headers: z.record(z.string(), z.string()),
  body: optionalText,
  /** For a request that failed authentication, only its first bytes and a hash were kept. */
  bodyTrace: z.object({ prefix: z.string(), sha256: z.string() }).optional(),
  bodySize: z.number().int(),
  remoteAddr: optionalText,
  forwardedFor: optionalText,
  /** When the event happened, as the relay counts it. */
  occurredAt: optionalText,
  /** Set when the event's own time was too far ahead of its receipt to count: the time it claimed (occurredAt is then the time of receipt). */
  claimedOccurredAt: optionalText,
  jobs: z.array(jobViewSchema.extend({ alertKey: z.string(), payload: z.string(), attemptLog: z.array(attemptViewSchema) })),
});

export const deliveryFilterSchema = z.object({
  statuses: z.array(z.enum(DELIVERY_STATUSES)).max(DELIVERY_STATUSES.length, `at most ${DELIVERY_STATUSES.length} statuses, each once`).optional(),
  eventTypes: z.array(z.string().max(100)).max(LIST_MAX, `at most ${LIST_MAX} event types`).optional(),
  severities: z.array(z.enum(SEVERITY_LEVELS)).max(SEVERITY_LEVELS.length, `at most ${SEVERITY_LEVELS.length} severities, each once`).optional(),
  since: z.number().optional(),
  until: z.number().optional(),
  search: z.string().max(200).optional(),
  /** Only deliveries whose ilert event had an attempt that failed (5xx, 429, no answer, refused), whatever became of it. */
  hadFailedAttempts: z.boolean().optional(),
});

export const deliveryPageSchema = z.object({
  anchorId: z.number().int(),
  total: z.number().int(),
  /** Deliveries newer than the anchor that match the filter: "N new" for the user to jump to. */
  newer: z.number().int(),
  offset: z.number().int(),
  rows: z.array(deliveryRowSchema),
});

export const alertRowSchema = z.object({
  levelAlertId: z.string(),
  alertKey: z.string(),
  state: z.enum(['active', 'resolved']),
  severity: optionalText,
  name: optionalText,
  deviceHostname: optionalText,
  startedAt: optionalText,
  resolvedAt: optionalText,
  firstSeenAt: z.number(),
  updatedAt: z.number(),
  forwarding: z.object({ jobId: z.number().int(), status: jobStatus, reason: optionalText, nextAttemptAt: z.number().optional(), held: heldViewSchema.optional() }).optional(),
  route: z.object({ target: z.string(), reason: z.string(), groupPath: optionalText }).optional(),
  /** What ilert says about the alert, read back with the user API key. */
  ilert: z
    .object({
      status: z.enum(ILERT_ALERT_STATES).optional(),
      acceptedBy: optionalText,
      acceptedAt: optionalText,
      checkedAt: z.number(),
      /** ilert and Level disagree (e.g. resolved in ilert, still active in Level): shown, not hidden. */
      mismatch: optionalText,
    })
    .optional(),
  /** An Accept sent from this app, while it is on its way. */
  acceptPending: z.boolean().optional(),
  /** The priority the relay gave the alert's ALERT event in ilert (from the severity mapping). */
  ilertPriority: z.enum(['HIGH', 'LOW']).optional(),
  /** When ilert took an Accept pressed in this app, and who pressed it. */
  acceptSent: z.object({ at: z.number(), by: optionalText }).optional(),
  ilertAlertId: z.number().int().optional(),
  deviceId: optionalText,
  /** "Open in ilert" and "Open in Level", from the link settings, when the ids are known. */
  links: z.object({ ilert: optionalText, level: optionalText }).optional() /** The device is in Level's maintenance mode, since then (when the relay first saw it on). */,
  deviceMaintenanceSince: z.number().optional(),
});

export const ALERT_GROUPINGS = ['name', 'device', 'none'] as const;

/**
 * One page of the alert board, paged on the server so a storm of 25,000 alerts costs the page on
 * screen. Grouped, alerts with the same name (or on the same device) are one row with a count;
 * a group of one is shown as its alert.
 */
export const alertPageInputSchema = z.object({
  state: z.enum(['active', 'resolved']).default('active'),
  groupBy: z.enum(ALERT_GROUPINGS).default('name'),
  /** Only the alerts of this group (its name or device hostname): an expanded group. */
  group: z.string().max(1000).optional(),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(500).default(100),
  /** Just this alert, whatever its state (an alert opened from a notification). */
  levelAlertId: z.string().max(1000).optional(),
  /** Only alerts of this client: its Level group path, and the groups under it. */
  client: z.string().trim().min(1).max(1000).optional(),
  /** A Level alert id or device id, matched exactly (what a technician pastes from Level). */
  find: z.string().trim().min(1).max(1000).optional(),
  /** Only alerts of this severity (a severity card pressed). */
  severity: z.enum(SEVERITY_LEVELS).optional(),
  /** Only alerts not sent at once: held by a window (or another hold), or waiting for a paused ilert target. */
  held: z.boolean().optional(),
});

export const alertEntrySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('alert'), alert: alertRowSchema }),
  z.object({
    kind: z.literal('group'),
    by: z.enum(['name', 'device']),
    key: z.string(),
    count: z.number().int(),
    /** The most severe severity in the group. */
    severity: optionalText,
    devices: z.number().int(),
    names: z.number().int(),
    newestAt: z.number(),
  }),
]);

export const alertPageSchema = z.object({
  /** Rows (groups or alerts) in the whole list, for the virtual list's height. */
  total: z.number().int(),
  offset: z.number().int(),
  rows: z.array(alertEntrySchema),
  /** Active alerts per severity that routing did not skip, from the store's counters (whatever the filters). */
  counts: z.record(z.string(), z.number().int()),
});

/** A secret never crosses to a UI in full: only whether it is set and a recognisable hint. */
const maskedSecret = z.object({ set: z.boolean(), hint: optionalText });

export const settingMetadataSchema = z.object({
  key: z.string(),
  label: z.string(),
  /** The environment variable that overrides the settings file, when there is one. */
  env: z.string().optional(),
  secret: z.boolean(),
  /** A change is saved at once but used from the next start. */
  needsRestart: z.boolean(),
  /** Only the desktop app uses it (notifications, start at login). */
  desktopOnly: z.boolean(),
});

export const settingsViewSchema = z.object({
  /** How secrets saved here are stored, when that is not encrypted: shown where they are entered. */
  secretsNotice: optionalText,
  values: z.object({
    host: z.string(),
    port: z.number().int(),
    adminPort: z.number().int(),
    adminHost: z.string(),
    adminHostNames: z.array(z.string()),
    ilertApiUrl: z.string(),
    ilertEventsPerMinute: z.number().int(),
    highPrioritySeverities: z.array(z.enum(SEVERITY_LEVELS)),
    holdDownSeconds: z.number().int(),
    resolveGraceSeconds: z.number().int(),
    retentionDays: z.number().int(),
    auditRetentionDays: z.number().int(),
    levelMaintenanceWarnHours: z.number().int(),
    operatorsMayReplayWithEdits: z.boolean(),
    notifyMinSeverity: z.enum(SEVERITY_LEVELS),
    notifyResolves: z.boolean(),
    startAtLogin: z.boolean(),
    checkForUpdates: z.boolean(),
    levelApiUrl: z.string(),
    ilertAlertLink: optionalText,
    levelDeviceLink: optionalText,
    unmappedGroups: z.enum(['default', 'skip']),
    publicUrl: optionalText,
    tunnel: z.enum(['off', 'quick', 'named']),
    cloudflaredPath: z.string(),
  }),
  secrets: z.object({
    levelWebhookSecret: maskedSecret,
    levelWebhookSecretPrevious: maskedSecret,
    ilertIntegrationKey: maskedSecret,
    ilertHeartbeatUrl: maskedSecret,
    ilertPassThroughUrl: maskedSecret,
    ilertApiKey: maskedSecret,
    levelAutomationSecret: maskedSecret,
    levelApiKey: maskedSecret,
    cloudflaredToken: maskedSecret,
  }),
  /** Named ilert targets for group routing; keys masked. */
  ilertTargets: z.array(z.object({ name: z.string(), key: maskedSecret, levelTemplates: levelTemplatesSchema.optional() })),
  /** Settings fixed by environment variables: shown, not editable. */
  lockedByEnvironment: z.array(z.string()),
  problems: z.array(z.string()),
  /** Settings that take effect only after a restart, changed since start. */
  restartRequired: z.array(z.string()),
});

/**
 * Another source (issue 23), as the contract takes it: an omitted password or secret keeps the one
 * saved for the source with that slug. Validated by the core's schema (electron/core/sources/source.ts).
 */
export const sourceInputSchema = z.object({
  kind: z.enum(['particle', 'json']),
  name,
  slug: name,
  auth: z.discriminatedUnion('type', [
    z.object({ type: z.literal('basic'), username: name, password: text.optional() }),
    z.object({ type: z.literal('header'), header: name, secret: text.optional() }),
    z.object({ type: z.literal('hmac'), header: name, secret: text.optional(), prefix: name.optional() }),
  ]),
  target: name.optional(),
  particle: z.object({ alertEvent: name.optional(), resolveEvent: name.optional() }).optional(),
  templates: z.object({ summary: template, details: template, alertKey: template, priority: template, action: template, eventId: template }).partial().optional(),
});

/** Any subset of settings; an empty string clears a secret. Validated by the core's schema. */
export const settingsPatchSchema = z
  .object({
    host: text,
    port: z.number(),
    adminPort: z.number(),
    adminHost: text,
    adminHostNames: z.array(name).max(LIST_MAX),
    ilertApiUrl: text,
    ilertEventsPerMinute: z.number(),
    highPrioritySeverities: z.array(name).max(SEVERITY_LEVELS.length),
    holdDownSeconds: z.number(),
    resolveGraceSeconds: z.number(),
    retentionDays: z.number(),
    auditRetentionDays: z.number(),
    levelMaintenanceWarnHours: z.number(),
    operatorsMayReplayWithEdits: z.boolean(),
    notifyMinSeverity: text,
    notifyResolves: z.boolean(),
    startAtLogin: z.boolean(),
    checkForUpdates: z.boolean(),
    levelWebhookSecret: text,
    levelWebhookSecretPrevious: text,
    ilertIntegrationKey: text,
    ilertHeartbeatUrl: text,
    ilertPassThroughUrl: text,
    ilertApiKey: text,
    levelAutomationSecret: text,
    levelApiUrl: text,
    levelApiKey: text,
    ilertAlertLink: text,
    levelDeviceLink: text,
    unmappedGroups: text,
    publicUrl: text,
    tunnel: text,
    cloudflaredToken: text,
    cloudflaredPath: text,
    /** The whole list of targets; an omitted integrationKey keeps the saved key of the target with that name. */
    ilertTargets: z.array(z.object({ name, integrationKey: text.optional(), levelTemplates: levelTemplatesSchema.optional() })).max(LIST_MAX),
    /** The whole list, as the core's schema takes it; createSource and its siblings are the way to edit one. */
    sources: z.array(sourceInputSchema).max(LIST_MAX),
  })
  .partial()
  .strict();

export const sourceViewSchema = z.object({
  kind: z.enum(['particle', 'json']),
  name: z.string(),
  slug: z.string(),
  /** Where the source posts, on the public port: `/webhooks/source/<slug>`. */
  path: z.string(),
  target: z.string(),
  auth: z.object({ type: z.enum(['basic', 'header', 'hmac']), username: optionalText, header: optionalText, prefix: optionalText, secret: maskedSecret }),
  particle: z.object({ alertEvent: z.string(), resolveEvent: z.string() }),
  templates: z.object({ summary: optionalText, details: optionalText, alertKey: optionalText, priority: optionalText, action: optionalText, eventId: optionalText }),
});

/** Saved, or why not: each error keyed by its field (`templates.details`: "line 2, column 1: …"). */
const sourceSaveSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), source: sourceViewSchema }),
  z.object({ ok: z.literal(false), errors: z.record(z.string(), z.string()) }),
]);

export const sourcePreviewSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    outcome: z.enum(['alert', 'resolve', 'ignore', 'refused']),
    /** Why it is ignored or refused. */
    reason: optionalText,
    alertKey: optionalText,
    summary: optionalText,
    details: optionalText,
    priority: optionalText,
    notes: z.array(z.string()),
  }),
  z.object({ ok: z.literal(false), errors: z.record(z.string(), z.string()) }),
]);

/** A source's "Send a test": each hop from the sender's URL to ilert, as the Level wizard shows them. */
export const sourceTestSchema = z.object({
  outcome: z.enum(['passed', 'failed']),
  message: z.string(),
  /** The URL the sample was posted to: the public URL's, or the local receiver's when none is set. */
  postedTo: optionalText,
  hops: z.array(
    z.object({
      id: z.enum(['received', 'queued', 'ilert', 'resolved']),
      label: z.string(),
      status: z.enum(['waiting', 'ok', 'failed', 'skipped']),
      detail: optionalText,
    }),
  ),
});

export const ilertSourceCheckSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    source: z.object({
      id: z.number(),
      name: z.string(),
      integrationType: z.string(),
      integrationUrl: optionalText,
      active: z.boolean(),
      escalationPolicy: optionalText,
    }),
    summary: z.string(),
    warning: optionalText,
  }),
  z.object({ ok: z.literal(false), message: z.string() }),
]);

export const reachabilitySchema = z.object({
  ok: z.boolean(),
  message: z.string(),
  checkedUrl: z.string(),
  latencyMs: z.number().optional(),
  notes: z.array(z.string()),
  checkedAt: z.number(),
});

export const setupInfoSchema = z.object({
  localReceiverUrl: optionalText,
  publicUrl: optionalText,
  /** Exactly what to paste into Level → Settings → Webhooks. */
  webhookUrl: optionalText,
  automationUrl: optionalText,
  automationHeader: z.string(),
  automationTemplate: z.string(),
  requiredEvents: z.array(z.string()),
  recommendedEvents: z.array(z.string()),
  cloudflaredVersion: optionalText,
  tunnel: tunnelStateSchema.optional(),
  lastReachability: reachabilitySchema.optional(),
  configured: z.object({ ilert: z.boolean(), publicUrl: z.boolean(), levelSecret: z.boolean(), heartbeat: z.boolean(), ilertApiKey: z.boolean() }),
});

export const TEST_HOPS = ['received', 'signature', 'sent', 'ilert-alert', 'resolve-sent', 'ilert-resolved'] as const;

export const integrationTestSchema = z.object({
  id: z.string(),
  mode: z.enum(['synthetic', 'wait']),
  startedAt: z.number(),
  finishedAt: z.number().optional(),
  outcome: z.enum(['running', 'passed', 'failed', 'cancelled']),
  message: optionalText,
  levelAlertId: optionalText,
  hops: z.array(
    z.object({
      id: z.enum(TEST_HOPS),
      label: z.string(),
      status: z.enum(['waiting', 'ok', 'failed', 'skipped']),
      detail: optionalText,
      at: z.number().optional(),
    }),
  ),
});

export const connectionCheckSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), checkedAt: z.number(), detail: optionalText }),
  z.object({ ok: z.literal(false), checkedAt: z.number(), message: z.string() }),
]);

const routeSchema = z.object({
  target: z.string(),
  routingKey: optionalText,
  minSeverity: z.enum(SEVERITY_LEVELS).optional(),
  /** Flapping overrides of this route (seconds; absent: the settings' default, 0: off here). */
  holdDownSeconds: z.number().int().optional(),
  resolveGraceSeconds: z.number().int().optional(),
});
/** A route's hold-down or resolve grace: whole seconds, at most a day (the settings' bound). */
const flapSeconds = z.number().int('must be a whole number of seconds').min(0, 'must be 0 (off) or more').max(86_400, 'must be at most 86400 seconds (a day)');

export const routingViewSchema = z.object({
  levelConfigured: z.boolean(),
  lastSyncAt: z.number().optional(),
  lastSyncError: optionalText,
  unmappedGroups: z.enum(['default', 'skip']),
  /** pausedAt: forwarding to the target is paused (ilert maintenance) since then. */
  targets: z.array(z.object({ name: z.string(), configured: z.boolean(), pausedAt: z.number().optional() })),
  rows: z.array(
    z.object({
      groupId: z.string(),
      name: z.string(),
      depth: z.number().int(),
      path: z.string(),
      devices: z.number().int(),
      subtreeDevices: z.number().int(),
      route: routeSchema.optional(),
      effective: z.object({ kind: z.enum(['mapped', 'inherited', 'default', 'skip']), target: optionalText, fromGroupId: optionalText, reason: z.string() }),
      /** A cycle or a missing parent in Level's data. */
      flag: optionalText,
      /** Devices directly in this group that are in Level's maintenance mode. */
      devicesInMaintenance: z.number().int().optional(),
    }),
  ),
  summary: z.object({
    groups: z.number().int(),
    mappedGroups: z.number().int(),
    devices: z.number().int(),
    devicesCovered: z.number().int(),
    activeAlerts: z.number().int(),
    /** Devices in Level's maintenance mode. */
    devicesInMaintenance: z.number().int().optional(),
  }),
});

export const reconciliationSchema = z.object({
  id: z.number().int(),
  trigger: z.enum(['manual', 'schedule', 'start', 'wake']),
  startedAt: z.number(),
  finishedAt: z.number().optional(),
  outcome: z.enum(['running', 'ok', 'failed']),
  error: optionalText,
  checked: z.number().int(),
  /** What ilert was missing and got, or (`skipped`) still does not get, with the reason: a skipped alert is never counted as sent. */
  changes: z.array(
    z.object({
      levelAlertId: z.string(),
      action: z.enum(['backfilled', 'resolved', 'skipped']),
      name: optionalText,
      deliveryId: z.number().int().optional(),
      reason: optionalText,
    }),
  ),
});

/** Days a weekly maintenance window starts on. */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const levelId = z.string().trim().min(1).max(200);
/** What a maintenance window covers: everything, a Level group (and the groups under it), a device, or an ilert target. */
export const windowScopeSchema = z.union([
  z.object({ all: z.literal(true) }).strict(),
  z.object({ group: levelId }).strict(),
  z.object({ device: levelId }).strict(),
  z.object({ target: levelId }).strict(),
]);

/**
 * A one-off window: `start` and `end` are ISO times with a zone ("2026-12-07T22:00:00+01:00").
 * A weekly one: `days`, `start` and `end` as "HH:MM" (an end at or before the start is on the next
 * day), in the IANA `timeZone` ("Europe/Berlin"); start = end is refused.
 */
export const createWindowSchema = z
  .object({
    name: z.string().trim().min(1, 'a name is required').max(120),
    reason: z.string().trim().max(500).optional(),
    scope: windowScopeSchema,
    start: z.string().trim().min(1).max(40),
    end: z.string().trim().min(1).max(40),
    days: z.array(z.enum(WEEKDAYS)).min(1).max(7).optional(),
    timeZone: z.string().trim().min(1).max(64).optional(),
    /** Also create the matching maintenance window in ilert (a one-off window over a whole target, or everything, with an ilert API key set). */
    alsoInIlert: z.boolean().optional(),
  })
  .strict();

export const windowViewSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  reason: optionalText,
  scope: windowScopeSchema,
  kind: z.enum(['once', 'weekly']),
  /** As given: ISO times (one-off) or HH:MM (weekly). */
  start: z.string(),
  end: z.string(),
  days: z.array(z.enum(WEEKDAYS)).optional(),
  timeZone: optionalText,
  state: z.enum(['scheduled', 'active', 'ended']),
  /** While active: when this occurrence ends. */
  activeUntil: z.number().optional(),
  /** While scheduled: when it next opens. */
  nextStart: z.number().optional(),
  createdAt: z.number(),
  createdBy: z.string(),
  endedAt: z.number().optional(),
  endedBy: optionalText,
  /** Events it holds right now. */
  held: z.number().int(),
  /** Why it suppresses nothing although it looks open (its time zone no longer resolves). */
  problem: optionalText,
  /** The matching maintenance window in ilert ("also in ilert"): its id while it exists there, and what went wrong creating or deleting it. */
  ilert: z.object({ windowId: z.number().int().optional(), problem: optionalText }).optional(),
});

/**
 * Rules (issue 22): an ordered list, the first match wins; a rule without conditions matches
 * everything. All the conditions a rule has must hold; within `severities` and `tags`, any one does.
 */
export const RULE_REGEX_MAX = 200;
export const RULES_MAX = 200;
const ruleText = z.string().trim().min(1).max(200);
export const ruleConditionsSchema = z
  .object({
    severities: z.array(z.enum(SEVERITY_LEVELS)).min(1).max(4).optional(),
    /** A word or phrase the alert's name contains, in any case. */
    nameContains: ruleText.optional(),
    /** A JavaScript regular expression the alert's name matches (case-insensitive), checked when saved. */
    nameRegex: z.string().min(1).max(RULE_REGEX_MAX).optional(),
    /** A Level group id: its subgroups are covered too, as with routes. */
    group: levelId.optional(),
    /** The device's hostname, whole, in any case; `*` any run of characters, `?` one. */
    hostname: ruleText.optional(),
    /** Any one of these tags is on the device (from the Level mirror). */
    tags: z.array(z.string().trim().min(1).max(100)).min(1).max(20).optional(),
    role: ruleText.optional(),
    platform: ruleText.optional(),
  })
  .strict();

/** What a matching rule does: drop (held, not sent), or any of route / priority / hold-down. */
export const ruleActionsSchema = z
  .object({
    drop: z.literal(true).optional(),
    target: z.string().trim().min(1).max(NAME_MAX).optional(),
    routingKey: z.string().trim().min(1).max(200).optional(),
    priority: z.enum(['HIGH', 'LOW']).optional(),
    /** Overrides the route's hold-down: send the ALERT only if still active after this long (0 = none). */
    holdDownSeconds: z.number().int().min(0).max(86_400).optional(),
  })
  .strict()
  .refine((actions) => Object.keys(actions).length > 0, 'a rule needs an action: drop, a target or routing key, a priority, or a hold-down')
  .refine((actions) => !actions.drop || Object.keys(actions).length === 1, 'a rule that drops does nothing else: remove its other actions or do not drop');

export const ruleSchema = z
  .object({
    /** Kept when an existing rule is saved again, so what it dropped still names it. */
    id: z.number().int().positive().optional(),
    name: z.string().trim().min(1, 'a rule needs a name').max(120),
    conditions: ruleConditionsSchema,
    actions: ruleActionsSchema,
  })
  .strict();

export const ruleViewSchema = ruleSchema.extend({ id: z.number().int() });
export const rulesViewSchema = z.object({
  rules: z.array(ruleViewSchema),
  updatedAt: z.number().optional(),
  updatedBy: optionalText,
});
const rulesInput = z.object({ rules: z.array(ruleSchema).max(RULES_MAX) }).strict();

export const ruleDryRunSchema = z.object({
  /** The alerts looked at: first seen since `from`, newest first, at most `limit`. */
  from: z.number(),
  looked: z.number().int(),
  limit: z.number().int(),
  /** True when there were more alerts since `from` than `limit`: the counts are of the newest. */
  capped: z.boolean(),
  /** Per rule, in order: the alerts it would have been the first match for. */
  matched: z.array(z.number().int()),
  unmatched: z.number().int(),
});

/** What a person may do on a team relay; each role can do everything the one before it can. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const memberSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  role: z.enum(ROLES),
  createdAt: z.number(),
  createdBy: z.string(),
  /** `invited` until the pairing code is exchanged for a token; `expired` when it was not in time. */
  state: z.enum(['invited', 'expired', 'active', 'revoked']),
  pairingExpiresAt: z.number().optional(),
  pairedAt: z.number().optional(),
  lastUsedAt: z.number().optional(),
  lastUsedFrom: optionalText,
  revokedAt: z.number().optional(),
});

export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: z.number(),
  actor: z.string(),
  role: z.enum(ROLES),
  action: z.string(),
  detail: z.string(),
});

/** Who is calling and through which door: the renderer hides what the role cannot do. */
export const callerViewSchema = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  door: z.object({
    /** `ipc`: the desktop app's own relay; `loopback`: the admin door on this machine; `remote`: HTTPS beyond it. */
    kind: z.enum(['ipc', 'loopback', 'remote']),
    fingerprint256: optionalText,
    /** The owner's admin link: to the owner only, so a member's access ends with their token. */
    adminUrl: optionalText,
  }),
});

export const methods = {
  getStatus: { input: none, output: relayStatusSchema },
  listAlerts: { input: alertPageInputSchema, output: alertPageSchema },
  listDeliveries: {
    input: z.object({
      filter: deliveryFilterSchema.default({}),
      anchorId: z.number().int().optional(),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(500).default(100),
    }),
    output: deliveryPageSchema,
  },
  getDelivery: { input: id, output: deliveryDetailSchema },
  rerunDelivery: { input: id, output: z.object({ statusCode: z.number().int(), body: z.record(z.string(), z.unknown()) }) },
  /**
   * Replay with edits: `body` (the edited copy of delivery `id`'s body) goes through the receiver
   * signed with the webhook secret, as Level would sign it, and is recorded as a manual replay of `id`.
   * Admins only, or operators too when Settings allow it (see `mayReplayWithEdits`; else 403); a
   * refused delivery cannot be the original (409). The audit row lists what the edit changed.
   */
  replayDelivery: {
    input: id.extend({ body: z.string().max(REPLAY_BODY_MAX) }),
    output: z.object({ statusCode: z.number().int(), body: z.record(z.string(), z.unknown()) }),
  },
  /**
   * Sends an ilert job again. The ALERT of a resolved alert is refused (409) unless `thenResolve`
   * is true: then its RESOLVE is queued right behind it, so the alert never stays open in ilert.
   */
  rerunJob: { input: id.extend({ thenResolve: z.boolean().optional() }), output: z.object({ queued: z.literal(true), resolveJobId: z.number().int().optional() }) },
  /** Sends an ilert job that waits for its next retry now, instead of at the end of its backoff; its attempts and give-up time stay. */
  sendJobNow: { input: id, output: z.object({ queued: z.literal(true) }) },
  /**
   * Sends failed ilert jobs again: all of them, or those of the deliveries matching `filter` (the
   * delivery log's current filter). The ALERT of a resolved alert is left (`skipped`): in bulk
   * nobody confirms re-opening it; rerunJob with thenResolve does that one by one.
   */
  retryAllFailed: {
    input: z.object({ filter: deliveryFilterSchema.optional() }).strict(),
    output: z.object({ count: z.number().int(), skipped: z.number().int() }),
  },
  acceptAlert: { input: z.object({ levelAlertId: z.string().min(1).max(1000) }), output: z.object({ jobId: z.number().int() }) },
  /** Holds a target's events in the outbox (ilert maintenance); they go, in order, on resume. */
  pauseTarget: { input: z.object({ target: name.min(1) }), output: z.object({ paused: z.literal(true) }) },
  resumeTarget: { input: z.object({ target: name.min(1) }), output: z.object({ wasPaused: z.boolean() }) },
  // Setup wizard
  getSetup: { input: none, output: setupInfoSchema },
  checkIlertSource: { input: z.object({ integrationKey: text, apiKey: text.optional() }), output: ilertSourceCheckSchema },
  startTunnel: { input: z.object({ kind: z.enum(['quick', 'named']) }), output: tunnelStateSchema },
  stopTunnel: { input: none, output: z.object({ stopped: z.literal(true) }) },
  /** Checks `url` (or the saved public URL) reaches this relay; a working `url` is saved as the public URL. */
  checkReachability: { input: z.object({ url: z.string().max(2000).optional() }), output: reachabilitySchema },
  startIntegrationTest: { input: z.object({ mode: z.enum(['synthetic', 'wait']) }), output: integrationTestSchema },
  getIntegrationTest: { input: none, output: integrationTestSchema.nullable() },
  cancelIntegrationTest: { input: none, output: integrationTestSchema.nullable() },
  // Level API: routing and reconciliation
  testLevelConnection: { input: none, output: connectionCheckSchema },
  syncLevel: { input: none, output: connectionCheckSchema },
  getRouting: { input: none, output: routingViewSchema },
  setGroupRoute: {
    input: z.object({
      groupId: name.min(1),
      route: z
        .object({
          target: name.min(1),
          routingKey: z.string().max(200).optional(),
          minSeverity: z.enum(SEVERITY_LEVELS).optional(),
          holdDownSeconds: flapSeconds.optional(),
          resolveGraceSeconds: flapSeconds.optional(),
        })
        .nullable(),
    }),
    output: routingViewSchema,
  },
  backfillAlerts: { input: none, output: reconciliationSchema },
  listReconciliations: { input: none, output: z.array(reconciliationSchema) },
  getSettings: { input: none, output: settingsViewSchema },
  /** What each setting is: its label, overriding environment variable, whether it is a secret or needs a restart. */
  getSettingsMetadata: { input: none, output: z.array(settingMetadataSchema) },
  updateSettings: {
    input: settingsPatchSchema,
    output: z.discriminatedUnion('ok', [
      z.object({ ok: z.literal(true), settings: settingsViewSchema }),
      z.object({ ok: z.literal(false), errors: z.record(z.string(), z.string()) }),
    ]),
  },
  // The team: people, their roles and what they did (a relay whose admin door is open to a LAN or VPN)
  createMember: {
    input: z.object({ name: z.string().trim().min(1, 'a name is required').max(80), role: z.enum(ROLES) }),
    output: z.object({
      id: z.number().int(),
      pairingCode: z.string(),
      pairingUrl: z.string(),
      /** Set when the link cannot work for anyone else yet: the admin door listens on this machine only. */
      warning: optionalText,
    }),
  },
  listMembers: { input: none, output: z.array(memberSchema) },
  revokeMember: { input: id, output: memberSchema },
  /** A member's new role takes effect with their next call; no new invitation needed. */
  changeMemberRole: { input: z.object({ id: z.number().int(), role: z.enum(ROLES) }), output: memberSchema },
  listAudit: { input: z.object({ limit: z.number().int().min(1).max(1000).default(200) }), output: z.array(auditEntrySchema) },
  whoAmI: { input: none, output: callerViewSchema },
  /**
   * A new admin link; the old one (and every tab opened with it) stops working at once. Only the
   * owner is given the new link; an admin member who rotates a leaked one finds it with
   * `npm run serve -- --print-url` on the relay's machine.
   */
  rotateAdminToken: { input: none, output: z.object({ adminUrl: z.string().optional() }) },
  // Quiet nights: maintenance windows hold new ALERTs (never a RESOLVE) and send what still fires when they end.
  createMaintenanceWindow: { input: createWindowSchema, output: windowViewSchema },
  /** The windows not ended and the most recent ended ones, newest first. */
  listMaintenanceWindows: { input: none, output: z.array(windowViewSchema) },
  /** Ends a window now; what it held is released at once (sent if the alert still fires). */
  endMaintenanceWindow: { input: id, output: windowViewSchema },
  /** Sends an alert's held events now, whatever holds them. */
  sendHeldNow: { input: z.object({ alertId: z.string().trim().min(1).max(1000) }).strict(), output: z.object({ released: z.number().int() }) },
  // Rules: what pages, decided in order after routing (admins change them; a dry run shows their effect first).
  listRules: { input: none, output: rulesViewSchema },
  /** Replaces the whole ordered list, after checking every rule (regexes, targets). */
  saveRules: { input: rulesInput, output: rulesViewSchema },
  /** How many of the last 7 days' alerts each rule of a draft list would have been the first match for. */
  dryRunRules: { input: rulesInput, output: ruleDryRunSchema },
  listSources: { input: none, output: z.array(sourceViewSchema) },
  createSource: { input: sourceInputSchema, output: sourceSaveSchema },
  updateSource: { input: z.object({ slug: name, source: sourceInputSchema }), output: sourceSaveSchema },
  deleteSource: { input: z.object({ slug: name }), output: z.object({ deleted: z.boolean() }) },
  /** The templates rendered against a sample body (pasted JSON), as ilert's template editor previews. */
  previewSourceTemplates: { input: z.object({ source: sourceInputSchema, sample: z.string().max(1024 * 1024) }), output: sourcePreviewSchema },
  /** The body of the source's last request that passed its authentication, for the preview; admins only, as bodies may hold data. */
  lastSourceBody: { input: z.object({ slug: name }), output: z.object({ body: optionalText, receivedAt: z.number().optional() }) },
  /** Posts a sample authenticated as the source through its public URL (or the local receiver) and follows it to ilert. */
  testSource: {
    input: z.object({
      slug: name,
      sample: z
        .string()
        .max(1024 * 1024)
        .optional(),
    }),
    output: sourceTestSchema,
  },
  /** A target's Level templates rendered against a sample Level alert (the relay's own when none is pasted). */
  previewLevelTemplates: {
    input: z.object({
      templates: levelTemplatesSchema,
      sample: z
        .string()
        .max(1024 * 1024)
        .optional(),
    }),
    output: z.discriminatedUnion('ok', [
      z.object({ ok: z.literal(true), summary: z.string(), details: optionalText, sample: z.string() }),
      z.object({ ok: z.literal(false), errors: z.record(z.string(), z.string()) }),
    ]),
  },
} as const;

/**
 * The least role each method needs, checked on the server for HTTP and IPC alike (see
 * callMethod). Viewers see everything; operators also act on deliveries and alerts; admins also
 * change settings, run setup and manage the team.
 */
export const METHOD_ROLES: { readonly [M in keyof typeof methods]: Role } = {
  getStatus: 'viewer',
  listAlerts: 'viewer',
  listDeliveries: 'viewer',
  getDelivery: 'viewer',
  rerunDelivery: 'operator',
  replayDelivery: 'operator',
  rerunJob: 'operator',
  sendJobNow: 'operator',
  retryAllFailed: 'operator',
  acceptAlert: 'operator',
  pauseTarget: 'operator',
  resumeTarget: 'operator',
  getSetup: 'viewer',
  checkIlertSource: 'admin',
  startTunnel: 'admin',
  stopTunnel: 'admin',
  checkReachability: 'admin',
  startIntegrationTest: 'admin',
  getIntegrationTest: 'viewer',
  cancelIntegrationTest: 'admin',
  testLevelConnection: 'admin',
  syncLevel: 'operator',
  getRouting: 'viewer',
  setGroupRoute: 'admin',
  backfillAlerts: 'operator',
  listReconciliations: 'viewer',
  getSettings: 'viewer',
  getSettingsMetadata: 'viewer',
  updateSettings: 'admin',
  createMember: 'admin',
  listMembers: 'admin',
  revokeMember: 'admin',
  changeMemberRole: 'admin',
  listAudit: 'viewer',
  whoAmI: 'viewer',
  rotateAdminToken: 'admin',
  createMaintenanceWindow: 'operator',
  listMaintenanceWindows: 'viewer',
  endMaintenanceWindow: 'operator',
  sendHeldNow: 'operator',
  listRules: 'viewer',
  saveRules: 'admin',
  dryRunRules: 'operator',
  listSources: 'viewer',
  createSource: 'admin',
  updateSource: 'admin',
  deleteSource: 'admin',
  previewSourceTemplates: 'admin',
  lastSourceBody: 'admin',
  testSource: 'admin',
  previewLevelTemplates: 'admin',
};

export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/**
 * Replay with edits signs an event Level never sent, so it can page anyone: admins may, operators
 * only when the admin allowed it in Settings (`operatorsMayReplayWithEdits`). Checked on the server
 * (replayDelivery) and by the dashboard's button alike.
 */
export function mayReplayWithEdits(role: Role, operatorsMayReplayWithEdits: boolean): boolean {
  return role === 'admin' || (role === 'operator' && operatorsMayReplayWithEdits);
}

export type MethodName = keyof typeof methods;
export type MethodInput<M extends MethodName> = z.input<(typeof methods)[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<(typeof methods)[M]['output']>;
/** Who made a call: a paired person, the owner's admin link, or the desktop app's own window. */
export interface Caller {
  name: string;
  role: Role;
  memberId?: number;
}
export type Handlers = { [M in MethodName]: (input: z.output<(typeof methods)[M]['input']>, caller: Caller) => Promise<MethodOutput<M>> | MethodOutput<M> };

export type RelayStatusView = z.output<typeof relayStatusSchema>;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export type DeliveryFilter = z.output<typeof deliveryFilterSchema>;
export type DeliveryPage = z.output<typeof deliveryPageSchema>;
export type DeliveryRow = z.output<typeof deliveryRowSchema>;
export type DeliveryDetail = z.output<typeof deliveryDetailSchema>;
export type JobView = z.output<typeof jobViewSchema>;
export type AttemptView = z.output<typeof attemptViewSchema>;
export type AlertRow = z.output<typeof alertRowSchema>;
export type AlertPageInput = z.output<typeof alertPageInputSchema>;
export type AlertPage = z.output<typeof alertPageSchema>;
export type AlertEntry = z.output<typeof alertEntrySchema>;
export type SettingsView = z.output<typeof settingsViewSchema>;
export type SettingMetadata = z.output<typeof settingMetadataSchema>;
export type SettingsPatch = z.output<typeof settingsPatchSchema>;
export type Diagnosis = z.output<typeof diagnosisSchema>;
export type TunnelStateView = z.output<typeof tunnelStateSchema>;
export type SetupInfo = z.output<typeof setupInfoSchema>;
export type IlertSourceCheck = z.output<typeof ilertSourceCheckSchema>;
export type SourceTest = z.output<typeof sourceTestSchema>;
export type Reachability = z.output<typeof reachabilitySchema>;
export type IntegrationTest = z.output<typeof integrationTestSchema>;
export type ConnectionCheck = z.output<typeof connectionCheckSchema>;
export type RoutingView = z.output<typeof routingViewSchema>;
export type Reconciliation = z.output<typeof reconciliationSchema>;
export type Member = z.output<typeof memberSchema>;
export type AuditEntry = z.output<typeof auditEntrySchema>;
export type CallerView = z.output<typeof callerViewSchema>;
export type WindowScope = z.output<typeof windowScopeSchema>;
export type CreateWindowInput = z.output<typeof createWindowSchema>;
export type WindowView = z.output<typeof windowViewSchema>;
export type HeldView = z.output<typeof heldViewSchema>;
export type RuleInput = z.output<typeof ruleSchema>;
export type RuleView = z.output<typeof ruleViewSchema>;
export type RulesView = z.output<typeof rulesViewSchema>;
export type RuleDryRun = z.output<typeof ruleDryRunSchema>;

/**
 * What changed besides rows: the relay's app events (electron/core/app-events.ts) and the store's
 * writes that are not deliveries, jobs or alerts. Each UI answer goes stale only on its own topics.
 */
export const changeTopics = [
  'settings',
  'tunnel',
  'reachability',
  'alert-sources',
  'ilert-state',
  'level-sync',
  'integration-test',
  'store-health',
  'forwarding',
  'public-port',
  'processing',
  'mirror',
  'routing',
  'windows',
  'reconciliation',
  'rules',
] as const;
export type ChangeTopic = (typeof changeTopics)[number];

/** Pushed from the core to every UI, batched (see ChangeBatcher). */
export const pushedEvents = {
  changes: z.object({
    deliveries: z.array(z.number().int()),
    jobs: z.array(z.number().int()),
    alerts: z.array(z.string()),
    /**
     * Something other than rows changed. Kept beside `topics` for UIs that predate them; without
     * `topics` (an older relay, a reconnect) it means any topic may have changed.
     */
    setup: z.boolean().optional(),
    /** Which topics changed; an unknown one (a newer relay) is ignored. */
    topics: z.array(z.string()).optional(),
  }),
} as const;

export type PushedEventName = keyof typeof pushedEvents;
export type PushedEvent<E extends PushedEventName> = z.output<(typeof pushedEvents)[E]>;

/** Errors cross the boundary as a code and a message a person can act on. */
/** `unavailable`: the desktop app's relay did not start (see the desktop methods in bridge.ts). */
/** `unauthorized`: no valid token (401); `forbidden`: the caller's role is too low (403). */
/** `not_found` (404): no such thing; `conflict` (409): not possible in the relay's present state, the reason says why; `rate_limited` (429): too many, try again later; `bad_input` (4xx): the request itself is wrong. */
export type ApiError = { code: 'bad_input' | 'not_found' | 'conflict' | 'rate_limited' | 'internal' | 'unavailable' | 'unauthorized' | 'forbidden'; message: string };
