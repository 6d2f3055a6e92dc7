import type { IlertAlert, IlertApi } from '../ilert/ilert-api.ts';
import type { Store } from '../store/store.ts';
import type { IlertStateRepository } from '../store/ilert-state.ts';
import type { Announce } from '../app-events.ts';
import { Periodic } from '../periodic.ts';

/** ilert allows 120 requests a minute per user key; a poll costs one request per source plus one per 100 open alerts. */
export const ILERT_POLL_INTERVAL_MS = 30_000;
/** ilert queues events: an alert not yet listed this soon after its ALERT was accepted is not "resolved". */
const CREATION_GRACE_MS = 120_000;

export interface IlertStateSyncOptions {
  store: Store;
  repository: IlertStateRepository;
  announce: Announce;
  api: () => IlertApi | undefined;
  /** The integration keys of every configured target (alert source). */
  integrationKeys: () => string[];
  intervalMs?: number;
}

/**
 * Reads ilert's view of the relay's alerts back with a user API key: PENDING, ACCEPTED (and who
 * accepted), or gone from the open alerts, i.e. RESOLVED in ilert. ilert has no alertKey filter,
 * so it lists the open alerts of the configured sources and matches keys itself.
 */
export class IlertStateSync extends Periodic {
  readonly #options: IlertStateSyncOptions;
  readonly #repository: IlertStateRepository;
  readonly #sourceIds = new Map<string, number>();
  #polling: Promise<void> | undefined;
  lastPollAt: number | undefined;
  /** Why the last poll failed (a revoked key, an answer that does not parse…), shown on Health. */
  lastError: string | undefined;
  /** Alerts in ilert's last answer that could not be read and were left out. */
  lastSkipped = 0;
  /** The last listing may have missed alerts, so none was concluded resolved from its absence. */
  lastIncomplete = false;

  constructor(options: IlertStateSyncOptions) {
    super(() => this.poll(), options.intervalMs ?? ILERT_POLL_INTERVAL_MS);
    this.#options = options;
    this.#repository = options.repository;
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.#polling?.catch(() => undefined);
  }

  /** One poll; a poll already running is shared rather than doubled. */
  poll(now = Date.now): Promise<void> {
    this.#polling ??= this.#poll(now).finally(() => {
      this.#polling = undefined;
    });
    return this.#polling;
  }

  async #poll(now: () => number): Promise<void> {
    const api = this.#options.api();
    if (!api) return;
    try {
      const sources: number[] = [];
      for (const key of this.#options.integrationKeys()) {
        let id = this.#sourceIds.get(key);
        if (id === undefined) {
          id = (await api.getAlertSource(key)).id;
          this.#sourceIds.set(key, id);
        }
        sources.push(id);
      }
      if (sources.length === 0) return;
      const listing = await api.listAlerts({ states: ['PENDING', 'ACCEPTED'], sources });
      // An entry that could not be read may be one of ours: its absence proves nothing either.
      this.#apply(listing.alerts, listing.complete && listing.skipped === 0, now());
      const changed = this.lastError !== undefined || this.lastSkipped !== listing.skipped || this.lastIncomplete !== !listing.complete;
      this.lastPollAt = now();
      this.lastError = undefined;
      this.lastSkipped = listing.skipped;
      this.lastIncomplete = !listing.complete;
      if (changed) this.#options.announce('ilert-state');
    } catch (error) {
      this.lastError = (error as Error).message;
      this.#options.announce('ilert-state');
      throw error;
    }
  }

  #apply(open: IlertAlert[], complete: boolean, now: number): void {
    const { store } = this.#options;
    if (store.closed) return;
    const byKey = new Map<string, IlertAlert>();
    for (const alert of open) if (alert.alertKey) byKey.set(alert.alertKey.trim().toLowerCase(), alert);
    store.transaction(() => {
      for (const row of this.#repository.alertsIlertMayHold()) {
        const found = byKey.get(row.alertKey.toLowerCase());
        // Absent from a listing that may have skipped alerts proves nothing: keep what was known.
        if (!found && !complete) continue;
        if (!found && now - row.deliveredAt < CREATION_GRACE_MS && row.ilertStatus === null) continue;
        const status = found?.status ?? 'RESOLVED';
        const acceptedBy = found?.acceptedBy ?? (status === 'RESOLVED' ? row.ilertAcceptedBy : null) ?? null;
        this.#repository.record(row.levelAlertId, { status, acceptedBy, acceptedAt: found?.acceptedAt ?? null, ilertAlertId: found?.id ?? null, checkedAt: now });
        // A newly known ilert id is news too: the row gains its "Open in ilert" link.
        if (status !== row.ilertStatus || acceptedBy !== row.ilertAcceptedBy || (found && found.id !== row.ilertAlertId))
          store.collect({ kind: 'alert', levelAlertId: row.levelAlertId });
      }
    });
  }

  /** What the status and the Health page show about reading ilert back. */
  view(): { lastPollAt?: number; lastError?: string; skippedAlerts: number; incompleteListing: boolean } {
    return {
      ...(this.lastPollAt !== undefined ? { lastPollAt: this.lastPollAt } : {}),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      skippedAlerts: this.lastSkipped,
      incompleteListing: this.lastIncomplete,
    };
  }

  /** Forget cached source ids (keys changed in Settings). */
  reset(): void {
    this.#sourceIds.clear();
  }
}
