import type { Envelope, LevelAlert } from '../level/envelope.ts';
import { StoreUnavailableError } from '../store/database.ts';
import type { Store } from '../store/store.ts';
import type { DeliveryDescription } from '../store/alert-ledger.ts';
import { inboundRow } from '../store/inbound-log.ts';
import { internalDelivery, type InboundDelivery, type RejectedDelivery } from '../store/inbound-delivery.ts';
import { authenticateAutomation, authenticateWebhook, type Authenticated, type WebhookSecrets } from './verify.ts';
import { interpret, type Interpretation, type SourceSettings } from './interpret.ts';
import type { Processor } from './processor.ts';
import type { Logger } from '../logger.ts';

/** The answer for whoever sent the delivery. */
export interface WebhookResult {
  statusCode: number;
  body: Record<string, unknown>;
}

export interface IngestOptions {
  log: Logger;
  store: Store;
  secrets: () => WebhookSecrets;
  /** Other sources' settings of the moment, to read their bodies by. */
  sources: () => SourceSettings;
  /** Applies what was acknowledged; woken after each append. */
  processor: Processor;
}

/** How long a delivery the relay makes waits for its outcome before the answer says it is still being worked on (processing stopped, say). */
const OUTCOME_WAIT_MS = 15_000;

/** Deliveries the relay makes itself wait for their outcome: whoever made them (a re-run, reconciliation, the setup test) wants to know it. */
const NETWORK_SOURCES: ReadonlySet<InboundDelivery['source']> = new Set(['webhook', 'automation']);

/**
 * The acknowledgement path: check who sent it, read the envelope, append one delivery to the
 * inbound log in the next group commit, answer. Everything the event causes (state, routing,
 * ilert work) is applied after the answer, by the processor, from the stored delivery. The HTTP
 * receiver, re-runs, reconciliation and the setup test all come in here.
 */
export class IngestPipeline {
  readonly #options: IngestOptions;

  constructor(options: IngestOptions) {
    this.#options = options;
  }

  webhook(delivery: InboundDelivery, signatureHeader: string | undefined): Promise<WebhookResult> {
    return this.#receive(authenticateWebhook(delivery, signatureHeader, this.#options.secrets()));
  }

  automation(delivery: InboundDelivery, secretHeader: string | undefined): Promise<WebhookResult> {
    return this.#receive(authenticateAutomation(delivery, secretHeader, this.#options.secrets().automation));
  }

  /** An event the relay makes up itself (reconciliation, the setup test): stored and applied like a webhook. */
  madeUp(source: 'reconciled' | 'test', path: string, envelope: Envelope): Promise<WebhookResult> {
    return this.authenticated(internalDelivery(source, { path, body: Buffer.from(JSON.stringify(envelope)) }));
  }

  async #receive(checked: Authenticated): Promise<WebhookResult> {
    if (!checked.ok) return this.#refuse({ ...checked.delivery, statusCode: checked.statusCode, reason: checked.reason });
    return this.authenticated(checked.delivery);
  }

  /** A delivery whose sender is known: read it, then append it to the log. */
  async authenticated(delivery: InboundDelivery, firstArrivedAt = delivery.receivedAt): Promise<WebhookResult> {
    const bytes = { path: delivery.path, body: delivery.body ?? new Uint8Array(), receivedAt: delivery.receivedAt, contentType: delivery.headers['content-type'], firstArrivedAt };
    const read = interpret(bytes, this.#options.sources());
    if (!read.ok) return this.#refuse({ ...delivery, statusCode: read.statusCode, reason: read.reason });
    return this.#append(delivery, read.value);
  }

  /** Logs a refused delivery; the answer to the sender does not depend on whether that worked. */
  async reject(rejected: RejectedDelivery): Promise<void> {
    try {
      await this.#options.store.recordRejected(rejected);
    } catch {
      // Store unavailable: the status code still tells the sender what was wrong.
    }
  }

  async #refuse(rejected: RejectedDelivery): Promise<WebhookResult> {
    await this.reject(rejected);
    return { statusCode: rejected.statusCode, body: { error: rejected.reason } };
  }

  async #append(delivery: InboundDelivery, read: Interpretation): Promise<WebhookResult> {
    const { store, processor } = this.#options;
    const { envelope, alert, note } = read;
    // What had to be assumed (a time without zone, say) goes to the delivery log and the log.
    if (note) this.#options.log.warn(`event ${envelope.event_id.slice(0, 80)}: ${note}`);
    let appended: { id: number; duplicate: boolean };
    try {
      appended = await store.append(
        inboundRow(delivery, {
          eventId: envelope.event_id,
          eventType: envelope.event_type,
          occurredAt: envelope.occurred_at,
          claimedOccurredAt: read.claimedOccurredAt,
          resourceId: envelope.data.id,
          note,
          described: describe(envelope, alert),
        }),
      );
    } catch (error) {
      if (error instanceof StoreUnavailableError) return { statusCode: 503, body: { error: 'store unavailable, retry later' } };
      // Not the store: something in this event itself could not be stored. Answering 5xx would only
      // make Level send the same bytes again; a recorded 422 shows the user what it was.
      return this.#refuse({
        ...delivery,
        statusCode: 422,
        reason: `the relay could not store this event: ${(error as Error).message}`.slice(0, 500),
        eventId: envelope.event_id,
        eventType: envelope.event_type,
      });
    }
    if (appended.duplicate) return { statusCode: 200, body: { duplicate: true, event_id: envelope.event_id } };
    processor.wake();
    if (!NETWORK_SOURCES.has(delivery.source)) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), OUTCOME_WAIT_MS)));
      const settled = await Promise.race([processor.settled(appended.id), late]).finally(() => clearTimeout(timer));
      if (settled === 'late')
        return { statusCode: 202, body: { accepted: true, event_id: envelope.event_id, processing: 'the relay is still working on it: see the delivery log' } };
      if (settled?.outcome === 'failed') return { statusCode: 422, body: { error: settled.reason ?? 'the relay could not process this event' } };
    }
    return { statusCode: 202, body: { accepted: true, event_id: envelope.event_id } };
  }
}

function describe(envelope: Envelope, alert: LevelAlert | undefined): DeliveryDescription {
  const data = envelope.data as Record<string, unknown>;
  return {
    levelAlertId: alert?.id,
    name: alert?.name ?? (typeof data.name === 'string' ? data.name : undefined),
    hostname: alert?.device_hostname ?? (typeof data.hostname === 'string' ? data.hostname : undefined),
    severity: alert?.severity,
  };
}
