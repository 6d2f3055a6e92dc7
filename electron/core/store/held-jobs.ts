import type { Hold } from '../holds/hold.ts';
import { RANK_STEP_MS } from './alert-ledger.ts';
import { Repository } from './store.ts';
import { SQL } from './private.ts';

/** A held job whose hold has run out, with what is needed to ask whether something still holds it. */
export interface DueHold {
  id: number;
  alertKey: string;
  levelAlertId: string;
  target: string;
  eventType: string;
  deviceId: string | undefined;
  /** The alert's state now; undefined when the alert is no longer stored. */
  alertState: 'active' | 'resolved' | undefined;
}

/** The outbox's held jobs (status 'held'): found through partial indexes, never by scanning the outbox. */
export class HeldJobs extends Repository {
  /** When the next hold runs out. */
  nextReleaseAt(): number | undefined {
    const row = this.store[SQL].get(`SELECT min(held_until) AS at FROM outbox INDEXED BY outbox_held WHERE status = 'held'`).get() as { at: number | null };
    return row.at ?? undefined;
  }

  due(now: number, limit: number): DueHold[] {
    const rows = this.store[SQL].get(
      `SELECT o.id, o.alert_key, o.level_alert_id, o.target, o.event_type, a.device_id, a.state FROM outbox o INDEXED BY outbox_held
           LEFT JOIN alerts a ON a.level_alert_id = o.level_alert_id
         WHERE o.status = 'held' AND o.held_until <= ? ORDER BY o.held_until, o.id LIMIT ?`,
    ).all(now, limit) as {
      id: number;
      alert_key: string;
      level_alert_id: string;
      target: string;
      event_type: string;
      device_id: string | null;
      state: 'active' | 'resolved' | null;
    }[];
    return rows.map((row) => ({
      id: row.id,
      alertKey: row.alert_key,
      levelAlertId: row.level_alert_id,
      target: row.target,
      eventType: row.event_type,
      deviceId: row.device_id ?? undefined,
      alertState: row.state ?? undefined,
    }));
  }

  /** The held jobs of one alert, oldest first. */
  ofAlert(levelAlertId: string): number[] {
    const rows = this.store[SQL].get(
      `SELECT o.id FROM alerts a JOIN outbox o INDEXED BY outbox_alert_key ON o.alert_key = a.alert_key WHERE a.level_alert_id = ? AND o.status = 'held' ORDER BY o.id`,
    ).all(levelAlertId) as { id: number }[];
    return rows.map((row) => row.id);
  }

  /** Queues a held job to be sent now; `how` is kept on it ("sent by hand by Tess"). Call inside a transaction. */
  release(id: number, how: string, now: number): boolean {
    const row = this.store[SQL].get(
      `UPDATE outbox SET status = 'queued', reason = NULL, released = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'held'
         RETURNING alert_key, target, created_at + rank * ${RANK_STEP_MS} AS priority_at`,
    ).get(how, now, now, id) as { alert_key: string; target: string; priority_at: number } | undefined;
    if (!row) return false;
    this.store.collect({ kind: 'job', id, alertKey: row.alert_key, target: row.target, status: 'queued', schedule: { priorityAt: row.priority_at, delayMs: 0 } });
    return true;
  }

  /** Keeps a job held by what holds it now (another window that is still open). Call inside a transaction. */
  rehold(id: number, hold: Hold, now: number): void {
    const row = this.store[SQL].get(
      `UPDATE outbox SET reason = ?, held_reason = ?, held_until = ?, hold_ref = ?, updated_at = ? WHERE id = ? AND status = 'held' RETURNING alert_key, target`,
    ).get(hold.reason, hold.reason, hold.until ?? null, hold.ref, now, id) as { alert_key: string; target: string } | undefined;
    if (row) this.store.collect({ kind: 'job', id, alertKey: row.alert_key, target: row.target, status: 'held' });
  }

  /** Drops a held job that must not be sent any more (its alert was resolved meanwhile). Call inside a transaction. */
  drop(id: number, reason: string, how: string, now: number): void {
    const row = this.store[SQL].get(
      `UPDATE outbox SET status = 'skipped', reason = ?, released = ?, updated_at = ? WHERE id = ? AND status = 'held' RETURNING alert_key, target`,
    ).get(reason, how, now, id) as { alert_key: string; target: string } | undefined;
    if (row) this.store.collect({ kind: 'job', id, alertKey: row.alert_key, target: row.target, status: 'skipped' });
  }
}
