import { z } from 'zod';
import { SEVERITIES, type Severity } from '../settings.ts';

const opaqueId = z.union([z.string().trim().min(1, 'must not be empty'), z.number().transform(String)]);

/** The envelope Level sends for every event type, including types Level adds in future. */
export const envelopeSchema = z.object({
  event_type: z.string().trim().min(1, 'must not be empty').max(100),
  event_id: z.string().trim().min(1, 'must not be empty').max(200),
  occurred_at: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time like 2026-03-13T18:30:00Z' }),
  data: z.looseObject({ id: opaqueId }),
});

export type Envelope = z.output<typeof envelopeSchema>;

const nullableText = z.string().nullish().transform((value) => value ?? undefined);

/** The alert resource in `data` of alert_* events. Lenient: a real alert is never refused for a missing detail. */
export const alertDataSchema = z.looseObject({
  id: opaqueId,
  device_id: opaqueId.nullish().transform((value) => value ?? undefined),
  device_hostname: nullableText,
  name: nullableText,
  description: nullableText,
  payload: z.unknown().optional(),
  severity: z
    .string()
    .nullish()
    .transform((value): Severity | undefined => {
      const lower = value?.trim().toLowerCase();
      return (SEVERITIES as readonly string[]).includes(lower ?? '') ? (lower as Severity) : undefined;
    }),
  is_resolved: z.boolean().nullish(),
  started_at: nullableText,
  resolved_at: nullableText,
});

export type LevelAlert = z.output<typeof alertDataSchema>;

export const ALERT_EVENT_TYPES = ['alert_active', 'alert_resolved'] as const;
export const DEVICE_EVENT_TYPES = ['device_created', 'device_updated', 'device_deleted'] as const;
export const GROUP_EVENT_TYPES = ['group_created', 'group_updated', 'group_deleted'] as const;

export type ParseResult =
  | { ok: true; envelope: Envelope; alert?: LevelAlert }
  | { ok: false; status: 400 | 422; reason: string };

function firstIssue(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid payload';
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  return `${path || 'body'}: ${issue.message}`;
}

/** Parses raw bytes into a validated envelope: 400 for bad JSON, 422 for a schema violation. */
export function parseDelivery(rawBody: Uint8Array): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(rawBody));
  } catch (error) {
    const message = error instanceof SyntaxError ? error.message : 'body is not valid UTF-8';
    return { ok: false, status: 400, reason: `bad JSON: ${message}` };
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) return { ok: false, status: 422, reason: firstIssue(envelope.error, '') };
  if (!(ALERT_EVENT_TYPES as readonly string[]).includes(envelope.data.event_type)) {
    return { ok: true, envelope: envelope.data };
  }
  const alert = alertDataSchema.safeParse(envelope.data.data);
  if (!alert.success) return { ok: false, status: 422, reason: firstIssue(alert.error, 'data') };
  return { ok: true, envelope: envelope.data, alert: alert.data };
}

/** Level's rule: resolved if the event says so, or the alert carries is_resolved or resolved_at. */
export function isResolvedAlertEvent(eventType: string, alert: LevelAlert): boolean {
  return eventType === 'alert_resolved' || alert.is_resolved === true || Boolean(alert.resolved_at);
}
