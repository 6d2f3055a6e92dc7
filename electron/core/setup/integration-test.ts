import { randomUUID } from 'node:crypto';
import type { IntegrationTest } from '../../../shared/contract.ts';
import { alertKeyFor } from '../ilert/event-mapping.ts';
import type { IlertApi } from '../ilert/ilert-api.ts';
import { alertDataSchema, type Envelope, type LevelAlert } from '../level/envelope.ts';
import { sign, SIGNATURE_HEADER } from '../level/signature.ts';
import type { Store } from '../store/store.ts';
import { RECONCILED_EVENT_PREFIX } from '../store/alert-ledger.ts';
import { firstLevelAlertSince, lastJobOf, testDelivery } from '../store/setup-test-reads.ts';
import type { WebhookResult } from '../ingest/pipeline.ts';
import type { Announce } from '../app-events.ts';
import type { Logger } from '../logger.ts';

type Hop = IntegrationTest['hops'][number];
type HopId = Hop['id'];

const LABELS: Record<HopId, string> = {
  received: 'Received by the relay',
  signature: 'Signature checked',
  sent: 'Sent to ilert',
  'ilert-alert': 'Alert visible in ilert',
  'resolve-sent': 'Resolve sent to ilert',
  'ilert-resolved': 'Resolved in ilert',
};

export const TEST_ALERT_NAME = 'TEST — synthetic alert from the relay setup wizard (not a real problem)';
/** Level alert ids of synthetic test alerts; no real Level alert id looks like this. */
export const TEST_ALERT_PREFIX = 'relay-test-';

/** The `data` of a synthetic test alert, as Level would send it. */
function syntheticAlertData(levelAlertId: string, resolved: boolean, startedAt: string, now: string): Record<string, unknown> & { id: string } {
  return {
    id: levelAlertId,
    device_id: 'relay-test-device',
    device_hostname: 'RELAY-SETUP-TEST',
    name: TEST_ALERT_NAME,
    description: 'Sent by the Level → ilert Relay setup wizard to test the integration. It resolves itself.',
    payload: null,
    severity: 'warning',
    is_resolved: resolved,
    started_at: startedAt,
    resolved_at: resolved ? now : null,
  };
}

/**
 * The resolve that closes a synthetic test alert left open (a test that failed, was cancelled or
 * died with the relay). Stored like a webhook, so the RESOLVE goes through the durable outbox and
 * survives an ilert outage; its event id is fixed per alert, so the runner and the reconciler
 * never send it twice.
 */
export function testAlertResolve(levelAlertId: string, startedAt: string, now = new Date().toISOString()): { envelope: Envelope; alert: LevelAlert } {
  const data = syntheticAlertData(levelAlertId, true, startedAt, now);
  return {
    envelope: { event_type: 'alert_resolved', event_id: `${RECONCILED_EVENT_PREFIX}${levelAlertId}:resolved`, occurred_at: now, data },
    alert: alertDataSchema.parse(data),
  };
}

export interface IntegrationTestOptions {
  log: Logger;
  store: Store;
  announce: Announce;
  /** Where Level would post: the public URL's webhook path, else the local receiver. */
  webhookUrl: () => { url: string; public: boolean } | undefined;
  secret: () => string | undefined;
  ilertApi: () => IlertApi | undefined;
  /** ilert's alertKey can be matched only when the relay sends ilert Events (not pass-through). */
  sendsEvents: () => boolean;
  /** Told when the synthetic alert reached this relay through the public URL (it proves the URL works). */
  reachedThrough?: (webhookUrl: string) => void;
  /** Stores a made-up event through the webhook pipeline (the resolve of an abandoned test alert). */
  ingest: (envelope: Envelope, alert: LevelAlert) => Promise<WebhookResult>;
  hopTimeoutMs?: number;
  pollMs?: number;
}

class Cancelled extends Error {}

/**
 * The wizard's last step: one alert followed hop by hop from Level's side to ilert's and back,
 * either synthetic (signed and posted through the public URL, like Level would) or a real test
 * alert from Level. Progress is announced as a `setup` change, so UIs refresh live.
 */
export class IntegrationTestRunner {
  readonly #options: IntegrationTestOptions;
  #test: IntegrationTest | null = null;
  #abort: AbortController | undefined;

  constructor(options: IntegrationTestOptions) {
    this.#options = options;
  }

  current(): IntegrationTest | null {
    return this.#test && structuredClone(this.#test);
  }

  /** The synthetic alert of the test still running, which no clean-up may resolve. */
  runningTestAlertId(): string | undefined {
    return this.#test?.outcome === 'running' ? this.#test.levelAlertId : undefined;
  }

  /**
   * A synthetic test that did not finish leaves its alert open in ilert, where it would escalate:
   * if the relay still holds it active, its resolve is stored now. Never throws.
   */
  async #closeAbandoned(test: IntegrationTest): Promise<void> {
    const id = test.levelAlertId;
    if (test.mode !== 'synthetic' || !id || this.#options.store.closed) return;
    try {
      if (this.#options.store.ledger.stateOf(id) !== 'active') return;
      const { envelope, alert } = testAlertResolve(id, new Date(test.startedAt).toISOString());
      await this.#options.ingest(envelope, alert);
    } catch (error) {
      // The reconciler closes it on its next run.
      this.#options.log.error(`could not queue the resolve of ${id}: ${(error as Error).message}`);
    }
  }

  start(mode: IntegrationTest['mode']): IntegrationTest {
    this.#abort?.abort();
    const abort = new AbortController();
    this.#abort = abort;
    const test: IntegrationTest = {
      id: randomUUID(),
      mode,
      startedAt: Date.now(),
      outcome: 'running',
      hops: (Object.keys(LABELS) as HopId[]).map((id) => ({ id, label: LABELS[id], status: 'waiting' })),
      message: mode === 'wait' ? 'waiting for Level… trigger a test alert in Level (or wait for a real one)' : 'sending a synthetic test alert',
    };
    this.#test = test;
    this.#changed();
    void this.#run(test, abort.signal).catch(async (error: unknown) => {
      await this.#closeAbandoned(test);
      if (this.#test?.id !== test.id) return;
      test.outcome = error instanceof Cancelled ? 'cancelled' : 'failed';
      test.message = error instanceof Cancelled ? 'cancelled' : (error as Error).message;
      test.finishedAt = Date.now();
      for (const hop of test.hops) if (hop.status === 'waiting' && error instanceof Cancelled) hop.status = 'skipped';
      this.#changed();
    });
    return structuredClone(test);
  }

  cancel(): IntegrationTest | null {
    this.#abort?.abort();
    return this.current();
  }

  #changed(): void {
    this.#options.announce('integration-test');
  }

  #hop(test: IntegrationTest, id: HopId, status: Hop['status'], detail?: string): void {
    const hop = test.hops.find((entry) => entry.id === id)!;
    hop.status = status;
    hop.detail = detail;
    hop.at = Date.now();
    this.#changed();
  }

  #fail(test: IntegrationTest, id: HopId, detail: string): never {
    this.#hop(test, id, 'failed', detail);
    throw new Error(`${LABELS[id]}: ${detail}`);
  }

  /** Re-checks `check` on every store change and every poll tick until it answers or time runs out. */
  #until<T>(signal: AbortSignal, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T | undefined> {
    const pollMs = this.#options.pollMs ?? 1000;
    return new Promise((resolve, reject) => {
      let busy = false;
      let again = false;
      const deadline = setTimeout(() => finish(undefined), timeoutMs);
      const tick = setInterval(() => void probe(), pollMs);
      const onChange = () => void probe();
      const onAbort = () => {
        cleanup();
        reject(new Cancelled());
      };
      const cleanup = () => {
        clearTimeout(deadline);
        clearInterval(tick);
        this.#options.store.changes.off('change', onChange);
        signal.removeEventListener('abort', onAbort);
      };
      const finish = (value: T | undefined) => {
        cleanup();
        resolve(value);
      };
      const probe = async (): Promise<void> => {
        if (busy) {
          again = true;
          return;
        }
        busy = true;
        try {
          const value = await check();
          if (value !== undefined) return finish(value);
        } catch (error) {
          cleanup();
          reject(error as Error);
          return;
        } finally {
          busy = false;
        }
        if (again) {
          again = false;
          void probe();
        }
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort);
      this.#options.store.changes.on('change', onChange);
      void probe();
    });
  }

  async #run(test: IntegrationTest, signal: AbortSignal): Promise<void> {
    const hopTimeout = this.#options.hopTimeoutMs ?? 60_000;
    // How long "wait for Level" waits for the alert, and then for its resolve.
    const levelWait = 30 * 60_000;
    let levelAlertId: string;

    if (test.mode === 'synthetic') {
      levelAlertId = `${TEST_ALERT_PREFIX}${randomUUID().slice(0, 8)}`;
      test.levelAlertId = levelAlertId;
      const delivered = await this.#postSynthetic(test, levelAlertId, 'alert_active');
      test.message = delivered;
    } else {
      const since = test.startedAt;
      const found = await this.#until(signal, levelWait, () => firstLevelAlertSince(this.#options.store, since));
      if (!found)
        this.#fail(
          test,
          'received',
          `no alert came from Level within ${Math.round(levelWait / 60_000)} min: check the webhook in Level (URL, Enabled, events) and the Health page`,
        );
      levelAlertId = found;
      test.levelAlertId = found;
      test.message = 'a test alert arrived from Level';
    }

    // 1–2: the delivery as the relay recorded it
    const delivery = await this.#until(signal, hopTimeout, () => this.#delivery(levelAlertId, 'alert_active'));
    if (!delivery) this.#fail(test, 'received', 'the relay recorded no delivery for the test alert');
    if (delivery.outcome === 'rejected') {
      this.#hop(test, 'received', 'ok', `HTTP ${delivery.status_code}`);
      this.#fail(test, 'signature', delivery.reason ?? 'rejected');
    }
    this.#hop(test, 'received', 'ok', `HTTP ${delivery.status_code} via ${delivery.path}`);
    const postedTo = test.mode === 'synthetic' ? this.#options.webhookUrl() : undefined;
    if (postedTo?.public) this.#options.reachedThrough?.(postedTo.url);
    if (delivery.signature === 'unsigned') this.#hop(test, 'signature', 'ok', 'no secret is set here, so the delivery was accepted unsigned: set one (step 3)');
    else this.#hop(test, 'signature', 'ok', delivery.signature === 'valid-previous' ? 'valid (with the previous secret)' : 'valid');

    // 3: the ALERT to ilert
    await this.#jobDelivered(test, signal, levelAlertId, 'ALERT', 'sent', hopTimeout);
    // 4: the alert in ilert
    await this.#inIlert(test, signal, levelAlertId, ['PENDING', 'ACCEPTED'], 'ilert-alert', hopTimeout);

    // 5: the resolve
    if (test.mode === 'synthetic') {
      await this.#postSynthetic(test, levelAlertId, 'alert_resolved');
    } else {
      test.message = 'now resolve the test alert in Level (or let it clear): waiting for Level’s alert_resolved…';
      this.#changed();
    }
    const resolved = await this.#until(signal, test.mode === 'synthetic' ? hopTimeout : levelWait, () => this.#delivery(levelAlertId, 'alert_resolved'));
    if (!resolved) this.#fail(test, 'resolve-sent', 'no alert_resolved arrived from Level: is “Alert resolved” ticked in Level’s webhook events?');
    await this.#jobDelivered(test, signal, levelAlertId, 'RESOLVE', 'resolve-sent', hopTimeout);
    // 6: resolved in ilert
    await this.#inIlert(test, signal, levelAlertId, ['RESOLVED'], 'ilert-resolved', hopTimeout);

    test.outcome = 'passed';
    test.message = 'Test passed: Level → relay → ilert works both ways';
    test.finishedAt = Date.now();
    this.#changed();
  }

  async #postSynthetic(test: IntegrationTest, levelAlertId: string, eventType: 'alert_active' | 'alert_resolved'): Promise<string> {
    const target = this.#options.webhookUrl();
    if (!target) this.#fail(test, eventType === 'alert_active' ? 'received' : 'resolve-sent', 'the receiver is not listening');
    const now = new Date().toISOString();
    const resolved = eventType === 'alert_resolved';
    const body = JSON.stringify({
      event_type: eventType,
      event_id: randomUUID(),
      occurred_at: now,
      data: syntheticAlertData(levelAlertId, resolved, test.hops[0]?.at ? new Date(test.startedAt).toISOString() : now, now),
    });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'level-ilert-relay-setup-test' };
    const secret = this.#options.secret();
    if (secret) headers[SIGNATURE_HEADER] = sign(secret, body);
    const hop: HopId = resolved ? 'resolve-sent' : 'received';
    let response: Response;
    try {
      response = await fetch(target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
      await response.text();
    } catch (error) {
      const cause = (error as Error & { cause?: { code?: string } }).cause?.code;
      this.#fail(test, hop, `could not post to ${target.url}: ${cause ?? (error as Error).message} — check the tunnel and the public URL (step 2)`);
    }
    if (response.status >= 300 && response.status !== 401) {
      this.#fail(test, hop, `${target.url} answered HTTP ${response.status}: the public URL does not lead to this relay’s receiver (step 2)`);
    }
    return target.public ? `posted through the public URL ${target.url}` : `posted to the local receiver ${target.url} (no public URL set: Level cannot reach it yet)`;
  }

  #delivery(levelAlertId: string, eventType: string) {
    return testDelivery(this.#options.store, levelAlertId, eventType, this.#test?.startedAt);
  }

  async #jobDelivered(test: IntegrationTest, signal: AbortSignal, levelAlertId: string, eventType: 'ALERT' | 'RESOLVE', hop: HopId, timeoutMs: number): Promise<void> {
    const job = await this.#until(signal, timeoutMs, () => {
      const row = lastJobOf(this.#options.store, levelAlertId, eventType);
      if (!row) return undefined;
      if (row.status === 'delivered' || row.status === 'failed' || row.status === 'skipped') return row;
      if (row.attempts > 0 && row.last_error) this.#hop(test, hop, 'waiting', `retrying: ${row.last_error}`);
      return undefined;
    });
    if (!job) this.#fail(test, hop, 'not delivered to ilert in time: see Deliveries for the attempts');
    if (job.status !== 'delivered') this.#fail(test, hop, job.reason ?? job.last_error ?? job.status);
    this.#hop(test, hop, 'ok', `ilert answered ${job.last_status_code ?? 'OK'}`);
  }

  async #inIlert(test: IntegrationTest, signal: AbortSignal, levelAlertId: string, states: ('PENDING' | 'ACCEPTED' | 'RESOLVED')[], hop: HopId, timeoutMs: number): Promise<void> {
    const api = this.#options.ilertApi();
    if (!api) return this.#hop(test, hop, 'skipped', 'add an ilert user API key (step 1) to check the alert in ilert itself');
    if (!this.#options.sendsEvents()) return this.#hop(test, hop, 'skipped', 'pass-through: ilert’s Level.io source chooses its own alert keys, so the alert cannot be matched');
    const alertKey = alertKeyFor(levelAlertId).toLowerCase();
    const found = await this.#until(signal, timeoutMs, async () => {
      const { alerts } = await api.listAlerts({ states, maxPages: 5 });
      return alerts.find((alert) => alert.alertKey?.trim().toLowerCase() === alertKey);
    });
    if (!found) this.#fail(test, hop, `ilert lists no ${states.join('/')} alert with key ${alertKeyFor(levelAlertId)}: the alert source may filter it out, or ilert is slow`);
    this.#hop(test, hop, 'ok', `${found.status} in ilert (alert #${found.id}${found.alertSource?.name ? ` in “${found.alertSource.name}”` : ''})`);
  }
}
