import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Envelope, LevelAlert } from '../level/envelope.ts';
import type { Store } from '../store/store.ts';
import { InboundLog, type LoggedDelivery, type Settled } from '../store/inbound-log.ts';
import { applyEvent, type IngestPolicy } from './apply.ts';
import { interpret, type Interpreted, type SourceSettings } from './interpret.ts';
import type { Logger } from '../logger.ts';

export interface ProcessorOptions {
  store: Store;
  log: Logger;
  policy: () => IngestPolicy;
  sources: () => SourceSettings;
  /** Before an alert is applied: e.g. look its device up so it can be routed by group. */
  beforeApply?: (alert: LevelAlert) => Promise<void>;
  /** After an applied event is committed (e.g. refresh the device or group it names). */
  applied?: (envelope: Envelope) => void;
  /** How many deliveries one pass reads from the log, and how many bytes of their bodies at most. */
  batchSize?: number;
  batchBytes?: number;
  /** How long one transaction may keep the event loop: while deliveries are arriving, and while none are. */
  sliceMs?: { arriving: number; quiet: number };
  /** With deliveries waiting, no progress for this long counts as stalled (/healthz, the heartbeat). */
  stallMs?: number;
}

/** A pass reads and interprets its batch in one go before its first transaction: small enough not to hold the acks up for long. */
const BATCH_SIZE = 200;
const BATCH_BYTES = 8 * 1024 * 1024;
/**
 * Acknowledgements come first: while deliveries arrive, a transaction holds the event loop for
 * about 2 ms (the next turn's acks wait at most that); in a quiet moment a little longer, 4 ms
 * (10 ms made every status read and ack behind a catching-up processor wait that long: getStatus
 * p50 13 ms after a storm, against 0.4 ms before the two stages).
 */
const SLICE_MS = { arriving: 2, quiet: 4 };
const STALL_MS = 15_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/** Where processing stands, for Health, /healthz and the heartbeat. */
export interface ProcessingState {
  /** Deliveries acknowledged and not yet applied. */
  waiting: number;
  /** The oldest of them. */
  oldest: { id: number; receivedAt: number } | undefined;
  /** What the processor is waiting for now, if anything outside it (Level's API). */
  waitingFor: string | undefined;
  /** The last pass failed (the store could not write), and since when passes fail. */
  problem: { since: number; reason: string } | undefined;
  /** Deliveries were waiting and none was applied for longer than the stall limit. */
  stalledSince: number | undefined;
}

interface Item {
  row: LoggedDelivery;
  read: Interpreted;
}

/**
 * The second stage: reads the inbound log in order and applies each acknowledged delivery — the
 * state machine, routing and the device look-up, event mapping, outbox work, counters — in large
 * transactions, each delivery settled ('accepted', or 'failed' with why) in the same transaction as
 * its effects. A crash at any instant leaves every delivery either applied and settled or still
 * 'received', so a restart goes on where it stopped and never makes an ilert event twice. One
 * delivery that cannot be applied is settled as failed and the log moves on; a store that cannot
 * write stops the pass, which is tried again with backoff.
 */
export class Processor {
  readonly #options: ProcessorOptions;
  readonly #log: InboundLog;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  readonly #waiters = new Map<number, ((settled: Settled | undefined) => void)[]>();
  #retryTimer: NodeJS.Timeout | undefined;
  #retryMs = RETRY_MIN_MS;
  #problem: { since: number; reason: string } | undefined;
  /** Device look-ups in progress, by device id (the same device may be asked for several alerts). */
  readonly #lookingUp = new Map<string, number>();
  /** When the processor last applied something, or began with work to do. */
  #progressAt = Date.now();
  /** Whether a delivery was appended since the last transaction began: then acks are flowing and transactions stay short. */
  #arriving = false;
  /** Whether deliveries are known to wait: set on every wake, cleared when a pass finds the log empty. */
  #workWaits = true;

  constructor(options: ProcessorOptions) {
    this.#options = options;
    this.#log = new InboundLog(options.store);
  }

  /** Applies what is waiting in the log, now and whenever woken; the log left by a crash first. */
  start(): void {
    this.#stopped = false;
    this.wake();
  }

  /** Something was appended: apply it soon. */
  wake(): void {
    this.#arriving = true;
    if (this.#stopped) return;
    if (!this.#workWaits) {
      this.#workWaits = true;
      this.#progressAt = Date.now();
    }
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#retryTimer) return; // a failed pass is tried again on its own schedule
    this.#running = this.#run();
  }

  /** Finishes the transaction in progress and stops; what is left stays in the log for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    await this.#running;
    for (const [, waiters] of this.#waiters) for (const resolve of waiters) resolve(undefined);
    this.#waiters.clear();
  }

  /** Resolves once the delivery is applied (or failed); undefined if the processor stops first. */
  settled(deliveryId: number): Promise<Settled | undefined> {
    const now = this.#log.settled(deliveryId);
    if (now || this.#stopped) return Promise.resolve(now);
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(deliveryId) ?? [];
      waiters.push(resolve);
      this.#waiters.set(deliveryId, waiters);
    });
  }

  /** Whether a pass is applying deliveries now (or waiting for Level's API to answer for them). */
  get busy(): boolean {
    return this.#running !== undefined;
  }

  /** Resolves once everything appended so far is applied (tests, and a clean stop). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Why the relay should count as unhealthy, from memory (for /healthz, which never waits for the database): processing stalled. */
  stalledReason(now = Date.now()): string | undefined {
    const since = this.#stalledSince(now);
    if (since === undefined) return undefined;
    return `processing has stopped: nothing applied for ${Math.round((now - since) / 1000)} s with deliveries waiting${this.#problem ? ` (${this.#problem.reason})` : ''}`;
  }

  #stalledSince(now: number): number | undefined {
    return this.#workWaits && now - this.#progressAt > (this.#options.stallMs ?? STALL_MS) ? this.#progressAt : undefined;
  }

  /** For Health: how far processing lags (the store's counter and one indexed look-up), what it waits for, whether it stalled. */
  state(now = Date.now()): ProcessingState {
    const waiting = this.#options.store.facts().unprocessed;
    const oldest = waiting > 0 ? this.#log.oldestUnprocessed() : undefined;
    return { waiting, oldest, waitingFor: this.#waitingFor, problem: this.#problem, stalledSince: oldest ? this.#stalledSince(now) : undefined };
  }

  /**
   * Drains the log, again while wakes came meanwhile. `#running` is cleared in the same synchronous
   * step as the last look at `#again`: cleared a microtask later (a `.finally` outside), a wake in
   * between would find the processor still running, leave its delivery to a pass that has already
   * ended, and that delivery would wait for the next webhook (seen in CI: a device_updated never applied).
   */
  async #run(): Promise<void> {
    try {
      do {
        this.#again = false;
        await this.#drain();
        this.#problem = undefined;
        this.#retryMs = RETRY_MIN_MS;
      } while (this.#again && !this.#stopped);
    } catch (error) {
      this.#failed(error as Error);
    } finally {
      this.#running = undefined;
    }
  }

  /** A pass failed as a whole (the store cannot write): nothing of its transaction counted; tried again later. */
  #failed(error: Error): void {
    this.#problem ??= { since: Date.now(), reason: error.message };
    this.#problem.reason = error.message;
    this.#options.log.error(`processing stopped, trying again in ${Math.round(this.#retryMs / 1000)} s: ${error.message}`);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.wake();
    }, this.#retryMs);
    this.#retryTimer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
  }

  async #drain(): Promise<void> {
    const { store } = this.#options;
    while (!this.#stopped && !store.closed) {
      const rows = this.#log.unprocessed(this.#options.batchSize ?? BATCH_SIZE, this.#options.batchBytes ?? BATCH_BYTES);
      if (rows.length === 0) {
        this.#workWaits = false;
        return;
      }
      const items = await this.#interpret(rows);
      await this.#lookUp(items);
      let next = 0;
      while (next < items.length) {
        if (this.#stopped || store.closed) return;
        next = this.#applySlice(items, next);
        this.#progressAt = Date.now();
        await nextTurn();
      }
    }
  }

  /**
   * Reads the batch's bodies, yielding to the acknowledgements as often as a transaction does: a
   * batch of 200 read in one go held the event loop for about 6 ms, which every ack behind it waited.
   */
  async #interpret(rows: LoggedDelivery[]): Promise<Item[]> {
    const sources = this.#options.sources();
    const sliceMs = (this.#options.sliceMs ?? SLICE_MS).arriving;
    const items: Item[] = [];
    let started = performance.now();
    for (const row of rows) {
      items.push({ row, read: interpret(row, sources) });
      if (performance.now() - started >= sliceMs) {
        await nextTurn();
        started = performance.now();
      }
    }
    return items;
  }

  /**
   * The device look-ups routing needs, all at once and before the transaction: a slow Level API
   * delays processing (never the acknowledgement), up to the look-up's own time limit.
   */
  async #lookUp(items: Item[]): Promise<void> {
    const { beforeApply } = this.#options;
    if (!beforeApply) return;
    const alerts = items.flatMap(({ read }) => (read.ok && read.value.alert && !read.value.shaped ? [read.value.alert] : []));
    // Only the look-ups still unanswered are what processing waits for (a known device answers at once).
    const pending = this.#lookingUp;
    await Promise.all(
      alerts.map((alert) => {
        const device = alert.device_id ?? alert.id;
        pending.set(device, (pending.get(device) ?? 0) + 1);
        return beforeApply(alert)
          .catch(() => undefined)
          .finally(() => {
            const left = (pending.get(device) ?? 1) - 1;
            if (left > 0) pending.set(device, left);
            else pending.delete(device);
          });
      }),
    );
  }

  /** What processing waits for outside the relay: devices whose look-up Level's API has not answered yet. */
  get #waitingFor(): string | undefined {
    const devices = [...this.#lookingUp.keys()];
    if (devices.length === 0) return undefined;
    return `Level’s API to answer about ${devices.length === 1 ? `device ${devices[0]}` : `${devices.length} devices`}`;
  }

  /** One transaction: applies items from `from` until the slice's time is up; returns where the next one starts. */
  #applySlice(items: Item[], from: number): number {
    const { store, log } = this.#options;
    const policy = this.#options.policy();
    const started = performance.now();
    const slices = this.#options.sliceMs ?? SLICE_MS;
    const sliceMs = this.#arriving ? slices.arriving : slices.quiet;
    this.#arriving = false;
    const settled: { id: number; settled: Settled }[] = [];
    const applied: Envelope[] = [];
    const next = store.transaction(() => {
      let index = from;
      while (index < items.length) {
        const { row, read } = items[index++]!;
        let outcome: Settled & { outcome: 'accepted' | 'failed' };
        if (!read.ok) outcome = { outcome: 'failed', reason: `the relay could not read this stored event: ${read.reason}`.slice(0, 500) };
        else {
          const event = { ...read.value, deliveryId: row.id, receivedAt: row.receivedAt, source: row.source };
          const result = store.isolated(() => applyEvent(store, event, policy));
          outcome = result.ok
            ? { outcome: 'accepted', reason: read.value.note }
            : { outcome: 'failed', reason: `the relay could not process this event: ${result.error.message}`.slice(0, 500) };
          if (result.ok && !read.value.shaped) applied.push(read.value.envelope);
        }
        this.#log.settle(row.id, outcome.outcome, outcome.reason);
        settled.push({ id: row.id, settled: outcome });
        if (performance.now() - started >= sliceMs) break;
      }
      return index;
    }, 'derived');
    for (const { id, settled: outcome } of settled) {
      if (outcome.outcome === 'failed') log.error(`delivery ${id}: ${outcome.reason}`);
      const waiters = this.#waiters.get(id);
      if (!waiters) continue;
      this.#waiters.delete(id);
      for (const resolve of waiters) resolve(outcome);
    }
    for (const envelope of applied) this.#options.applied?.(envelope);
    return next;
  }
}
