/**
 * The one contract between the relay core and any UI: every method with its input and output
 * schema, and every pushed event. The admin HTTP API (browser) and IPC (Electron) both serve it;
 * adding a method is one entry here plus its handler.
 */
import { z } from 'zod';

const id = z.object({ id: z.number().int().positive() });
const none = z.object({}).strict();
const optionalText = z.string().optional();

export const DELIVERY_STATUSES = ['accepted', 'duplicate', 'rejected', 'queued', 'retrying', 'sending', 'delivered', 'failed', 'skipped'] as const;
export const SEVERITY_LEVELS = ['emergency', 'critical', 'warning', 'information'] as const;

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
  problems: z.array(z.string()),
});

const jobStatus = z.enum(['queued', 'retrying', 'sending', 'delivered', 'failed', 'skipped']);

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
  source: z.enum(['webhook', 'rerun']),
  eventType: optionalText,
  eventId: optionalText,
  outcome: z.enum(['accepted', 'duplicate', 'rejected']),
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
  bodySize: z.number().int(),
  remoteAddr: optionalText,
  forwardedFor: optionalText,
  jobs: z.array(jobViewSchema.extend({ alertKey: z.string(), payload: z.string(), attemptLog: z.array(attemptViewSchema) })),
});

export const deliveryFilterSchema = z.object({
  statuses: z.array(z.enum(DELIVERY_STATUSES)).optional(),
  eventTypes: z.array(z.string().max(100)).optional(),
  severities: z.array(z.enum(SEVERITY_LEVELS)).optional(),
  since: z.number().optional(),
  until: z.number().optional(),
  search: z.string().max(200).optional(),
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
  forwarding: z.object({ jobId: z.number().int(), status: jobStatus, reason: optionalText, nextAttemptAt: z.number().optional() }).optional(),
});

export const alertListSchema = z.object({
  active: z.array(alertRowSchema),
  resolved: z.array(alertRowSchema),
  counts: z.record(z.string(), z.number().int()),
});

/** A secret never crosses to a UI in full: only whether it is set and a recognisable hint. */
const maskedSecret = z.object({ set: z.boolean(), hint: optionalText });

export const settingsViewSchema = z.object({
  values: z.object({
    host: z.string(),
    port: z.number().int(),
    adminPort: z.number().int(),
    ilertApiUrl: z.string(),
    ilertEventsPerMinute: z.number().int(),
    highPrioritySeverities: z.array(z.enum(SEVERITY_LEVELS)),
    retentionDays: z.number().int(),
    notifyMinSeverity: z.enum(SEVERITY_LEVELS),
    notifyResolves: z.boolean(),
    startAtLogin: z.boolean(),
  }),
  secrets: z.object({ levelWebhookSecret: maskedSecret, levelWebhookSecretPrevious: maskedSecret, ilertIntegrationKey: maskedSecret, ilertHeartbeatUrl: maskedSecret }),
  /** Settings fixed by environment variables: shown, not editable. */
  lockedByEnvironment: z.array(z.string()),
  problems: z.array(z.string()),
  /** Settings that take effect only after a restart, changed since start. */
  restartRequired: z.array(z.string()),
});

/** Any subset of settings; an empty string clears a secret. Validated by the core's schema. */
export const settingsPatchSchema = z
  .object({
    host: z.string(),
    port: z.number(),
    adminPort: z.number(),
    ilertApiUrl: z.string(),
    ilertEventsPerMinute: z.number(),
    highPrioritySeverities: z.array(z.string()),
    retentionDays: z.number(),
    notifyMinSeverity: z.string(),
    notifyResolves: z.boolean(),
    startAtLogin: z.boolean(),
    levelWebhookSecret: z.string(),
    levelWebhookSecretPrevious: z.string(),
    ilertIntegrationKey: z.string(),
    ilertHeartbeatUrl: z.string(),
  })
  .partial()
  .strict();

export const methods = {
  getStatus: { input: none, output: relayStatusSchema },
  listAlerts: { input: none, output: alertListSchema },
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
  rerunJob: { input: id, output: z.object({ queued: z.literal(true) }) },
  retryAllFailed: { input: none, output: z.object({ count: z.number().int() }) },
  getSettings: { input: none, output: settingsViewSchema },
  updateSettings: {
    input: settingsPatchSchema,
    output: z.discriminatedUnion('ok', [
      z.object({ ok: z.literal(true), settings: settingsViewSchema }),
      z.object({ ok: z.literal(false), errors: z.record(z.string(), z.string()) }),
    ]),
  },
} as const;

export type MethodName = keyof typeof methods;
export type MethodInput<M extends MethodName> = z.input<(typeof methods)[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<(typeof methods)[M]['output']>;
export type Handlers = { [M in MethodName]: (input: z.output<(typeof methods)[M]['input']>) => Promise<MethodOutput<M>> | MethodOutput<M> };

export type RelayStatusView = z.output<typeof relayStatusSchema>;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export type DeliveryFilter = z.output<typeof deliveryFilterSchema>;
export type DeliveryPage = z.output<typeof deliveryPageSchema>;
export type DeliveryRow = z.output<typeof deliveryRowSchema>;
export type DeliveryDetail = z.output<typeof deliveryDetailSchema>;
export type JobView = z.output<typeof jobViewSchema>;
export type AttemptView = z.output<typeof attemptViewSchema>;
export type AlertRow = z.output<typeof alertRowSchema>;
export type AlertList = z.output<typeof alertListSchema>;
export type SettingsView = z.output<typeof settingsViewSchema>;
export type SettingsPatch = z.output<typeof settingsPatchSchema>;

/** Pushed from the core to every UI, batched (see ChangeBatcher). */
export const pushedEvents = {
  changes: z.object({
    deliveries: z.array(z.number().int()),
    jobs: z.array(z.number().int()),
    alerts: z.array(z.string()),
  }),
} as const;

export type PushedEventName = keyof typeof pushedEvents;
export type PushedEvent<E extends PushedEventName> = z.output<(typeof pushedEvents)[E]>;

/** Errors cross the boundary as a code and a message a person can act on. */
export type ApiError = { code: 'bad_input' | 'not_found' | 'internal'; message: string };
