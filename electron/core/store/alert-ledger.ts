import type { LevelAlert } from '../level/envelope.ts';
import { summaryFor, type IlertEventBody } from '../ilert/event-mapping.ts';
import type { Severity } from '../../../shared/contract.ts';
import type { SQLInputValue } from 'node:sqlite';
import type { Statements } from './database.ts';
import { internalDelivery, type InboundDelivery } from './inbound-delivery.ts';
import type { JobStatus, StoreChange } from './database.ts';
import type { Hold } from '../holds/hold.ts';
import { FLAP_REF_PREFIX, flapReason } from '../holds/flapping.ts';
import { ConflictError, NotFoundError } from '../errors.ts';

/** 'received': acknowledged, not yet applied by the processor; 'failed': the processor could not apply it (see ingest/processor.ts). */
export type DeliveryOutcome = 'received' | 'accepted' | 'failed' | 'duplicate' | 'rejected';

/** What the delivery log filters and searches on, copied onto the delivery row at ingest. */
export interface DeliveryDescription {
  levelAlertId?: string | undefined;
  name?: string | undefined;
  hostname?: string | undefined;
  severity?: string | undefined;
}

/** What the store remembers of one Level alert: the state machine's memory. */
export interface AlertHistory {
  state: 'active' | 'resolved';
  lastActiveMs: number | null;
  lastResolveMs: number | null;
  /** Reconciliation sent an ALERT for it since its last resolve (asked only while it is active). */
  backfilled: boolean;
}

export interface NewJob {
  alertKey: string;
  levelAlertId: string;
  eventId: string;
  deliveryId: number | null;
  target: string;
  routeReason: string | null;
  body: IlertEventBody;
  severity: Severity | undefined;
  status: JobStatus;
  reason: string | null;
  /** With status 'held': why, and until when. */
  hold?: Hold | undefined;
  now: number;
}

export interface AlertRow {
  alert: LevelAlert;
  alertKey: string;
  resolved: boolean;
  resolvedAt: string | null;
  /** The state machine's times after this event (see decideAlert). */
  lastActiveMs: number | null;
  lastResolveMs: number | null;
  routeTarget: string | null;
  routeReason: string;
  groupPath: string | undefined;
  now: number;
}

const RESOLVED_BEFORE_DELIVERY = 'skipped: resolved before delivery';

/** Event ids that reconciliation makes up for alerts it learned of from Level's API. */
export const RECONCILED_EVENT_PREFIX = 'reconciled:';

/**
 * Rank within a backlog: emergency/critical alerts and all resolves first (a resolve stops a page),
 * then warnings, then the rest. Each rank step is worth five minutes of waiting, so nothing starves.
 */
export const RANK_STEP_MS = 5 * 60_000;
export function rankFor(eventType: IlertEventBody['eventType'], severity: Severity | undefined): number {
  if (eventType !== 'ALERT' || severity === 'emergency' || severity === 'critical') return 0;
  return severity === 'warning' ? 1 : 2;
}

/** Where an Accept pressed in the app is logged in the delivery log (never served: no request comes in on it). */
export const ACCEPT_PATH = '/app/accept';

export interface DeliveryVerdict {
  statusCode: number;
  outcome: DeliveryOutcome;
  reason?: string | undefined;
  eventId?: string | undefined;
  eventType?: string | undefined;
}

/** The SQL that writes a delivery and its event: the store's connection and the append thread's (see append-thread.ts) both run it. */
export const INSERT_DELIVERY = `INSERT INTO deliveries (received_at, source, remote_addr, forwarded_for, method, path, headers, body_size, body_sha256, kept_bytes,
    signature, status_code, outcome, reason, event_id, event_type, rerun_of, level_alert_id, alert_name, hostname, severity)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
export const INSERT_BODY = 'INSERT INTO delivery_bodies (delivery_id, body) VALUES (?, ?)';
export const EVENT_KNOWN = 'SELECT 1 FROM events WHERE event_id = ?';
export const INSERT_EVENT = `INSERT INTO events (event_id, delivery_id, event_type, occurred_at, claimed_occurred_at, resource_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)`;

/** INSERT_DELIVERY's parameters. */
export function deliveryParams(delivery: InboundDelivery, verdict: DeliveryVerdict, described: DeliveryDescription = {}, bodySha256?: string): SQLInputValue[] {
  const headers = JSON.stringify(delivery.headers);
  return [
    delivery.receivedAt,
    delivery.source,
    delivery.remoteAddr ?? null,
    delivery.forwardedFor ?? null,
    delivery.method,
    delivery.path,
    headers,
    delivery.bodySize,
    bodySha256 ?? null,
    Buffer.byteLength(headers) + (delivery.body?.length ?? 0),
    delivery.signature,
    verdict.statusCode,
    verdict.outcome,
    verdict.reason ?? null,
    verdict.eventId ?? null,
    verdict.eventType ?? null,
    delivery.rerunOf ?? null,
    described.levelAlertId ?? null,
    described.name ?? null,
    described.hostname ?? null,
    described.severity ?? null,
  ];
}

/**
 * The rows the ingest pipeline and the Accept button write: deliveries, events, alerts and their
 * ilert work. Runs inside the caller's transaction; changes go to `collect` and are announced
 * once it commits.
 */
export class AlertLedger {
  readonly #sql: Statements;
  readonly #collect: (change: StoreChange) => void;

  constructor(sql: Statements, collect: (change: StoreChange) => void) {
    this.#sql = sql;
    this.#collect = collect;
  }

  insertDelivery(delivery: InboundDelivery, verdict: DeliveryVerdict, described: DeliveryDescription = {}, bodySha256?: string): number {
    const result = this.#sql.get(INSERT_DELIVERY).run(...deliveryParams(delivery, verdict, described, bodySha256));
    const id = Number(result.lastInsertRowid);
    if (delivery.body) this.#sql.get(INSERT_BODY).run(id, delivery.body);
    this.#collect({ kind: 'delivery', id });
    return id;
  }

  /** The delivery that brought an event in, if it was accepted. */
  deliveryOfEvent(eventId: string): number | undefined {
    const row = this.#sql.get(`SELECT delivery_id FROM events WHERE event_id = ?`).get(eventId) as { delivery_id: number } | undefined;
    return row?.delivery_id;
  }

  stateOf(levelAlertId: string): AlertHistory['state'] | undefined {
    const row = this.#sql.get('SELECT state FROM alerts WHERE level_alert_id = ?').get(levelAlertId) as { state: AlertHistory['state'] } | undefined;
    return row?.state;
  }

  /** The ids of the alerts the relay holds as active: only the ids (100,000 active alerts' data is about 90 MB). */
  activeAlertIds(): string[] {
    const rows = this.#sql.get(`SELECT level_alert_id FROM alerts WHERE state = 'active'`).all() as { level_alert_id: string }[];
    return rows.map((row) => row.level_alert_id);
  }

  /** The data an alert's last event brought (JSON). */
  alertData(levelAlertId: string): string | undefined {
    return (this.#sql.get(`SELECT data FROM alerts WHERE level_alert_id = ?`).get(levelAlertId) as { data: string } | undefined)?.data;
  }

  /**
   * Active alerts whose Level id starts with `prefix` (the relay's own test alerts), through the
   * primary key's range: the alerts with that prefix, not every active alert (100,000 in a storm).
   */
  activeAlertsWithPrefix(prefix: string): { levelAlertId: string; data: string }[] {
    // The first string after every one that starts with the prefix: its last character, one up.
    // `+state` keeps SQLite off the state indexes, which would walk every active alert.
    const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    const rows = this.#sql.get(`SELECT level_alert_id, data FROM alerts WHERE level_alert_id >= ? AND level_alert_id < ? AND +state = 'active'`).all(prefix, end) as {
      level_alert_id: string;
      data: string;
    }[];
    return rows.map((row) => ({ levelAlertId: row.level_alert_id, data: row.data }));
  }

  /** The alert's history, and the ilert alertKey its events carry: its own, or that of the open alert it refired into (resolve grace). */
  history(levelAlertId: string): (AlertHistory & { alertKey: string }) | undefined {
    const row = this.#sql.get('SELECT alert_key, state, last_active_ms, last_resolve_ms FROM alerts WHERE level_alert_id = ?').get(levelAlertId) as
      { alert_key: string; state: 'active' | 'resolved'; last_active_ms: number | null; last_resolve_ms: number | null } | undefined;
    if (!row) return undefined;
    return {
      alertKey: row.alert_key,
      state: row.state,
      lastActiveMs: row.last_active_ms,
      lastResolveMs: row.last_resolve_ms,
      backfilled: row.state === 'active' && this.#alertSentSinceLastResolve(row.alert_key, `${RECONCILED_EVENT_PREFIX}%`),
    };
  }

  /** An ALERT (of events whose id is like `eventIds`) is sent or on its way since the alert's last resolve. */
  #alertSentSinceLastResolve(alertKey: string, eventIds = '%'): boolean {
    const row = this.#sql
      .get(
        `SELECT 1 FROM outbox WHERE alert_key = ? AND event_type = 'ALERT' AND event_id LIKE ?
           AND status NOT IN ('skipped', 'failed')
           AND id > (SELECT coalesce(max(id), 0) FROM outbox WHERE alert_key = ? AND event_type = 'RESOLVE' AND status != 'skipped')`,
      )
      .get(alertKey, eventIds, alertKey);
    return Boolean(row);
  }

  /**
   * Active alerts routing held back (under a minimum severity, an unmapped group) that ilert has
   * not had since their last resolve: they go to ilert once their route lets them through.
   */
  heldByRoute(): { levelAlertId: string; data: string; lastActiveMs: number | null }[] {
    const rows = this.#sql
      .get(
        `SELECT level_alert_id, alert_key, data, last_active_ms FROM alerts INDEXED BY alerts_held_by_route
         WHERE state = 'active' AND route_target IS NULL AND route_reason IS NOT NULL`,
      )
      .all() as { level_alert_id: string; alert_key: string; data: string; last_active_ms: number | null }[];
    return rows
      .filter((row) => !this.#alertSentSinceLastResolve(row.alert_key))
      .map((row) => ({ levelAlertId: row.level_alert_id, data: row.data, lastActiveMs: row.last_active_ms }));
  }

  /** The ilert job an accepted delivery made, if any: whether it goes to ilert, and if not, why. */
  jobOfDelivery(deliveryId: number): { status: JobStatus; reason: string | null } | undefined {
    return this.#sql.get('SELECT status, reason FROM outbox WHERE delivery_id = ? ORDER BY id LIMIT 1').get(deliveryId) as { status: JobStatus; reason: string | null } | undefined;
  }

  /** Where the alert's last ALERT went, so its resolve goes there too. */
  targetOfSentAlert(alertKey: string): string | undefined {
    const row = this.#sql.get(`SELECT target FROM outbox WHERE alert_key = ? AND event_type = 'ALERT' AND status != 'skipped' ORDER BY id DESC LIMIT 1`).get(alertKey) as
      { target: string } | undefined;
    return row?.target;
  }

  writeAlert(row: AlertRow): void {
    const { alert, resolved } = row;
    this.#sql
      .get(
        `INSERT INTO alerts (level_alert_id, alert_key, state, severity, name, device_id, device_hostname, started_at, resolved_at,
           last_active_ms, last_resolve_ms, route_target, route_reason, group_path, data, first_seen_at, updated_at)
         VALUES (:id, :key, :state, :severity, :name, :device_id, :host, :started, :resolved_at, :active_ms, :resolve_ms,
           :route_target, :route_reason, :group_path, :data, :now, :now)
         ON CONFLICT(level_alert_id) DO UPDATE SET
           state = excluded.state,
           severity = coalesce(excluded.severity, severity), name = coalesce(excluded.name, name),
           device_id = coalesce(excluded.device_id, device_id), device_hostname = coalesce(excluded.device_hostname, device_hostname),
           started_at = coalesce(excluded.started_at, started_at),
           resolved_at = CASE WHEN excluded.state = 'resolved' THEN coalesce(excluded.resolved_at, resolved_at) ELSE NULL END,
           last_active_ms = excluded.last_active_ms, last_resolve_ms = excluded.last_resolve_ms,
           route_target = excluded.route_target, route_reason = excluded.route_reason,
           group_path = coalesce(excluded.group_path, group_path),
           data = excluded.data, updated_at = excluded.updated_at`,
      )
      .run({
        id: alert.id,
        key: row.alertKey,
        state: resolved ? 'resolved' : 'active',
        severity: alert.severity ?? null,
        name: alert.name ?? null,
        device_id: alert.device_id ?? null,
        host: alert.device_hostname ?? null,
        started: alert.started_at ?? null,
        resolved_at: row.resolvedAt,
        active_ms: row.lastActiveMs,
        resolve_ms: row.lastResolveMs,
        route_target: row.routeTarget,
        route_reason: row.routeReason,
        group_path: row.groupPath ?? null,
        data: JSON.stringify(alert),
        now: row.now,
      });
    this.#collect({ kind: 'alert', levelAlertId: alert.id });
  }

  insertJob(job: NewJob): number {
    const rank = rankFor(job.body.eventType, job.severity);
    const result = this.#sql
      .get(
        `INSERT INTO outbox (created_at, alert_key, level_alert_id, event_id, delivery_id, target, route_reason, event_type, rank, payload,
           status, reason, next_attempt_at, updated_at, held_reason, held_until, hold_ref)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        job.now,
        job.alertKey,
        job.levelAlertId,
        job.eventId,
        job.deliveryId,
        job.target,
        job.routeReason,
        job.body.eventType,
        rank,
        JSON.stringify(job.body),
        job.status,
        job.reason,
        job.now,
        job.now,
        job.hold?.reason ?? null,
        job.hold?.until ?? null,
        job.hold?.ref ?? null,
      );
    const id = Number(result.lastInsertRowid);
    const schedule = job.status === 'queued' ? { priorityAt: job.now + rank * RANK_STEP_MS, delayMs: 0 } : undefined;
    this.#collect({ kind: 'job', id, alertKey: job.alertKey, target: job.target, status: job.status, ...(schedule ? { schedule } : {}) });
    return id;
  }

  /**
   * When an alert's ALERT and its RESOLVE are both still waiting, nobody should be paged for a
   * problem that is over: both are skipped — unless ilert may already hold the alert (an ALERT since
   * the last resolve was delivered, is in flight, or had an attempt with an unknown outcome).
   */
  settleResolvedBeforeDelivery(alertKey: string, now: number): number[] {
    const resolve = this.#sql.get(`SELECT id FROM outbox WHERE alert_key = ? AND event_type = 'RESOLVE' AND status = 'queued' ORDER BY id DESC LIMIT 1`).get(alertKey) as
      { id: number } | undefined;
    if (!resolve) return [];
    const previousResolve = this.#sql
      .get(`SELECT coalesce(max(id), 0) AS id FROM outbox WHERE alert_key = ? AND event_type = 'RESOLVE' AND status != 'skipped' AND id < ?`)
      .get(alertKey, resolve.id) as { id: number };
    const alerts = this.#sql
      .get(`SELECT id, status, maybe_delivered, hold_ref, created_at, held_until FROM outbox WHERE alert_key = ? AND event_type = 'ALERT' AND id > ? AND id < ?`)
      .all(alertKey, previousResolve.id, resolve.id) as {
      id: number;
      status: JobStatus;
      maybe_delivered: number;
      hold_ref: string | null;
      created_at: number;
      held_until: number | null;
    }[];
    // A held ALERT (maintenance window) was never sent either: resolved meanwhile, nothing goes.
    const waiting = alerts.filter((job) => (job.status === 'queued' || job.status === 'held') && !job.maybe_delivered);
    const mayBeOpen = alerts.some((job) => job.status === 'delivered' || job.status === 'in_flight' || job.maybe_delivered);
    if (waiting.length === 0 || mayBeOpen) return [];
    const skipped = [...waiting.map((job) => job.id), resolve.id];
    // Resolved inside its hold-down: a flap, and both jobs say so.
    const heldDown = waiting.find((job) => job.status === 'held' && job.hold_ref?.startsWith(FLAP_REF_PREFIX) && job.held_until !== null);
    const reason = heldDown ? flapReason(heldDown.created_at, heldDown.held_until!, now) : RESOLVED_BEFORE_DELIVERY;
    const update = this.#sql.get(`UPDATE outbox SET status = 'skipped', reason = ?, updated_at = ?, released = CASE status WHEN 'held' THEN ? ELSE released END WHERE id = ?`);
    const target = this.#sql.get('SELECT target FROM outbox WHERE id = ?').get(resolve.id) as { target: string };
    for (const id of skipped) {
      update.run(reason, now, heldDown ? `${reason}: nothing sent` : 'resolved while held: nothing sent', id);
      this.#collect({ kind: 'job', id, alertKey, target: target.target, status: 'skipped' });
    }
    return skipped;
  }

  /** Queues an ilert ACCEPT for an alert (the Accept button), ordered behind the alert's ALERT. */
  enqueueAccept(levelAlertId: string, acceptedBy: string, now: number): number {
    const row = this.#sql
      .get(
        `SELECT a.alert_key, a.state, a.data, a.severity,
           (SELECT target FROM outbox o WHERE o.alert_key = a.alert_key AND o.event_type = 'ALERT' AND o.status != 'skipped' ORDER BY id DESC LIMIT 1) AS target
         FROM alerts a WHERE a.level_alert_id = ?`,
      )
      .get(levelAlertId) as { alert_key: string; state: string; data: string; severity: Severity | null; target: string | null } | undefined;
    if (!row) throw new NotFoundError(`no alert ${levelAlertId}`);
    if (row.state !== 'active') throw new ConflictError(`alert ${levelAlertId} is already resolved`);
    if (!row.target) throw new ConflictError(`alert ${levelAlertId} was never sent to ilert, so there is nothing to accept`);
    const alert = JSON.parse(row.data) as LevelAlert;
    const eventId = `accept:${levelAlertId}:${now}`;
    const body: IlertEventBody = {
      eventType: 'ACCEPT',
      summary: summaryFor(alert, false),
      alertKey: row.alert_key,
      comments: [{ creator: 'Level → ilert Relay', content: `Accepted from the relay app by ${acceptedBy}` }],
    };
    // Logged like any delivery, so the Accept and its attempts are in the delivery log (the README's "every outbound attempt is kept").
    const deliveryId = this.insertDelivery(
      internalDelivery('app', { path: ACCEPT_PATH, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)), receivedAt: now }),
      { statusCode: 202, outcome: 'accepted', reason: `Accept pressed by ${acceptedBy}`, eventId, eventType: 'accept' },
      { levelAlertId, name: alert.name, hostname: alert.device_hostname, severity: row.severity ?? undefined },
    );
    const jobId = this.insertJob({
      alertKey: row.alert_key,
      levelAlertId,
      eventId,
      deliveryId,
      target: row.target,
      routeReason: 'accepted from the app: same target as the alert',
      body,
      severity: row.severity ?? undefined,
      status: 'queued',
      reason: null,
      now,
    });
    this.#sql.get('UPDATE alerts SET accept_requested_by = ?, accept_sent_at = NULL WHERE alert_key = ?').run(acceptedBy, row.alert_key);
    this.#collect({ kind: 'alert', levelAlertId });
    return jobId;
  }
}
