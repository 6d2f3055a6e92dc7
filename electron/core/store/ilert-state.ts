import { SQL } from './private.ts';
import { Repository } from './store.ts';

/** An alert ilert may hold: its ALERT was delivered, and it is not known to be over in both places. */
export interface AlertIlertMayHold {
  levelAlertId: string;
  alertKey: string;
  ilertStatus: string | null;
  ilertAcceptedBy: string | null;
  ilertAlertId: number | null;
  /** When its ALERT was delivered last. */
  deliveredAt: number;
}

export interface IlertStateRead {
  status: string;
  acceptedBy: string | null;
  acceptedAt: string | null;
  ilertAlertId: number | null;
  checkedAt: number;
}

/** ilert's view of the relay's alerts, as the state sync reads it back: the SQL behind IlertStateSync. */
export class IlertStateRepository extends Repository {
  alertsIlertMayHold(): AlertIlertMayHold[] {
    const rows = this.store[SQL].get(
      `SELECT a.level_alert_id, a.alert_key, a.ilert_status, a.ilert_accepted_by, a.ilert_alert_id,
           (SELECT max(o.updated_at) FROM outbox o WHERE o.alert_key = a.alert_key AND o.event_type = 'ALERT' AND o.status = 'delivered') AS delivered_at
         FROM alerts a
         WHERE (a.state = 'active' OR a.ilert_status IN ('PENDING', 'ACCEPTED'))
           AND EXISTS (SELECT 1 FROM outbox o WHERE o.alert_key = a.alert_key AND o.event_type = 'ALERT' AND o.status = 'delivered')`,
    ).all() as { level_alert_id: string; alert_key: string; ilert_status: string | null; ilert_accepted_by: string | null; ilert_alert_id: number | null; delivered_at: number }[];
    return rows.map((row) => ({
      levelAlertId: row.level_alert_id,
      alertKey: row.alert_key,
      ilertStatus: row.ilert_status,
      ilertAcceptedBy: row.ilert_accepted_by,
      ilertAlertId: row.ilert_alert_id,
      deliveredAt: row.delivered_at,
    }));
  }

  /** Records what ilert said; a resolved alert keeps the ilert id it had, so its link still opens it. */
  record(levelAlertId: string, read: IlertStateRead): void {
    this.store[SQL].get(
      `UPDATE alerts SET ilert_status = ?, ilert_accepted_by = ?, ilert_accepted_at = ?, ilert_alert_id = coalesce(?, ilert_alert_id), ilert_checked_at = ?
         WHERE level_alert_id = ?`,
    ).run(read.status, read.acceptedBy, read.acceptedAt, read.ilertAlertId, read.checkedAt, levelAlertId);
  }
}
