import type { LevelAlert } from '../level/envelope.ts';
import type { Severity } from '../../../shared/contract.ts';

/** The body of `POST /api/events` (schema `Event` in ilert's OpenAPI spec), minus the integration key. */
export interface IlertEventBody {
  eventType: 'ALERT' | 'ACCEPT' | 'RESOLVE' | 'COMMENT';
  summary: string;
  details?: string;
  alertKey: string;
  priority?: 'HIGH' | 'LOW';
  labels?: Record<string, string>;
  customDetails?: Record<string, unknown>;
  links?: { href: string; text: string }[];
  comments?: { creator: string; content: string }[];
  routingKey?: string;
}

/** What the relay knows about the alert's device from Level's API, added to the ilert event. */
export interface Enrichment {
  groupPath?: string | undefined;
  operatingSystem?: string | undefined;
  platform?: string | undefined;
  lastUser?: string | undefined;
}

export const SUMMARY_LIMIT = 255;
const DETAILS_LIMIT = 20_000;
/**
 * ilert documents no size limit for an event (https://api.ilert.com/api-docs/#tag/Events), and a
 * 413 or 400 would fail the event without paging anyone: every event stays under 64 KiB of JSON.
 */
export const EVENT_BYTES_LIMIT = 64 * 1024;
/** Room for `"integrationKey":"…",`, which the events client adds to the body. */
const INTEGRATION_KEY_ROOM = 256;
const CUSTOM_STRING_LIMIT = 2_000;
export const TRUNCATION_MARKER = 'truncated by the relay to stay under 64 KiB; the full Level alert is in the relay’s delivery log';

export function alertKeyFor(levelAlertId: string): string {
  return `level-alert-${levelAlertId}`;
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * At most `limit` UTF-16 units, ending in “…” when cut. The cut falls between grapheme clusters,
 * so no surrogate pair (an emoji) or combining sequence is split and no lone surrogate reaches ilert.
 */
export function truncate(text: string, limit: number, ellipsis = '…'): string {
  if (text.length <= limit) return text;
  const room = limit - ellipsis.length;
  // Only the start is segmented; two units beyond the cut are enough to place the last boundary.
  let kept = 0;
  for (const { segment } of graphemes.segment(text.slice(0, limit + 2))) {
    if (kept + segment.length > room) break;
    kept += segment.length;
  }
  return `${text.slice(0, kept)}${ellipsis}`;
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** Every string in a JSON value cut to `limit`, so one huge field cannot carry the whole event. */
function shortenStrings(value: unknown, limit: number): unknown {
  if (typeof value === 'string') return truncate(value, limit);
  if (Array.isArray(value)) return value.map((item) => shortenStrings(item, limit));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shortenStrings(item, limit)]));
  return value;
}

/**
 * Keeps an event under EVENT_BYTES_LIMIT: first the long strings in customDetails are cut, then
 * details to what room is left, each marked as cut. The original stays in the delivery log.
 */
export function capEventSize(body: IlertEventBody): IlertEventBody {
  const budget = EVENT_BYTES_LIMIT - INTEGRATION_KEY_ROOM;
  if (jsonBytes(body) <= budget) return body;
  const capped: IlertEventBody = { ...body };
  if (capped.customDetails) {
    capped.customDetails = { ...(shortenStrings(capped.customDetails, CUSTOM_STRING_LIMIT) as Record<string, unknown>), truncated: TRUNCATION_MARKER };
    // Many fields rather than one long one: keep only the marker and what identifies the event.
    if (jsonBytes(capped.customDetails) > budget / 4) {
      const { levelEventId, occurredAt } = body.customDetails as Record<string, unknown>;
      capped.customDetails = { levelEventId, occurredAt, truncated: TRUNCATION_MARKER };
    }
  }
  if (capped.details !== undefined) {
    const marker = `\n\n… (${TRUNCATION_MARKER})`;
    const { details } = capped;
    let limit = details.length;
    // JSON escapes and UTF-8 make bytes differ from units: shrink by the overshoot until it fits.
    for (let round = 0; round < 20 && jsonBytes(capped) > budget; round++) {
      const over = jsonBytes(capped) - budget;
      limit = Math.max(0, limit - Math.max(over, 64));
      capped.details = truncate(details, limit + marker.length, marker);
    }
  }
  return capped;
}

function payloadText(payload: unknown): string | undefined {
  if (payload === undefined || payload === null || payload === '') return undefined;
  return typeof payload === 'string' ? payload : JSON.stringify(payload, null, 2);
}

/** A fenced code block that cannot be closed early by backticks inside the payload. */
function codeBlock(text: string): string {
  const longestRun = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = '`'.repeat(longestRun + 1);
  return `${fence}\n${text}\n${fence}`;
}

export function summaryFor(alert: LevelAlert, resolved: boolean): string {
  const label = resolved ? 'RESOLVED' : (alert.severity ?? 'alert').toUpperCase();
  const name = alert.name?.trim() || 'Level alert';
  const host = alert.device_hostname?.trim();
  return truncate(`[${label}] ${name}${host ? ` on ${host}` : ''}`, SUMMARY_LIMIT);
}

export interface MappingContext {
  eventId: string;
  occurredAt: string;
  highPrioritySeverities: readonly Severity[];
  routingKey?: string | undefined;
  enrichment?: Enrichment | undefined;
  /** The ilert alert its events go to, when not its own (a refire folded into an open alert: see holds/flapping.ts). */
  alertKey?: string | undefined;
}

/** Maps a Level alert event to the ilert event the forwarder sends. Pure, so every rule is unit-tested. */
export function toIlertEvent(alert: LevelAlert, resolved: boolean, context: MappingContext): IlertEventBody {
  const enrichment = context.enrichment;
  const payload = payloadText(alert.payload);
  const lines = [
    alert.description?.trim() || undefined,
    payload ? `**Payload**\n\n${codeBlock(payload)}` : undefined,
    [
      `- **Device:** ${alert.device_hostname ?? 'unknown'}${alert.device_id ? ` (\`${alert.device_id}\`)` : ''}`,
      enrichment?.groupPath ? `- **Group:** ${enrichment.groupPath}` : undefined,
      enrichment?.operatingSystem || enrichment?.platform
        ? `- **OS:** ${[enrichment.operatingSystem, enrichment.platform && `(${enrichment.platform})`].filter(Boolean).join(' ')}`
        : undefined,
      enrichment?.lastUser ? `- **Last user:** ${enrichment.lastUser}` : undefined,
      `- **Severity:** ${alert.severity ?? 'unknown'}`,
      `- **Started:** ${alert.started_at ?? context.occurredAt}`,
      resolved ? `- **Resolved:** ${alert.resolved_at ?? context.occurredAt}` : undefined,
      `- **Level alert id:** \`${alert.id}\``,
      `- **Level event id:** \`${context.eventId}\``,
    ]
      .filter(Boolean)
      .join('\n'),
  ].filter(Boolean);

  const labels: Record<string, string> = { source: 'level', level_alert_id: alert.id };
  if (alert.severity) labels.severity = alert.severity;
  if (alert.device_hostname) labels.device_hostname = alert.device_hostname;
  if (alert.device_id) labels.device_id = alert.device_id;
  if (enrichment?.groupPath) labels.group = enrichment.groupPath;
  if (enrichment?.platform) labels.platform = enrichment.platform;
  for (const [name, value] of Object.entries(labels)) labels[name] = truncate(value, SUMMARY_LIMIT);

  const body: IlertEventBody = {
    eventType: resolved ? 'RESOLVE' : 'ALERT',
    summary: summaryFor(alert, resolved),
    details: truncate(lines.join('\n\n'), DETAILS_LIMIT),
    alertKey: context.alertKey ?? alertKeyFor(alert.id),
    priority: alert.severity && context.highPrioritySeverities.includes(alert.severity) ? 'HIGH' : 'LOW',
    labels,
    customDetails: {
      level: { ...alert },
      levelEventId: context.eventId,
      occurredAt: context.occurredAt,
      ...(enrichment && Object.values(enrichment).some(Boolean) ? { device: { ...enrichment } } : {}),
    },
  };
  if (!resolved && context.routingKey) body.routingKey = context.routingKey;
  return capEventSize(body);
}
