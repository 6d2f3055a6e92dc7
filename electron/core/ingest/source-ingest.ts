import type http from 'node:http';
import { capEventSize, SUMMARY_LIMIT, truncate, type IlertEventBody } from '../ilert/event-mapping.ts';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from './verify.ts';
import type { IngestPipeline, WebhookResult } from './pipeline.ts';
import type { LevelAlert } from '../level/envelope.ts';
import type { InboundDelivery } from '../store/inbound-delivery.ts';
import { verifySourceAuth } from '../sources/auth.ts';
import { mapSourceEvent, type SourceConfig } from '../sources/source.ts';
import { sourceTargetProblem, type Settings } from '../settings.ts';

export const SOURCE_PATH_PREFIX = '/webhooks/source/';

/**
 * A source's request into the same pipeline as Level's: authenticated, parsed, shaped by its
 * templates, then stored before the answer exactly like a Level alert (same ledger, outbox,
 * forwarder, log). Refusals are recorded with a bounded trace, like Level's.
 */
/** The configured sources, and why a target cannot take a source's events (see settings' sourceTargetProblem). */
export interface SourceSettings {
  sources: readonly SourceConfig[];
  targetProblem: (target: string) => string | undefined;
}

export function sourceSettingsOf(settings: Settings): SourceSettings {
  return { sources: settings.sources, targetProblem: (target) => sourceTargetProblem(settings, target) };
}

export async function ingestSourceRequest(
  pipeline: IngestPipeline,
  { sources, targetProblem }: SourceSettings,
  slug: string,
  received: InboundDelivery,
  headers: http.IncomingHttpHeaders,
  /** When the body first arrived: a re-run's event id must be the original's, and a generic source's id counts the arrival. */
  firstArrivedAt = received.receivedAt,
): Promise<WebhookResult> {
  const source = sources.find((candidate) => candidate.slug === slug);
  // The receiver redacts headers whose names look secret; a source's own secret header may be named
  // anything (X-Auth), so it is redacted by name before anything is recorded.
  const delivery: InboundDelivery =
    source?.auth.type === 'header' && Object.hasOwn(received.headers, source.auth.header)
      ? { ...received, headers: { ...received.headers, [source.auth.header]: '[redacted]' } }
      : received;
  const refuse = async (statusCode: number, reason: string): Promise<WebhookResult> => {
    await pipeline.reject({ ...delivery, statusCode, reason });
    return { statusCode, body: { error: reason } };
  };
  if (!source) return refuse(404, `no source at ${SOURCE_PATH_PREFIX}${slug.slice(0, 60)}: add it in Settings → Sources first`);

  const body = delivery.body ?? new Uint8Array();
  // A re-run is of a stored body, and a body is kept whole only once its sender proved the secret.
  if (delivery.source !== 'rerun') {
    const auth = verifySourceAuth(source.auth, headers, body);
    if (!auth.ok) return refuse(401, auth.reason);
  }
  const checked: InboundDelivery = { ...delivery, signature: source.auth.type === 'hmac' ? 'valid' : 'shared-secret' };

  if (jsonNestingExceeds(body, MAX_JSON_DEPTH)) return refuse(422, `JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (error) {
    await pipeline.reject({ ...checked, statusCode: 400, reason: `the body is not JSON: ${(error as Error).message}`.slice(0, 300) });
    return { statusCode: 400, body: { error: 'the body is not JSON' } };
  }

  const mapping = mapSourceEvent(source, { body: parsed, rawBody: body, receivedAt: new Date(firstArrivedAt).toISOString() });
  if (!mapping.ok) {
    await pipeline.reject({ ...checked, statusCode: 422, reason: mapping.reason });
    return { statusCode: 422, body: { error: mapping.reason } };
  }
  const event = mapping.event;
  if (event.action === 'ignore') {
    // Kept and answered 202, so the sender does not retry; the log says why nothing went to ilert.
    const envelope = { event_type: 'source_ignored', event_id: event.eventId, occurred_at: new Date(delivery.receivedAt).toISOString(), data: { id: event.eventId } };
    return pipeline.parsed(checked, envelope, undefined, [`ignored: ${event.reason}`]);
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
  const ilertBody: IlertEventBody = capEventSize({
    eventType: resolved ? 'RESOLVE' : 'ALERT',
    summary: truncate(event.summary, SUMMARY_LIMIT),
    ...(event.details === undefined ? {} : { details: event.details }),
    alertKey,
    ...(event.priority === undefined ? {} : { priority: event.priority }),
    labels: { source: source.slug, kind: source.kind },
    customDetails: { source: source.name, eventId: event.eventId, occurredAt: event.occurredAt, body: parsed },
  });
  const envelope = { event_type: resolved ? 'alert_resolved' : 'alert_active', event_id: event.eventId, occurred_at: event.occurredAt, data: { id: alert.id } };
  return pipeline.parsed(checked, envelope, alert, event.notes, {
    alertKey,
    resolved,
    body: ilertBody,
    route: { target: source.target, reason: `the ${source.name} source’s target`, skip: targetProblem(source.target) },
  });
}
