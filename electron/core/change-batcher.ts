import type { ChangeTopic, PushedEvent } from '../../shared/contract.ts';
import type { AppEvent } from './app-events.ts';
import type { StoreChange } from './store/database.ts';

/** Everything the relay announces, one at a time: the store's writes and the app's other changes. */
export type RelayChange = StoreChange | AppEvent;

export const BATCH_INTERVAL_MS = 300;
/** The longest a batch waits for what was acknowledged to be applied (see `settling`). */
export const SETTLE_MAX_MS = 1000;
const SETTLE_CHECK_MS = 50;

export interface BatchOptions {
  intervalMs?: number;
  /**
   * Whether changes already announced are still followed by their effects (the processor is applying
   * what was just acknowledged): a batch of rows due then waits for them, up to SETTLE_MAX_MS after
   * its first change. A burst's deliveries are announced at their acknowledgement and their alerts once
   * applied; split across two batches, a burst of three alerts made two desktop notifications.
   */
  settling?: () => boolean;
}

/**
 * Collects the relay's changes and hands them on at most every ~300 ms, de-duplicated, so a burst of
 * a thousand deliveries reaches a UI as a handful of messages rather than a thousand.
 */
export class ChangeBatcher {
  #deliveries = new Set<number>();
  #jobs = new Set<number>();
  #alerts = new Set<string>();
  readonly #topics = new Set<ChangeTopic>();
  #timer: NodeJS.Timeout | undefined;
  /** When the batch being collected began. */
  #since = 0;
  readonly #send: (changes: PushedEvent<'changes'>) => void;
  readonly #intervalMs: number;
  readonly #settling: () => boolean;
  readonly #unsubscribe: () => void;

  constructor(subscribe: (listener: (change: RelayChange) => void) => () => void, send: (changes: PushedEvent<'changes'>) => void, options: BatchOptions = {}) {
    this.#send = send;
    this.#intervalMs = options.intervalMs ?? BATCH_INTERVAL_MS;
    this.#settling = options.settling ?? (() => false);
    this.#unsubscribe = subscribe((change) => this.#add(change));
  }

  #add(change: RelayChange): void {
    if (change.kind === 'delivery') this.#deliveries.add(change.id);
    else if (change.kind === 'job') this.#jobs.add(change.id);
    else if (change.kind === 'alert') this.#alerts.add(change.levelAlertId);
    else this.#topics.add(change.kind === 'app' ? change.topic : change.kind);
    if (this.#timer) return;
    this.#since = Date.now();
    this.#timer = setTimeout(() => this.#due(), this.#intervalMs);
  }

  #due(): void {
    // A topic (the processing lag passing a second, a tunnel's new URL) is news of the moment: it goes when due.
    if (this.#topics.size === 0 && this.#settling() && Date.now() - this.#since < SETTLE_MAX_MS) {
      this.#timer = setTimeout(() => this.#due(), SETTLE_CHECK_MS);
      return;
    }
    this.flush();
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#deliveries.size + this.#jobs.size + this.#alerts.size + this.#topics.size === 0) return;
    const topics = this.#topics.size > 0 ? { setup: true, topics: [...this.#topics] } : {};
    const batch = { deliveries: [...this.#deliveries], jobs: [...this.#jobs], alerts: [...this.#alerts], ...topics };
    this.#topics.clear();
    this.#deliveries.clear();
    this.#jobs.clear();
    this.#alerts.clear();
    this.#send(batch);
  }

  close(): void {
    this.#unsubscribe();
    clearTimeout(this.#timer);
  }
}
