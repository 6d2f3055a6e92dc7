import { Periodic } from '../periodic.ts';
import type { Settings } from '../settings.ts';
import type { Store } from './store.ts';
import type { Team } from './team.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The retention settings, applied at start and then hourly, in small batches with a turn of the
 * event loop between them, so that deleting a day of a storm never holds up an acknowledgement.
 */
export class Retention {
  readonly #store: Store;
  readonly #team: Team;
  readonly #settings: () => Settings;
  readonly #hourly: Periodic;

  constructor(store: Store, team: Team, settings: () => Settings, failed: (error: Error) => void) {
    this.#store = store;
    this.#team = team;
    this.#settings = settings;
    this.#hourly = new Periodic(() => this.prune(Date.now()).catch(failed), HOUR_MS);
  }

  start(): void {
    this.#hourly.start();
  }

  stop(): Promise<void> {
    return this.#hourly.stop();
  }

  /** Deletes what is older than the settings keep, as of `now`; how many deliveries and jobs went. */
  async prune(now: number): Promise<{ deliveries: number; jobs: number }> {
    const settings = this.#settings();
    // The audit has its own, longer retention (at least 90 days), so a short history cannot erase it.
    this.#team.prune(now - settings.auditRetentionDays * DAY_MS);
    const before = now - settings.retentionDays * DAY_MS;
    const total = { deliveries: 0, jobs: 0 };
    let cursor = 0;
    while (!this.#store.closed) {
      const batch = this.#store.pruneBatch(before, cursor);
      total.deliveries += batch.deliveries;
      total.jobs += batch.jobs;
      cursor = batch.cursor;
      if (batch.done) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return total;
  }
}
