import type { ChangeTopic, PushedEvent } from '../../shared/contract.ts';
import type { AppEvent } from './app-events.ts';
import type { StoreChange } from './store/database.ts';

/** Everything the relay announces, one at a time: the store's writes and the app's other changes. */
export type RelayChange = StoreChange | AppEvent;

export const BATCH_INTERVAL_MS = 300;

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
  readonly #send: (changes: PushedEvent<'changes'>) => void;
  readonly #intervalMs: number;
  readonly #unsubscribe: () => void;

  constructor(subscribe: (listener: (change: RelayChange) => void) => () => void, send: (changes: PushedEvent<'changes'>) => void, intervalMs = BATCH_INTERVAL_MS) {
    this.#send = send;
    this.#intervalMs = intervalMs;
    this.#unsubscribe = subscribe((change) => this.#add(change));
  }

  #add(change: RelayChange): void {
    if (change.kind === 'delivery') this.#deliveries.add(change.id);
    else if (change.kind === 'job') this.#jobs.add(change.id);
    else if (change.kind === 'alert') this.#alerts.add(change.levelAlertId);
    else this.#topics.add(change.kind === 'app' ? change.topic : change.kind);
    this.#timer ??= setTimeout(() => this.flush(), this.#intervalMs);
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
