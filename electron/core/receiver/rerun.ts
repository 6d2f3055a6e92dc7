import { ConflictError, NotFoundError } from '../errors.ts';
import { AUTOMATION_PATH } from '../ingest/automation.ts';
import type { IngestPipeline, WebhookResult } from '../ingest/pipeline.ts';
import { ingestSourceRequest, sourceSettingsOf } from '../ingest/source-ingest.ts';
import { SOURCE_PATH_PREFIX } from '../ingest/interpret.ts';
import { sign } from '../level/signature.ts';
import type { Settings } from '../settings.ts';
import { internalDelivery } from '../store/inbound-delivery.ts';
import type { ReadModels } from '../store/read-models.ts';
import { BODY_LIMIT_BYTES, WEBHOOK_PATH } from './receiver.ts';

/**
 * A stored inbound delivery sent through the ingest again: as it came (re-run), or as a
 * technician edited it (replay). Both are recorded as deliveries of their own, pointing at the
 * original; dedup still protects ilert.
 */
export class Rerun {
  readonly #read: ReadModels;
  readonly #ingest: IngestPipeline;
  readonly #settings: () => Settings;

  constructor(options: { read: ReadModels; ingest: IngestPipeline; settings: () => Settings }) {
    this.#read = options.read;
    this.#ingest = options.ingest;
    this.#settings = options.settings;
  }

  /** Runs a stored inbound delivery through the whole pipeline again. */
  async rerunDelivery(deliveryId: number): Promise<WebhookResult> {
    const stored = this.#read.storedRequest(deliveryId);
    if (!stored) throw new NotFoundError(`no delivery ${deliveryId}`);
    if (stored.truncated) throw new NotFoundError(`delivery ${deliveryId} failed authentication, so only its first bytes were kept: there is nothing to run again`);
    if (!stored.body) throw new NotFoundError(`delivery ${deliveryId} has no stored body to run again`);
    const delivery = internalDelivery('rerun', { method: stored.method, path: stored.path, headers: stored.headers, body: Buffer.from(stored.body), rerunOf: deliveryId });
    if (stored.path === AUTOMATION_PATH) return this.#ingest.automation(delivery, undefined);
    if (stored.path.startsWith(SOURCE_PATH_PREFIX))
      return ingestSourceRequest(this.#ingest, sourceSettingsOf(this.#settings()), stored.path.slice(SOURCE_PATH_PREFIX.length), delivery, {}, stored.receivedAt);
    if (stored.source === 'reconciled') throw new NotFoundError(`delivery ${deliveryId} was made by reconciliation; run “Backfill alerts” instead`);
    if (stored.source === 'app') throw new NotFoundError(`delivery ${deliveryId} is an Accept pressed in the app; retry its ilert event instead`);
    return this.#ingest.webhook(delivery, stored.headers['x-level-signature']);
  }

  /**
   * Replay with edits: the technician's copy of a delivery's body, signed with the webhook secret as
   * Level signs, through the receiver's own checks; recorded as a manual replay of the original.
   */
  async replayDelivery(deliveryId: number, body: Buffer): Promise<WebhookResult> {
    const secret = this.#settings().levelWebhookSecret;
    if (!secret) throw new ConflictError('no webhook secret is set, so the replay cannot be signed as Level would: set one under Settings');
    const original = this.#read.storedRequest(deliveryId);
    if (!original) throw new NotFoundError(`no delivery ${deliveryId}`);
    // A replay is signed with our secret: from a refused delivery it would launder what a stranger sent.
    if (original.refused) {
      const { statusCode, reason } = original.refused;
      throw new ConflictError(
        `delivery ${deliveryId} was refused (HTTP ${statusCode}${reason ? `: ${reason}` : ''}): only a delivery the relay accepted can be replayed with edits`,
      );
    }
    if (body.length > BODY_LIMIT_BYTES) throw new ConflictError(`body too large: ${body.length} bytes, the receiver's limit is ${BODY_LIMIT_BYTES}`);
    try {
      JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new ConflictError(`the body is not JSON: ${(error as Error).message}`);
    }
    const delivery = internalDelivery('replay', { path: WEBHOOK_PATH, headers: { 'content-type': 'application/json' }, body, rerunOf: deliveryId });
    return this.#ingest.webhook(delivery, sign(secret, body));
  }
}
