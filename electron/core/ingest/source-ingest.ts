import type http from 'node:http';
import type { IngestPipeline, WebhookResult } from './pipeline.ts';
import type { InboundDelivery } from '../store/inbound-delivery.ts';
import { verifySourceAuth } from '../sources/auth.ts';
import { sourceTargetProblem, type Settings } from '../settings.ts';
import { SOURCE_PATH_PREFIX, type SourceSettings } from './interpret.ts';

export function sourceSettingsOf(settings: Settings): SourceSettings {
  return { sources: settings.sources, targetProblem: (target) => sourceTargetProblem(settings, target) };
}

/**
 * A source's request into the same pipeline as Level's: authenticated here, then read and
 * acknowledged exactly like a Level alert (same log, processor, ledger, outbox, forwarder).
 * Refusals are recorded with a bounded trace, like Level's.
 */
export async function ingestSourceRequest(
  pipeline: IngestPipeline,
  { sources }: SourceSettings,
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
  // A re-run is of a stored body, and a body is kept whole only once its sender proved the secret.
  if (delivery.source !== 'rerun') {
    const auth = verifySourceAuth(source.auth, headers, delivery.body ?? new Uint8Array());
    if (!auth.ok) return refuse(401, auth.reason);
  }
  return pipeline.authenticated({ ...delivery, signature: source.auth.type === 'hmac' ? 'valid' : 'shared-secret' }, firstArrivedAt);
}
