import type { LevelAlert } from '../level/envelope.ts';
import type { Severity } from '../settings.ts';

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

export function alertKeyFor(levelAlertId: string): string {
  return `level-alert-${levelAlertId}`;
}

function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
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

  const body: IlertEventBody = {
    eventType: resolved ? 'RESOLVE' : 'ALERT',
    summary: summaryFor(alert, resolved),
    details: truncate(lines.join('\n\n'), DETAILS_LIMIT),
    alertKey: alertKeyFor(alert.id),
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
  return body;
}
