import type { Store } from '../store/store.ts';
import type { StoreChange } from '../store/database.ts';
import type { DueHold, HeldJobs } from '../store/held-jobs.ts';
import type { Hold } from '../holds/hold.ts';

/** A pass looks again at least this often, so a wall clock stepped forward releases on time within it. */
const MAX_SLEEP_MS = 60_000;
const BATCH = 200;

export interface HoldReleaserOptions {
  store: Store;
  held: HeldJobs;
  /** What holds the job now (another window still open), or undefined to send it. */
  recheck: (job: DueHold, now: number) => Hold | undefined;
  now?: () => number;
}

/**
 * Releases held jobs when their hold runs out: the durable half of a maintenance window's end.
 * Release times are stored with the jobs, so a restart (or a kill -9) finds them again; each pass
 * reads only the due ones through a partial index. A job whose alert was resolved meanwhile is
 * dropped, one still covered by another window is held again, the rest go to the forwarder.
 */
export class HoldReleaser {
  readonly #options: Required<HoldReleaserOptions>;
  #timer: NodeJS.Timeout | undefined;
  #passScheduled = false;
  #running = false;
  readonly #onChange = (change: StoreChange) => {
    // A new hold may run out before the one the timer waits for.
    if (change.kind === 'job' && change.status === 'held') this.wake();
  };

  constructor(options: HoldReleaserOptions) {
    this.#options = { now: () => Date.now(), ...options };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#options.store.changes.on('change', this.#onChange);
    this.wake();
  }

  stop(): void {
    this.#running = false;
    this.#options.store.changes.off('change', this.#onChange);
    clearTimeout(this.#timer);
  }

  /** Looks at the held jobs on the next turn of the event loop (a window ended early, a new hold). */
  wake(): void {
    if (!this.#running || this.#passScheduled) return;
    this.#passScheduled = true;
    setImmediate(() => {
      this.#passScheduled = false;
      this.#pass();
    });
  }

  #pass(): void {
    const { store, held, recheck } = this.#options;
    if (!this.#running || store.closed) return;
    const now = this.#options.now();
    try {
      // Every job settled leaves the due set (sent, dropped, or held to a later time), so this ends.
      let due: DueHold[];
      do {
        const batch = (due = held.due(now, BATCH));
        store.transaction(() => {
          for (const job of batch) this.#settle(job, now, recheck(job, now));
        });
      } while (due.length === BATCH);
    } catch (error) {
      // The store is locked or full: the jobs stay held and are looked at again on the next pass.
      if (store.closed) return;
      console.error(`holds: could not release held events yet: ${(error as Error).message}`);
    }
    const next = held.nextReleaseAt();
    const sleep = Math.min(next === undefined ? MAX_SLEEP_MS : Math.max(next - this.#options.now(), 0), MAX_SLEEP_MS);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.wake(), Math.max(sleep, 1));
    this.#timer.unref();
  }

  #settle(job: DueHold, now: number, stillHeld: Hold | undefined): void {
    const { held } = this.#options;
    const at = new Date(now).toISOString();
    if (job.eventType === 'ALERT' && job.alertState !== 'active') {
      held.drop(job.id, 'skipped: the alert was resolved while it was held', `resolved while held: nothing sent (${at})`, now);
    } else if (stillHeld && (stillHeld.until === undefined || stillHeld.until > now)) {
      held.rehold(job.id, stillHeld, now);
    } else {
      held.release(job.id, `sent when the hold ended at ${at}`, now);
    }
  }
}
