import { z } from 'zod';
import { SEVERITY_LEVELS, type Severity } from '../../../shared/contract.ts';

const opaqueId = z.union([z.string().trim().min(1, 'must not be empty'), z.number().transform(String)]);

/**
 * The envelope Level sends for every event type, including types Level adds in future.
 * `data.id` is '' for an unknown type whose data has no id: such an event is kept all the same.
 */
export interface Envelope {
  event_type: string;
  event_id: string;
  /** Always a UTC ISO string here, whatever form Level sent (see `readLevelTime`). */
  occurred_at: string;
  data: Record<string, unknown> & { id: string };
}

// Only what identifies the event is strict: without event_id nothing could be deduplicated.
const envelopeSchema = z.object({
  event_type: z.string().trim().min(1, 'must not be empty').max(100),
  event_id: z.union([z.string().trim().min(1, 'must not be empty').max(200), z.number().transform(String)]),
  occurred_at: z.unknown().optional(),
  data: z.unknown().optional(),
});

const knownResourceSchema = z.looseObject({ id: opaqueId });

const nullableText = z
  .string()
  .nullish()
  .transform((value) => value ?? undefined);

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
      return (SEVERITY_LEVELS as readonly string[]).includes(lower ?? '') ? (lower as Severity) : undefined;
    }),
  is_resolved: z.boolean().nullish(),
  started_at: nullableText,
  resolved_at: nullableText,
});

export type LevelAlert = z.output<typeof alertDataSchema>;

export const ALERT_EVENT_TYPES = ['alert_active', 'alert_resolved'] as const;
export const DEVICE_EVENT_TYPES = ['device_created', 'device_updated', 'device_deleted'] as const;
export const GROUP_EVENT_TYPES = ['group_created', 'group_updated', 'group_deleted'] as const;

export type ParseResult = { ok: true; envelope: Envelope; alert?: LevelAlert; notes: string[] } | { ok: false; status: 400 | 422; reason: string };

function firstIssue(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid payload';
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  return `${path || 'body'}: ${issue.message}`;
}

// ISO 8601 in the forms a sender plausibly writes: extended or basic, 'T' or a space, seconds and
// fractions optional, and a zone of Z, ±hh, ±hhmm or ±hh:mm, or none at all.
const ISO_TIME = /^(\d{4})-?(\d{2})-?(\d{2})(?:[Tt ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?\s*(?:([Zz]|UTC|GMT)|([+-])(\d{2})(?::?(\d{2}))?)?$/;
// The HTTP date style (RFC 7231 / RFC 2822), which always names its zone, so Date.parse reads it
// without guessing a local time.
const MAIL_TIME = /^(?:[A-Z][a-z]{2}, )?\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}(?::\d{2})? (?:GMT|UTC|[+-]\d{4})$/;

export type LevelTime = { iso: string; note?: string } | undefined;

/**
 * Reads a time Level may send. A time without a zone is read as UTC (and says so); undefined when
 * nothing sensible can be read, so the caller can fall back to the time of receipt.
 * Level documents "ISO-8601 UTC" (https://levelapi.readme.io/) but not the exact form.
 */
export function readLevelTime(value: unknown): LevelTime {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    // Epoch seconds or milliseconds: not ISO, but unambiguous.
    const ms = value < 1e11 ? value * 1000 : value;
    return { iso: new Date(ms).toISOString(), note: `occurred_at ${value} is a number, read as ${value < 1e11 ? 'seconds' : 'milliseconds'} since 1970` };
  }
  if (typeof value !== 'string') return undefined;
  const match = ISO_TIME.exec(value.trim());
  if (!match) {
    const ms = MAIL_TIME.test(value.trim()) ? Date.parse(value) : NaN;
    return Number.isFinite(ms) ? { iso: new Date(ms).toISOString() } : undefined;
  }
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zulu, sign, offsetHours, offsetMinutes = '00'] = match;
  const parts = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const [y, mo, d, h, mi, s] = parts;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  // A leap second (:60) is read as :59 rather than rolling over into the next minute.
  let ms = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59), Number(fraction.slice(0, 3).padEnd(3, '0')));
  if (new Date(ms).getUTCDate() !== d) return undefined;
  let note: string | undefined;
  if (sign && offsetHours) {
    const oh = Number(offsetHours);
    const om = Number(offsetMinutes);
    if (oh > 23 || om > 59) return undefined;
    ms -= (sign === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  } else if (!zulu) {
    note = `occurred_at ${JSON.stringify(value)} has no time zone; read as UTC`;
  }
  return note ? { iso: new Date(ms).toISOString(), note } : { iso: new Date(ms).toISOString() };
}

/**
 * Parses raw bytes into an envelope: 400 for bad JSON, 422 only when the event cannot be kept
 * meaningfully (no event_id or type; an alert, device or group without an id). Everything else
 * Level may plausibly send is accepted, with `notes` saying what had to be assumed.
 */
export function parseDelivery(rawBody: Uint8Array, receivedAt = Date.now()): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(rawBody));
  } catch (error) {
    const message = error instanceof SyntaxError ? error.message : 'body is not valid UTF-8';
    return { ok: false, status: 400, reason: `bad JSON: ${message}` };
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) return { ok: false, status: 422, reason: firstIssue(parsed.error, '') };
  const { event_type: eventType, event_id: eventId, occurred_at: rawTime, data } = parsed.data;

  const notes: string[] = [];
  const time = readLevelTime(rawTime);
  if (time?.note) notes.push(time.note);
  if (!time) {
    const shown = rawTime === undefined ? 'missing' : `${JSON.stringify(rawTime)?.slice(0, 60)} cannot be read as a time`;
    notes.push(`occurred_at ${shown}; used the time the relay received it`);
  }
  const occurredAt = time?.iso ?? new Date(receivedAt).toISOString();

  const isAlert = (ALERT_EVENT_TYPES as readonly string[]).includes(eventType);
  const isKnown = isAlert || (DEVICE_EVENT_TYPES as readonly string[]).includes(eventType) || (GROUP_EVENT_TYPES as readonly string[]).includes(eventType);
  if (!isKnown) {
    // An unknown type is kept whatever its data looks like: Level would drop it after three refusals.
    const object = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
    const id = opaqueId.safeParse(object.id);
    const envelope: Envelope = { event_type: eventType, event_id: eventId, occurred_at: occurredAt, data: { ...object, id: id.success ? id.data : '' } };
    return { ok: true, envelope, notes };
  }
  const resource = knownResourceSchema.safeParse(data);
  if (!resource.success) return { ok: false, status: 422, reason: firstIssue(resource.error, 'data') };
  const envelope: Envelope = { event_type: eventType, event_id: eventId, occurred_at: occurredAt, data: resource.data };
  if (!isAlert) return { ok: true, envelope, notes };
  const alert = alertDataSchema.safeParse(data);
  if (!alert.success) return { ok: false, status: 422, reason: firstIssue(alert.error, 'data') };
  return { ok: true, envelope, alert: alert.data, notes };
}

/** Level's rule: resolved if the event says so, or the alert carries is_resolved or resolved_at. */
export function isResolvedAlertEvent(eventType: string, alert: LevelAlert): boolean {
  return eventType === 'alert_resolved' || alert.is_resolved === true || Boolean(alert.resolved_at);
}

/** How the relay writes a Level group path, root first ("Acme / HQ"): one separator for routing, filters and display. */
export const PATH_SEPARATOR = ' / ';
