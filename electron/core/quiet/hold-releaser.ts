import type { Store } from '../store/store.ts';
import type { StoreChange } from '../store/database.ts';
import type { DueHold, HeldJobs } from '../store/held-jobs.ts';
import type { Hold } from '../holds/hold.ts';
import { NotFoundError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { MaintenanceWindows } from './maintenance.ts';

/** A pass looks again at least this often, so a wall clock stepped forward releases on time within it. */
const MAX_SLEEP_MS = 60_000;
const BATCH = 200;
/** How long a release waits for `beforeRelease` (Level's API) before it sends what it holds anyway. */
const CONFIRM_TIMEOUT_MS = 15_000;

export interface HoldReleaserOptions {
  store: Store;
  log: Logger;
  held: HeldJobs;
  windows: MaintenanceWindows;
  /** What holds an ALERT now (another window still open), or undefined to send it; never asked about a RESOLVE. */
  recheck: (job: DueHold, now: number) => Hold | undefined;
  /**
   * Runs before holds that ran out are released: with a Level API key, asks Level which held alerts
   * were resolved meanwhile (a missed webhook), so they are dropped rather than sent. A failure or a
   * slow answer releases them anyway: paging for something over beats staying silent about a fire.
   */
  beforeRelease?: () => Promise<unknown>;
  now?: () => number;
}

/**
 * Releases held jobs when their hold runs out: the durable half of a maintenance window's end, of
 * a hold-down and of a resolve grace (holds/flapping.ts).
 * Release times are stored with the jobs, so a restart (or a kill -9) finds them again; each pass
 * reads only the due ones through a partial index. A job whose alert was resolved meanwhile is
 * dropped, one still covered by another window is held again, the rest go to the forwarder.
 */
export class HoldReleaser {
  readonly #options: Required<Omit<HoldReleaserOptions, 'beforeRelease'>> & Pick<HoldReleaserOptions, 'beforeRelease'>;
  #passing: Promise<void> | undefined;
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

  /** Stops, waiting for a pass under way, so nothing writes to a store about to close. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#options.store.changes.off('change', this.#onChange);
    clearTimeout(this.#timer);
    await this.#passing;
  }

  /** Looks at the held jobs on the next turn of the event loop (a window ended early, a new hold). */
  wake(): void {
    if (!this.#running || this.#passScheduled) return;
    this.#passScheduled = true;
    setImmediate(() => {
      this.#passScheduled = false;
      // One pass at a time: a wake during a pass (waiting for Level) runs another after it.
      const previous = this.#passing ?? Promise.resolve();
      const pass: Promise<void> = previous
        .then(() => this.#pass())
        .finally(() => {
          if (this.#passing === pass) this.#passing = undefined;
        });
      this.#passing = pass;
    });
  }

  async #confirm(): Promise<void> {
    const { beforeRelease } = this.#options;
    if (!beforeRelease) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CONFIRM_TIMEOUT_MS);
      timer.unref();
    });
    try {
      await Promise.race([beforeRelease().catch((error: unknown) => this.#options.log.error(`could not confirm with Level before release: ${(error as Error).message}`)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #pass(): Promise<void> {
    const { store, held, recheck } = this.#options;
    if (!this.#running || store.closed) return;
    if ((held.nextReleaseAt() ?? Number.POSITIVE_INFINITY) <= this.#options.now()) await this.#confirm();
    if (!this.#running || store.closed) return;
    const now = this.#options.now();
    try {
      // Every job settled leaves the due set (sent, dropped, or held to a later time), so this ends.
      let due: DueHold[];
      do {
        const batch = (due = held.due(now, BATCH));
        store.transaction(() => {
          // Windows hold ALERTs only: a RESOLVE held in its grace goes when the grace ends.
          for (const job of batch) this.#settle(job, now, job.eventType === 'ALERT' ? recheck(job, now) : undefined);
        });
      } while (due.length === BATCH);
    } catch (error) {
      // The store is locked or full: the jobs stay held and are looked at again on the next pass.
      if (store.closed) return;
      this.#options.log.error(`could not release held events yet: ${(error as Error).message}`);
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

  /** Ends a maintenance window now and releases what it held at once (what still fires is sent). */
  endWindow(id: number, endedBy: string): NonNullable<ReturnType<MaintenanceWindows['end']>> {
    const ended = this.#options.windows.end(id, endedBy, Date.now());
    if (!ended) throw new NotFoundError(`no maintenance window ${id}`);
    this.wake();
    return ended;
  }

  /** Sends an alert's held events now, whatever holds them; returns how many. */
  sendNow(levelAlertId: string, sentBy: string): number {
    const { store, held } = this.#options;
    const now = Date.now();
    const ids = held.ofAlert(levelAlertId);
    return store.transaction(() => ids.filter((id) => held.release(id, `sent by hand by ${sentBy} at ${new Date(now).toISOString()}`, now)).length);
  }
}
