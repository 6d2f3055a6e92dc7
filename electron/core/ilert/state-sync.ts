import type { IlertAlert, IlertApi } from './ilert-api.ts';
import type { Store } from '../store/store.ts';
import type { Announce } from '../app-events.ts';
import { Periodic } from '../periodic.ts';

/** ilert allows 120 requests a minute per user key; a poll costs one request per source plus one per 100 open alerts. */
export const ILERT_POLL_INTERVAL_MS = 30_000;
/** ilert queues events: an alert not yet listed this soon after its ALERT was accepted is not "resolved". */
const CREATION_GRACE_MS = 120_000;

export interface IlertStateSyncOptions {
  store: Store;
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
export class IlertStateSync {
  readonly #options: IlertStateSyncOptions;
  readonly #sourceIds = new Map<string, number>();
  readonly #periodic: Periodic;
  #polling: Promise<void> | undefined;
  lastPollAt: number | undefined;
  /** Why the last poll failed (a revoked key, an answer that does not parse…), shown on Health. */
  lastError: string | undefined;
  /** Alerts in ilert's last answer that could not be read and were left out. */
  lastSkipped = 0;
  /** The last listing may have missed alerts, so none was concluded resolved from its absence. */
  lastIncomplete = false;

  constructor(options: IlertStateSyncOptions) {
    this.#options = options;
    this.#periodic = new Periodic(() => this.poll(), options.intervalMs ?? ILERT_POLL_INTERVAL_MS);
  }

  start(): void {
    this.#periodic.start();
  }

  async stop(): Promise<void> {
    await this.#periodic.stop();
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
      // Alerts ilert may hold: an ALERT for them was delivered (and not yet known resolved in both places).
      const rows = store.sql
        .get(
          `SELECT a.level_alert_id, a.alert_key, a.state, a.ilert_status, a.ilert_accepted_by,
             (SELECT max(o.updated_at) FROM outbox o WHERE o.alert_key = a.alert_key AND o.event_type = 'ALERT' AND o.status = 'delivered') AS delivered_at
           FROM alerts a
           WHERE (a.state = 'active' OR a.ilert_status IN ('PENDING', 'ACCEPTED'))
             AND EXISTS (SELECT 1 FROM outbox o WHERE o.alert_key = a.alert_key AND o.event_type = 'ALERT' AND o.status = 'delivered')`,
        )
        .all() as { level_alert_id: string; alert_key: string; state: string; ilert_status: string | null; ilert_accepted_by: string | null; delivered_at: number }[];
      const update = store.sql.get(`UPDATE alerts SET ilert_status = ?, ilert_accepted_by = ?, ilert_accepted_at = ?, ilert_checked_at = ? WHERE level_alert_id = ?`);
      for (const row of rows) {
        const found = byKey.get(row.alert_key.toLowerCase());
        // Absent from a listing that may have skipped alerts proves nothing: keep what was known.
        if (!found && !complete) continue;
        if (!found && now - row.delivered_at < CREATION_GRACE_MS && row.ilert_status === null) continue;
        const status = found?.status ?? 'RESOLVED';
        const acceptedBy = found?.acceptedBy ?? (status === 'RESOLVED' ? row.ilert_accepted_by : null) ?? null;
        update.run(status, acceptedBy, found?.acceptedAt ?? null, now, row.level_alert_id);
        if (status !== row.ilert_status || acceptedBy !== row.ilert_accepted_by) store.collect({ kind: 'alert', levelAlertId: row.level_alert_id });
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
