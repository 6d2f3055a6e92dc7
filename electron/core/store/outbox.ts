import type { IlertEventBody } from '../ilert/event-mapping.ts';
import { Repository } from './store.ts';
import type { JobStatus } from './database.ts';
import { RANK_STEP_MS } from './alert-ledger.ts';
import { SQL } from './private.ts';

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
export type AttemptVerdict = { kind: 'delivered' } | { kind: 'failed'; reason: string } | { kind: 'retry'; at: number; maybeDelivered: boolean; reason: string };

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

/** Backlog order (lower goes first); the outbox_backlog index is on this very expression. */
const PRIORITY_AT = `created_at + rank * ${RANK_STEP_MS}`;

/** A waiting job as the forwarder schedules it, with its stored (wall-clock) next attempt. */
export interface StoredPendingJob {
  id: number;
  alertKey: string;
  target: string;
  status: 'queued' | 'in_flight';
  priorityAt: number;
  nextAttemptAt: number;
}

interface PendingRow {
  id: number;
  alert_key: string;
  target: string;
  status: 'queued' | 'in_flight';
  priority_at: number;
  next_attempt_at: number;
}

const pendingJobOf = (row: PendingRow): StoredPendingJob => ({
  id: row.id,
  alertKey: row.alert_key,
  target: row.target,
  status: row.status,
  priorityAt: row.priority_at,
  nextAttemptAt: row.next_attempt_at,
});

/** The forwarder's view of the outbox: which jobs are due, and what became of each attempt. */
export class Outbox extends Repository {
  /**
   * After a crash, work that was in flight has an unknown outcome: send it again (ilert's
   * alertKey makes a repeat harmless) and remember that ilert may already have it.
   */
  recoverInFlight(now: number): number {
    return this.store.transaction(() => {
      const result = this.store[SQL].get(
        `UPDATE outbox SET status = 'queued', maybe_delivered = 1, next_attempt_at = ?, updated_at = ?,
             last_error = 'outcome unknown: the relay stopped during the request'
           WHERE status = 'in_flight'`,
      ).run(now, now);
      return Number(result.changes);
    });
  }

  /** Targets with queued jobs, from the kept counters (on start, after recoverInFlight). */
  backlogTargets(): string[] {
    const rows = this.store[SQL].get(`SELECT substr(name, 13) AS target FROM facts WHERE name > 'jobs:queued:' AND name < 'jobs:queued;' AND n > 0`).all() as { target: string }[];
    return rows.map((row) => row.target);
  }

  /**
   * Up to `limit` queued jobs of a target placed after `after` in backlog order (priorityAt, then id),
   * through the partial index of queued jobs in that order: the rows read, not the backlog.
   */
  backlogPage(target: string, after: { priorityAt: number; id: number } | undefined, limit: number): StoredPendingJob[] {
    const rows = this.store[SQL].get(
      `SELECT id, alert_key, target, status, ${PRIORITY_AT} AS priority_at, next_attempt_at FROM outbox INDEXED BY outbox_backlog
         WHERE target = ? AND status = 'queued' AND ${PRIORITY_AT} >= ? AND (${PRIORITY_AT} > ? OR id > ?)
         ORDER BY ${PRIORITY_AT}, id LIMIT ?`,
    ).all(target, after?.priorityAt ?? Number.MIN_SAFE_INTEGER, after?.priorityAt ?? Number.MIN_SAFE_INTEGER, after?.id ?? 0, limit) as unknown as PendingRow[];
    return rows.map(pendingJobOf);
  }

  /** The alert key's jobs older than `id` still waiting or on the wire (usually none), through the key's index. */
  olderPending(alertKey: string, id: number): StoredPendingJob[] {
    const rows = this.store[SQL].get(
      `SELECT id, alert_key, target, status, ${PRIORITY_AT} AS priority_at, next_attempt_at FROM outbox INDEXED BY outbox_alert_key
         WHERE alert_key = ? AND id < ? AND status IN ('queued', 'in_flight')`,
    ).all(alertKey, id) as unknown as PendingRow[];
    return rows.map(pendingJobOf);
  }

  /** One waiting job by id (for a change announced without its schedule). */
  pendingJob(id: number): { priorityAt: number; nextAttemptAt: number } | undefined {
    const row = this.store[SQL].get(`SELECT ${PRIORITY_AT} AS priority_at, next_attempt_at FROM outbox WHERE id = ? AND status = 'queued'`).get(id) as
      { priority_at: number; next_attempt_at: number } | undefined;
    return row ? { priorityAt: row.priority_at, nextAttemptAt: row.next_attempt_at } : undefined;
  }

  /**
   * Marks the given jobs in flight and returns them; a job that is no longer queued (skipped or
   * re-run meanwhile) is left out. Touches only the rows it sends, by primary key.
   */
  claim(ids: readonly number[], now: number): Job[] {
    if (ids.length === 0) return [];
    return this.store.transaction(() => {
      const mark = this.store[SQL].get(
        `UPDATE outbox SET status = 'in_flight', updated_at = ? WHERE id = ? AND status = 'queued'
         RETURNING id, alert_key, target, event_type, payload, attempts, first_attempt_at, reason, delivery_id`,
      );
      const jobs: Job[] = [];
      for (const id of ids) {
        const row = mark.get(now, id) as unknown as JobRow | undefined;
        if (!row) continue;
        this.store.collect({ kind: 'job', id: row.id, alertKey: row.alert_key, target: row.target, status: 'in_flight' });
        jobs.push({
          id: row.id,
          alertKey: row.alert_key,
          target: row.target,
          eventType: row.event_type,
          body: JSON.parse(row.payload) as IlertEventBody,
          deliveryId: row.delivery_id,
          attempts: row.attempts,
          firstAttemptAt: row.first_attempt_at,
          manual: row.reason === MANUAL_RERUN,
        });
      }
      return jobs;
    });
  }

  /**
   * Jobs marked in flight whose outcome was lost (no request of this process is sending them):
   * queued again as "outcome unknown", like after a crash, so they cannot block their alert's RESOLVE.
   */
  requeueOrphans(ids: readonly number[], now: number): number[] {
    if (ids.length === 0) return [];
    return this.store.transaction(() => {
      const requeue = this.store[SQL].get(
        `UPDATE outbox SET status = 'queued', maybe_delivered = 1, next_attempt_at = ?, updated_at = ?,
           last_error = 'outcome unknown: the attempt could not be recorded' WHERE id = ? AND status = 'in_flight'
         RETURNING id, alert_key, target`,
      );
      const requeued: number[] = [];
      for (const id of ids) {
        const row = requeue.get(now, now, id) as { id: number; alert_key: string; target: string } | undefined;
        if (!row) continue;
        requeued.push(row.id);
        this.store.collect({ kind: 'job', id: row.id, alertKey: row.alert_key, target: row.target, status: 'queued', schedule: this.#scheduleOf(row.id) });
      }
      return requeued;
    });
  }

  #scheduleOf(id: number): { priorityAt: number; delayMs: number } {
    const row = this.store[SQL].get(`SELECT ${PRIORITY_AT} AS priority_at FROM outbox WHERE id = ?`).get(id) as { priority_at: number };
    return { priorityAt: row.priority_at, delayMs: 0 };
  }

  /** The original Level body of a job's delivery, for pass-through to ilert's Level.io source. */
  levelBodyOf(job: Job): Uint8Array | undefined {
    if (job.deliveryId === null) return undefined;
    const row = this.store[SQL].get('SELECT body FROM delivery_bodies WHERE delivery_id = ?').get(job.deliveryId) as { body: Uint8Array | null } | undefined;
    return row?.body ?? undefined;
  }

  /** Records one attempt and moves its job on, in one transaction. */
  complete(job: Job, attempt: AttemptRecord, verdict: AttemptVerdict): void {
    this.completeAll([{ job, attempt, verdict }]);
  }

  /** Records attempts that finished together in one transaction (one fsync for all of them). */
  completeAll(outcomes: readonly { job: Job; attempt: AttemptRecord; verdict: AttemptVerdict }[]): void {
    if (outcomes.length === 0) return;
    this.store.transaction(() => {
      for (const { job, attempt, verdict } of outcomes) this.#record(job, attempt, verdict);
    });
  }

  #record(job: Job, attempt: AttemptRecord, verdict: AttemptVerdict): void {
    {
      const sql = this.store[SQL];
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
      this.store.collect({ kind: 'job', id: job.id, alertKey: job.alertKey, target: job.target, status });
      if (job.eventType === 'ACCEPT' && verdict.kind === 'delivered') {
        const alert = sql.get('UPDATE alerts SET accept_sent_at = ? WHERE alert_key = ? RETURNING level_alert_id').get(now, job.alertKey) as { level_alert_id: string } | undefined;
        if (alert) this.store.collect({ kind: 'alert', levelAlertId: alert.level_alert_id });
      }
      if (job.eventType === 'ALERT' && verdict.kind !== 'delivered') this.store.ledger.settleResolvedBeforeDelivery(job.alertKey, now);
    }
  }

  /** Sends a job again now, whatever its state; the next attempt is recorded as manual. */
  rerun(jobId: number, now: number): boolean {
    return this.store.transaction(() => {
      const row = this.store[SQL].get(`SELECT alert_key, target, status FROM outbox WHERE id = ?`).get(jobId) as
        { alert_key: string; target: string; status: JobStatus } | undefined;
      if (!row || row.status === 'in_flight') return false;
      this.store[SQL].get(
        `UPDATE outbox SET status = 'queued', reason = '${MANUAL_RERUN}', next_attempt_at = ?, first_attempt_at = NULL, updated_at = ?
           WHERE id = ?`,
      ).run(now, now, jobId);
      this.store.collect({ kind: 'job', id: jobId, alertKey: row.alert_key, target: row.target, status: 'queued', schedule: this.#scheduleOf(jobId) });
      return true;
    });
  }

  /**
   * A job waiting for its next retry is due now (the technician's "Send now"). Unlike a re-run, its
   * attempts and its give-up time stay; the attempt is recorded as manual. False unless it is queued.
   */
  sendNow(jobId: number, now: number): boolean {
    return this.store.transaction(() => {
      const row = this.store[SQL].get(
        `UPDATE outbox SET reason = '${MANUAL_RERUN}', next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'queued' RETURNING alert_key, target`,
      ).get(now, now, jobId) as { alert_key: string; target: string } | undefined;
      if (!row) return false;
      this.store.collect({ kind: 'job', id: jobId, alertKey: row.alert_key, target: row.target, status: 'queued', schedule: this.#scheduleOf(jobId) });
      return true;
    });
  }

  /** When the oldest waiting job was queued, through the partial index of waiting jobs: one row, not the backlog. */
  oldestWaitingSince(): number | undefined {
    const row = this.store[SQL].get(
      `SELECT created_at AS at FROM outbox INDEXED BY outbox_waiting_since WHERE status IN ('queued', 'in_flight') ORDER BY created_at LIMIT 1`,
    ).get() as { at: number } | undefined;
    return row?.at;
  }

  /** The job is the ALERT of an alert that is over: its name, and the RESOLVE that closed it, if any. */
  resolvedAlertOf(jobId: number): { name: string; resolve: { id: number; status: string } | undefined } | undefined {
    const sql = this.store[SQL];
    const job = sql
      .get(`SELECT o.event_type, o.alert_key, o.target, a.state, a.name, a.level_alert_id FROM outbox o LEFT JOIN alerts a ON a.level_alert_id = o.level_alert_id WHERE o.id = ?`)
      .get(jobId) as { event_type: string; alert_key: string; target: string; state: string | null; name: string | null; level_alert_id: string | null } | undefined;
    if (!job || job.event_type !== 'ALERT' || job.state !== 'resolved') return undefined;
    const resolve = sql
      .get(`SELECT id, status FROM outbox INDEXED BY outbox_alert_key WHERE alert_key = ? AND target = ? AND event_type = 'RESOLVE' AND id > ? ORDER BY id DESC LIMIT 1`)
      .get(job.alert_key, job.target, jobId) as { id: number; status: string } | undefined;
    return { name: job.name ? `“${job.name}”` : `alert ${job.level_alert_id}`, resolve };
  }

  failedJobIds(): number[] {
    const rows = this.store[SQL].get(`SELECT id FROM outbox WHERE status = 'failed' ORDER BY id`).all() as { id: number }[];
    return rows.map((row) => row.id);
  }

  /** When recent attempts completed, so a restart does not forget how much of the rate limit is used. */
  recentSendTimes(keyFingerprint: string, since: number): number[] {
    const rows = this.store[SQL].get(`SELECT started_at + coalesce(latency_ms, 0) AS at FROM attempts WHERE key_fingerprint = ? AND started_at + coalesce(latency_ms, 0) > ?`).all(
      keyFingerprint,
      since,
    ) as { at: number }[];
    return rows.map((row) => row.at);
  }
}
