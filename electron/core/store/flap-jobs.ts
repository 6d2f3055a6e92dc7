import { SQL } from './private.ts';
import { FLAP_REF_PREFIX, GRACE_REF_PREFIX } from '../holds/flapping.ts';
import { Repository } from './store.ts';

/** A RESOLVE waiting out its resolve grace. */
export interface GraceHeldResolve {
  id: number;
  alertKey: string;
  target: string;
  heldAt: number;
  heldUntil: number;
}

/**
 * The last RESOLVE that went or goes to ilert: the alert's current episode starts after it. One
 * still waiting out its grace (held) does not count: a refire may yet cancel it.
 */
const EPISODE_START = `(SELECT coalesce(max(id), 0) FROM outbox WHERE alert_key = ? AND event_type = 'RESOLVE' AND status NOT IN ('skipped', 'held'))`;

/**
 * What the hold-down and the resolve grace ask of the outbox at ingest, inside the ingest's
 * transaction. Held jobs are few and found through the partial index on `hold_ref`; an alert's own
 * jobs through `outbox_alert_key`: nothing here reads more than one alert's rows.
 */
export class FlapJobs extends Repository {
  /** Until when the alert's ALERT is held down, if one is: a repeat waits as long as the first. */
  heldDownUntil(alertKey: string): number | undefined {
    const row = this.store[SQL].get(`SELECT max(held_until) AS until FROM outbox INDEXED BY outbox_held_ref WHERE hold_ref = ? AND status = 'held'`).get(
      `${FLAP_REF_PREFIX}${alertKey}`,
    ) as { until: number | null };
    return row.until ?? undefined;
  }

  /** The alert's RESOLVE held in its grace, if one is. */
  graceHeld(alertKey: string): GraceHeldResolve | undefined {
    const row = this.store[SQL].get(
      `SELECT id, alert_key, target, created_at, held_until FROM outbox INDEXED BY outbox_held_ref WHERE hold_ref = ? AND status = 'held' ORDER BY id DESC LIMIT 1`,
    ).get(`${GRACE_REF_PREFIX}${alertKey}`) as GraceRow | undefined;
    return row && graceOf(row);
  }

  /**
   * A RESOLVE held in its grace for another Level alert with the same device and name: Level may
   * open a new alert (a new id) for the same problem, which is the same page for the technician.
   */
  graceHeldForSameProblem(deviceId: string, name: string): GraceHeldResolve | undefined {
    const row = this.store[SQL].get(
      `SELECT o.id, o.alert_key, o.target, o.created_at, o.held_until FROM outbox o INDEXED BY outbox_held_ref
           JOIN alerts a ON a.level_alert_id = o.level_alert_id
         WHERE o.status = 'held' AND o.hold_ref >= '${GRACE_REF_PREFIX}' AND o.hold_ref < '${GRACE_REF_PREFIX.slice(0, -1)};' AND a.device_id = ? AND a.name = ?
         ORDER BY o.id DESC LIMIT 1`,
    ).get(deviceId, name) as GraceRow | undefined;
    return row && graceOf(row);
  }

  /** ilert has this alert open: an ALERT of its current episode was delivered (so a RESOLVE has something to close). */
  alertDelivered(alertKey: string): boolean {
    const row = this.store[SQL].get(
      `SELECT 1 FROM outbox INDEXED BY outbox_alert_key WHERE alert_key = ? AND event_type = 'ALERT' AND status = 'delivered' AND id > ${EPISODE_START} LIMIT 1`,
    ).get(alertKey, alertKey);
    return Boolean(row);
  }

  /** How often the alert fired in its current episode: its ALERTs and the refires folded into it as comments. */
  occurrences(alertKey: string): number {
    const row = this.store[SQL].get(
      `SELECT count(*) AS n FROM outbox INDEXED BY outbox_alert_key
         WHERE alert_key = ? AND event_type IN ('ALERT', 'COMMENT') AND status NOT IN ('skipped', 'failed') AND id > ${EPISODE_START}`,
    ).get(alertKey, alertKey) as { n: number };
    return row.n;
  }
}

interface GraceRow {
  id: number;
  alert_key: string;
  target: string;
  created_at: number;
  held_until: number;
}

function graceOf(row: GraceRow): GraceHeldResolve {
  return { id: row.id, alertKey: row.alert_key, target: row.target, heldAt: row.created_at, heldUntil: row.held_until };
}
