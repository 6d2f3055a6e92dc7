import type { IlertEventBody } from '../ilert/event-mapping.ts';
import { RANK_STEP_MS, type JobStatus, type Store } from './store.ts';

export interface Job {
  id: number;
  alertKey: string;
  target: string;
  eventType: IlertEventBody['eventType'];
  body: IlertEventBody;
  deliveryId: number | null;
  attempts: number;
  firstAttemptAt: number | null;
  manual: boolean;
}

export interface AttemptRecord {
  startedAt: number;
  latencyMs: number | null;
  url: string;
  keyFingerprint: string;
  requestBody: string;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  manual: boolean;
}

/** What an attempt means for its job. */
export type AttemptVerdict =
  | { kind: 'delivered' }
  | { kind: 'failed'; reason: string }
  | { kind: 'retry'; at: number; maybeDelivered: boolean; reason: string };

interface JobRow {
  id: number;
  alert_key: string;
  target: string;
  event_type: IlertEventBody['eventType'];
  payload: string;
  attempts: number;
  first_attempt_at: number | null;
  reason: string | null;
  delivery_id: number | null;
}

const MANUAL_RERUN = 'manual re-run';

/** The forwarder's view of the outbox: which jobs are due, and what became of each attempt. */
export class Outbox {
  readonly #store: Store;
  constructor(store: Store) {
    this.#store = store;
  }

  /**
   * After a crash, work that was in flight has an unknown outcome: send it again (ilert's
   * alertKey makes a repeat harmless) and remember that ilert may already have it.
   */
  recoverInFlight(now: number): number {
    return this.#store.transaction(() => {
      const result = this.#store.sql
        .get(
          `UPDATE outbox SET status = 'queued', maybe_delivered = 1, next_attempt_at = ?, updated_at = ?,
             last_error = 'outcome unknown: the relay stopped during the request'
           WHERE status = 'in_flight'`,
        )
        .run(now, now);
      return Number(result.changes);
    });
  }

  dueTargets(now: number): string[] {
    const rows = this.#store.sql
      .get(`SELECT DISTINCT target FROM outbox WHERE status = 'queued' AND next_attempt_at <= ?`)
      .all(now) as { target: string }[];
    return rows.map((row) => row.target);
  }

  /** The earliest time after `now` at which a queued job becomes due, if any. */
  nextDueAfter(now: number): number | undefined {
    const row = this.#store.sql
      .get(`SELECT min(next_attempt_at) AS at FROM outbox WHERE status = 'queued' AND next_attempt_at > ?`)
      .get(now) as { at: number | null };
    return row.at ?? undefined;
  }

  /**
   * Claims up to `limit` due jobs of one target and marks them in flight. Per alert key strictly
   * first-in first-out (a RESOLVE never overtakes its ALERT); across keys by rank, then age.
   */
  claimDue(target: string, now: number, limit: number): Job[] {
    if (limit <= 0) return [];
    return this.#store.transaction(() => {
      const rows = this.#store.sql
        .get(
          `SELECT id, alert_key, target, event_type, payload, attempts, first_attempt_at, reason, delivery_id FROM outbox AS job
           WHERE target = ? AND status = 'queued' AND next_attempt_at <= ?
             AND NOT EXISTS (SELECT 1 FROM outbox AS earlier
                             WHERE earlier.alert_key = job.alert_key AND earlier.id < job.id AND earlier.status IN ('queued', 'in_flight'))
           ORDER BY created_at + rank * ${RANK_STEP_MS}, id
           LIMIT ?`,
        )
        .all(target, now, limit) as unknown as JobRow[];
      const markInFlight = this.#store.sql.get(`UPDATE outbox SET status = 'in_flight', updated_at = ? WHERE id = ?`);
      for (const row of rows) {
        markInFlight.run(now, row.id);
        this.#store.collect({ kind: 'job', id: row.id, alertKey: row.alert_key, target: row.target, status: 'in_flight' });
      }
      return rows.map((row) => ({
        id: row.id,
        alertKey: row.alert_key,
        target: row.target,
        eventType: row.event_type,
        body: JSON.parse(row.payload) as IlertEventBody,
        deliveryId: row.delivery_id,
        attempts: row.attempts,
        firstAttemptAt: row.first_attempt_at,
        manual: row.reason === MANUAL_RERUN,
      }));
    });
  }

  /** The original Level body of a job's delivery, for pass-through to ilert's Level.io source. */
  levelBodyOf(job: Job): Uint8Array | undefined {
    if (job.deliveryId === null) return undefined;
    const row = this.#store.sql.get('SELECT body FROM delivery_bodies WHERE delivery_id = ?').get(job.deliveryId) as { body: Uint8Array | null } | undefined;
    return row?.body ?? undefined;
  }

  /** Records one attempt and moves its job on, in one transaction. */
  complete(job: Job, attempt: AttemptRecord, verdict: AttemptVerdict): void {
    this.#store.transaction(() => {
      const sql = this.#store.sql;
      sql
        .get(
          `INSERT INTO attempts (outbox_id, started_at, latency_ms, url, key_fingerprint, request_body, status_code, error, response_body, manual)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          job.id,
          attempt.startedAt,
          attempt.latencyMs,
          attempt.url,
          attempt.keyFingerprint,
          attempt.requestBody,
          attempt.statusCode,
          attempt.error,
          attempt.responseBody,
          attempt.manual ? 1 : 0,
        );
      const now = attempt.startedAt + (attempt.latencyMs ?? 0);
      const status: JobStatus = verdict.kind === 'delivered' ? 'delivered' : verdict.kind === 'failed' ? 'failed' : 'queued';
      sql
        .get(
          `UPDATE outbox SET status = ?, reason = ?, attempts = attempts + 1, first_attempt_at = coalesce(first_attempt_at, ?),
             last_attempt_at = ?, last_status_code = ?, last_error = ?, next_attempt_at = ?,
             maybe_delivered = max(maybe_delivered, ?), updated_at = ?
           WHERE id = ?`,
        )
        .run(
          status,
          verdict.kind === 'delivered' ? null : verdict.reason,
          attempt.startedAt,
          attempt.startedAt,
          attempt.statusCode,
          attempt.error,
          verdict.kind === 'retry' ? verdict.at : now,
          verdict.kind === 'retry' && verdict.maybeDelivered ? 1 : 0,
          now,
          job.id,
        );
      this.#store.collect({ kind: 'job', id: job.id, alertKey: job.alertKey, target: job.target, status });
      if (job.eventType === 'ALERT' && verdict.kind !== 'delivered') this.#store.settleResolvedBeforeDelivery(job.alertKey, now);
    });
  }

  /** Sends a job again now, whatever its state; the next attempt is recorded as manual. */
  rerun(jobId: number, now: number): boolean {
    return this.#store.transaction(() => {
      const row = this.#store.sql.get(`SELECT alert_key, target, status FROM outbox WHERE id = ?`).get(jobId) as
        | { alert_key: string; target: string; status: JobStatus }
        | undefined;
      if (!row || row.status === 'in_flight') return false;
      this.#store.sql
        .get(
          `UPDATE outbox SET status = 'queued', reason = '${MANUAL_RERUN}', next_attempt_at = ?, first_attempt_at = NULL, updated_at = ?
           WHERE id = ?`,
        )
        .run(now, now, jobId);
      this.#store.collect({ kind: 'job', id: jobId, alertKey: row.alert_key, target: row.target, status: 'queued' });
      return true;
    });
  }

  failedJobIds(): number[] {
    const rows = this.#store.sql.get(`SELECT id FROM outbox WHERE status = 'failed' ORDER BY id`).all() as { id: number }[];
    return rows.map((row) => row.id);
  }

  /** When recent attempts completed, so a restart does not forget how much of the rate limit is used. */
  recentSendTimes(keyFingerprint: string, since: number): number[] {
    const rows = this.#store.sql
      .get(`SELECT started_at + coalesce(latency_ms, 0) AS at FROM attempts WHERE key_fingerprint = ? AND started_at + coalesce(latency_ms, 0) > ?`)
      .all(keyFingerprint, since) as { at: number }[];
    return rows.map((row) => row.at);
  }
}
