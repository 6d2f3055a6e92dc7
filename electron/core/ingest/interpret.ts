import { capEventSize, SUMMARY_LIMIT, truncate, type IlertEventBody } from '../ilert/event-mapping.ts';
import { parseDelivery, type Envelope, type LevelAlert } from '../level/envelope.ts';
import type { RouteChoice } from '../routing/router.ts';
import { mapSourceEvent, type SourceConfig } from '../sources/source.ts';
import { AUTOMATION_PATH, parseAutomation } from './automation.ts';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from './verify.ts';

export const SOURCE_PATH_PREFIX = '/webhooks/source/';

/**
 * What a stored delivery means, read from its bytes alone (its path says how): the ack reads it to
 * answer, and the processor reads the same bytes again to apply it, so both always agree and a
 * restart after a crash applies exactly what was acknowledged.
 */
export interface Interpretation {
  /** The event as it counts: a time far ahead of its receipt is the time of receipt. */
  envelope: Envelope;
  alert: LevelAlert | undefined;
  /** What had to be assumed to accept it (e.g. a time without zone), shown as the delivery's reason. */
  note: string | undefined;
  /** The sender's own occurred_at when it was too far ahead to count. */
  claimedOccurredAt: string | undefined;
  /** From a source other than Level: its templates made the ilert event, its configuration chose the target. */
  shaped: ShapedAlert | undefined;
}

/** An alert event a source's templates already turned into ilert's terms (see sources/). */
export interface ShapedAlert {
  alertKey: string;
  resolved: boolean;
  body: IlertEventBody;
  route: RouteChoice;
}

export type Interpreted = { ok: true; value: Interpretation } | { ok: false; statusCode: number; reason: string };

/** The configured sources, and why a target cannot take a source's events (see settings' sourceTargetProblem). */
export interface SourceSettings {
  sources: readonly SourceConfig[];
  targetProblem: (target: string) => string | undefined;
}

/** The bytes of one delivery and what the interpretation depends on besides them. */
export interface DeliveryBytes {
  path: string;
  body: Uint8Array;
  receivedAt: number;
  contentType: string | undefined;
  /** When the body first arrived: a re-run's event id must be the original's, and a generic source's id counts the arrival. */
  firstArrivedAt: number;
}

/**
 * How far ahead of its receipt an event's time may be and still count: clocks drift a little, but
 * one event dated in the future (a resolve dated 2099) would otherwise make every later real
 * event look stale, for good.
 */
const EVENT_TIME_AHEAD_LIMIT_MS = 5 * 60_000;

/** Reads a delivery by its path: Level's webhook (and everything the relay makes in its shape), an automation, or another source. */
export function interpret(bytes: DeliveryBytes, sources: SourceSettings): Interpreted {
  if (bytes.path === AUTOMATION_PATH) return interpretAutomation(bytes);
  if (bytes.path.startsWith(SOURCE_PATH_PREFIX)) {
    const slug = bytes.path.slice(SOURCE_PATH_PREFIX.length);
    const source = sources.sources.find((candidate) => candidate.slug === slug);
    if (!source) return { ok: false, statusCode: 404, reason: `no source at ${SOURCE_PATH_PREFIX}${slug.slice(0, 60)}: add it in Settings → Sources first` };
    return interpretSource(source, bytes, sources.targetProblem);
  }
  return interpretLevel(bytes);
}

export function interpretLevel(bytes: DeliveryBytes): Interpreted {
  if (jsonNestingExceeds(bytes.body, MAX_JSON_DEPTH)) return refuse(422, `JSON nested more than ${MAX_JSON_DEPTH} levels deep: no Level event is`);
  const parsed = parseDelivery(bytes.body, bytes.receivedAt);
  if (!parsed.ok) return parsed.status === 400 ? notJson(bytes.contentType, parsed.reason) : refuse(parsed.status, parsed.reason);
  return counted(bytes.receivedAt, parsed.envelope, parsed.alert, parsed.notes);
}

export function interpretAutomation(bytes: DeliveryBytes): Interpreted {
  if (jsonNestingExceeds(bytes.body, MAX_JSON_DEPTH)) return refuse(422, `JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
  const parsed = parseAutomation(bytes.body, bytes.receivedAt);
  if (!parsed.ok) return parsed.status === 400 ? notJson(bytes.contentType, parsed.reason) : refuse(parsed.status, parsed.reason);
  return counted(bytes.receivedAt, parsed.envelope, parsed.alert, parsed.notes);
}

/** A source's body, shaped by its templates into an ilert event; its configuration chooses the target. */
export function interpretSource(source: SourceConfig, bytes: DeliveryBytes, targetProblem: (target: string) => string | undefined): Interpreted {
  if (jsonNestingExceeds(bytes.body, MAX_JSON_DEPTH)) return refuse(422, `JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes.body).toString('utf8'));
  } catch (error) {
    return refuse(400, `the body is not JSON: ${(error as Error).message}`.slice(0, 300));
  }
  const mapping = mapSourceEvent(source, { body: parsed, rawBody: bytes.body, receivedAt: new Date(bytes.firstArrivedAt).toISOString() });
  if (!mapping.ok) return refuse(422, mapping.reason);
  const event = mapping.event;
  if (event.action === 'ignore') {
    // Kept and answered 202, so the sender does not retry; the log says why nothing went to ilert.
    const envelope = { event_type: 'source_ignored', event_id: event.eventId, occurred_at: new Date(bytes.receivedAt).toISOString(), data: { id: event.eventId } };
    return counted(bytes.receivedAt, envelope, undefined, [`ignored: ${event.reason}`]);
  }
  const { alertKey } = event;
  const resolved = event.action === 'resolve';
  const alert: LevelAlert = {
    id: `source:${alertKey}`,
    device_id: undefined,
    device_hostname: undefined,
    name: truncate(event.summary, SUMMARY_LIMIT),
    description: event.details,
    severity: undefined,
    is_resolved: resolved,
    started_at: resolved ? undefined : event.occurredAt,
    resolved_at: resolved ? event.occurredAt : undefined,
  };
  const body: IlertEventBody = capEventSize({
    eventType: resolved ? 'RESOLVE' : 'ALERT',
    summary: truncate(event.summary, SUMMARY_LIMIT),
    ...(event.details === undefined ? {} : { details: event.details }),
    alertKey,
    ...(event.priority === undefined ? {} : { priority: event.priority }),
    labels: { source: source.slug, kind: source.kind },
    customDetails: { source: source.name, eventId: event.eventId, occurredAt: event.occurredAt, body: parsed },
  });
  const envelope = { event_type: resolved ? 'alert_resolved' : 'alert_active', event_id: event.eventId, occurred_at: event.occurredAt, data: { id: alert.id } };
  const shaped = { alertKey, resolved, body, route: { target: source.target, reason: `the ${source.name} source’s target`, skip: targetProblem(source.target) } };
  return counted(bytes.receivedAt, envelope, alert, event.notes, shaped);
}

/** The event as it counts: a time far ahead of its receipt becomes the time of receipt, said in a note. */
function counted(receivedAt: number, sent: Envelope, alert: LevelAlert | undefined, parseNotes: readonly string[], shaped?: ShapedAlert): Interpreted {
  const notes = [...parseNotes];
  let envelope = sent;
  let claimedOccurredAt: string | undefined;
  const claimedMs = Date.parse(sent.occurred_at);
  if (claimedMs > receivedAt + EVENT_TIME_AHEAD_LIMIT_MS) {
    const received = new Date(receivedAt).toISOString();
    const minutes = Math.round((claimedMs - receivedAt) / 60_000).toLocaleString('en');
    envelope = { ...sent, occurred_at: received };
    claimedOccurredAt = sent.occurred_at;
    notes.push(`occurred_at ${sent.occurred_at} is ${minutes} minutes after the relay received the event; counted as received (${received})`);
  }
  return { ok: true, value: { envelope, alert, note: notes.length > 0 ? notes.join('; ') : undefined, claimedOccurredAt, shaped } };
}

function refuse(statusCode: number, reason: string): Interpreted {
  return { ok: false, statusCode, reason };
}

function isJsonContentType(value: string | undefined): boolean {
  const type = value?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
}

/**
 * Level does not document the content type it sends, so a verified body that parses as JSON is
 * taken whatever its Content-Type says; only a body that is not JSON is refused for its type.
 */
function notJson(contentType: string | undefined, reason: string): Interpreted {
  if (isJsonContentType(contentType)) return refuse(400, reason);
  return refuse(415, `unsupported content type ${JSON.stringify(contentType ?? '')} and the body is not JSON (${reason}): send application/json`);
}
