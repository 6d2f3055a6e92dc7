import { EventEmitter } from 'node:events';
import type { DatabaseSync } from 'node:sqlite';
import { toIlertEvent, alertKeyFor, summaryFor, type IlertEventBody, type Enrichment } from '../ilert/event-mapping.ts';
import type { Envelope, LevelAlert } from '../level/envelope.ts';
import { isResolvedAlertEvent, DEVICE_EVENT_TYPES, GROUP_EVENT_TYPES } from '../level/envelope.ts';
import type { Severity } from '../../../shared/contract.ts';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { openDatabase, Statements, inTransaction, StoreUnavailableError, tryBeginImmediate, finishTransaction, sqliteCode, DATABASE_FILE } from './database.ts';
import { DataDirLock } from '../data-dir-lock.ts';
import { StoreHealth } from './store-health.ts';
import { REJECTION_LIMITS, enforceRejectionBudget, rejectionTrace, type RejectionLimits } from './rejections.ts';
import { Mirror } from './mirror.ts';
import type { InboundDelivery, RejectedDelivery } from './inbound-delivery.ts';

export type DeliveryOutcome = 'accepted' | 'duplicate' | 'rejected';
export type JobStatus = 'queued' | 'in_flight' | 'delivered' | 'failed' | 'skipped';

export interface AcceptedDelivery extends InboundDelivery {
  envelope: Envelope;
  alert: LevelAlert | undefined;
  /** What the receiver had to assume to accept it (e.g. a time without zone), shown as the delivery's reason. */
  note?: string | undefined;
}

export type IngestResult = { outcome: 'accepted' | 'duplicate'; deliveryId: number; jobIds: number[] };

/** Where an alert goes, decided from its device's group when it arrives, and why. */
export interface RouteChoice {
  target: string;
  reason: string;
  routingKey?: string | undefined;
  /** Set when the alert is not forwarded (unmapped group with skipping on, or under the route's minimum severity). */
  skip?: string | undefined;
  groupPath?: string | undefined;
  enrichment?: Enrichment | undefined;
}

/** Decisions the ingest makes that depend on settings, read at ingest time. */
export interface IngestPolicy {
  highPrioritySeverities: readonly Severity[];
  routeFor(alert: LevelAlert): RouteChoice;
}

/** What the store's triggers keep counted (see schema 3), so status and diagnoses never scan a table. */
export interface StoreFacts {
  /** Outbox jobs per target and status. */
  jobs: Map<string, Record<JobStatus, number>>;
  /** Active alerts per severity (no severity counts as information). */
  activeAlerts: Record<string, number>;
  /** Accepted Level webhooks since install, and how many of them were alert_resolved. */
  acceptedWebhooks: number;
  resolveWebhooks: number;
  /** The last signature verdict on the webhook path, and how many invalid ones came in a row. */
  signature: { verdict: string; invalidInARow: number; at: number } | undefined;
  /** The last attempt per target: its status code (undefined: no answer) and error. */
  lastAttempt: Map<string, { statusCode: number | undefined; error: string | undefined; at: number }>;
  /** When ilert last accepted an event. */
  lastDeliveredAt: number | undefined;
}

/** Event ids that reconciliation makes up for alerts it learned of from Level's API. */
export const RECONCILED_EVENT_PREFIX = 'reconciled:';

/** Everything the dashboard needs to refresh after a write; batched before it reaches a UI. */
export type StoreChange =
  | { kind: 'delivery'; id: number }
  /**
   * `schedule` comes with every job that becomes queued from outside the forwarder (ingest, re-run,
   * accept): when it may go, relative to now, and its backlog order.
   */
  | { kind: 'job'; id: number; alertKey: string; target: string; status: JobStatus; schedule?: { priorityAt: number; delayMs: number } }
  | { kind: 'alert'; levelAlertId: string }
  /** The device and group mirror, the routing table, or the list of reconciliations changed. */
  | { kind: 'mirror' }
  | { kind: 'routing' }
  | { kind: 'reconciliation' };

/**
 * Rank within a backlog: emergency/critical alerts and all resolves first (a resolve stops a page),
 * then warnings, then the rest. Each rank step is worth five minutes of waiting, so nothing starves.
 */
export const RANK_STEP_MS = 5 * 60_000;
export function rankFor(eventType: IlertEventBody['eventType'], severity: Severity | undefined): number {
  if (eventType !== 'ALERT' || severity === 'emergency' || severity === 'critical') return 0;
  return severity === 'warning' ? 1 : 2;
}

const RESOLVED_BEFORE_DELIVERY = 'skipped: resolved before delivery';
const DEFAULT_BUSY_TIMEOUT_MS = 2000;
/** How often a batch waiting for another program's write lock tries again. */
const LOCK_RETRY_MS = 20;
const PROBE_INTERVAL_MS = 5000;

export interface StoreOptions {
  /** How long a write waits for another program's lock before it fails. */
  busyTimeoutMs?: number;
  /** How long after a failed commit the store still counts as failing (see StoreHealth). */
  failureHoldMs?: number;
  /** How often a failing store tries a tiny write to find out whether it works again. */
  probeIntervalMs?: number;
  rejectionLimits?: Partial<RejectionLimits>;
}
const CHECKPOINT_DELAY_MS = 1000;
const PRUNE_BATCH = 100;

/** What the delivery log filters and searches on, copied onto the delivery row at ingest. */
interface DeliveryDescription {
  levelAlertId?: string | undefined;
  name?: string | undefined;
  hostname?: string | undefined;
  severity?: string | undefined;
}

function describe(envelope: Envelope, alert: LevelAlert | undefined): DeliveryDescription {
  const data = envelope.data as Record<string, unknown>;
  return {
    levelAlertId: alert?.id,
    name: alert?.name ?? (typeof data.name === 'string' ? data.name : undefined),
    hostname: alert?.device_hostname ?? (typeof data.hostname === 'string' ? data.hostname : undefined),
    severity: alert?.severity,
  };
}

/**
 * A thread that checkpoints the WAL on request. Its source is inline (no imports but Node's own),
 * so it works the same from the TypeScript sources, the bundled CLI and the packaged app.
 */
function startCheckpointer(file: string): Worker {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(workerData.file);
    db.exec('PRAGMA busy_timeout = 0');
    parentPort.on('message', () => {
      try { db.exec('PRAGMA wal_checkpoint(PASSIVE)'); } catch { /* busy: checkpointed next time */ }
    });`;
  const worker = new Worker(source, { eval: true, workerData: { file } });
  worker.unref();
  worker.on('error', (error) => console.error(`store: the checkpoint thread failed: ${error.message}`));
  return worker;
}

interface PendingWrite {
  queuedAt: number;
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The relay's durable state. Inbound writes are group-committed: every write queued in the same
 * turn of the event loop shares one transaction (and one fsync), and each caller's promise settles
 * only after that commit — so a 2xx is never sent for something that is not on disk.
 */
export class Store {
  readonly db: DatabaseSync;
  readonly sql: Statements;
  /** The device and group mirror's one writer. */
  readonly mirror: Mirror;
  readonly changes = new EventEmitter<{ change: [StoreChange] }>();
  #pending: PendingWrite[] = [];
  #flushScheduled = false;
  #closed = false;
  #checkpointTimer: NodeJS.Timeout | undefined;
  /** Whether commits succeed, answerable from memory while the database is locked or the disk full. */
  readonly health: StoreHealth;
  readonly #lock: DataDirLock;
  readonly #busyTimeoutMs: number;
  readonly #probeIntervalMs: number;
  #probeTimer: NodeJS.Timeout | undefined;
  readonly #rejectionLimits: RejectionLimits;
  #checkpointer: Worker | undefined;
  readonly #file: string;

  constructor(dataDir: string, options: StoreOptions = {}) {
    // Before anything touches the database: a second relay must not run recovery on a live one.
    this.#lock = DataDirLock.acquire(dataDir);
    try {
      this.db = openDatabase(dataDir, options.busyTimeoutMs);
    } catch (error) {
      this.#lock.release();
      throw error;
    }
    this.#file = path.join(dataDir, DATABASE_FILE);
    this.sql = new Statements(this.db);
    this.mirror = new Mirror(this.sql);
    this.#busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.#probeIntervalMs = options.probeIntervalMs ?? PROBE_INTERVAL_MS;
    this.#rejectionLimits = { ...REJECTION_LIMITS, ...options.rejectionLimits };
    this.health = new StoreHealth(options.failureHoldMs);
    // The dashboard and tray learn at once that writes fail: no row change would tell them.
  }

  /** Reports a commit's outcome; while writes fail, a tiny probe write finds out when they work again. */
  #reportCommit(error: unknown): void {
    if (error === undefined) {
      this.health.committed();
      return;
    }
    this.health.failed(error);
    if (this.#probeTimer || this.#closed) return;
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = undefined;
      if (this.#closed || !this.health.failingNow) return;
      this.#write(() => this.sql.get('INSERT OR REPLACE INTO store_probe (id, at) VALUES (1, ?)').run(Date.now())).catch(() => {
        // Reported (and the next probe scheduled) by the commit itself.
      });
    }, this.#probeIntervalMs);
    this.#probeTimer.unref();
  }

  /**
   * Copies the WAL back into the database a second after writes, in one go: a page written by
   * many commits is copied once, and never inside a commit that a webhook is waiting for. The copy
   * and its fsync run on a worker thread with its own connection (WAL allows a checkpoint beside
   * the writer), so the event loop that answers Level never waits for it.
   */
  #scheduleCheckpoint(): void {
    if (this.#checkpointTimer || this.#closed) return;
    this.#checkpointTimer = setTimeout(() => {
      this.#checkpointTimer = undefined;
      if (this.#closed) return;
      this.#checkpointer ??= startCheckpointer(this.#file);
      this.#checkpointer.postMessage('checkpoint');
    }, CHECKPOINT_DELAY_MS);
    this.#checkpointTimer.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#flush(true);
    clearTimeout(this.#checkpointTimer);
    clearTimeout(this.#probeTimer);
    void this.#checkpointer?.terminate();
    this.#closed = true;
    this.db.close();
    this.#lock.release();
  }

  /** Bumped on every announced change: what was read from the store is current while it stays the same. */
  version = 0;

  emit(change: StoreChange): void {
    this.version++;
    this.changes.emit('change', change);
  }

  /** The counters and last-seen facts the triggers of schema 3 keep: one read of a table of a few dozen rows. */
  facts(): StoreFacts {
    const rows = this.sql.get('SELECT name, n, text, at FROM facts').all() as { name: string; n: number; text: string | null; at: number | null }[];
    const facts: StoreFacts = {
      jobs: new Map(),
      activeAlerts: { emergency: 0, critical: 0, warning: 0, information: 0 },
      acceptedWebhooks: 0,
      resolveWebhooks: 0,
      signature: undefined,
      lastAttempt: new Map(),
      lastDeliveredAt: undefined,
    };
    for (const row of rows) {
      const [kind, first, ...rest] = row.name.split(':');
      if (kind === 'jobs' && first) {
        const target = rest.join(':');
        const byStatus = facts.jobs.get(target) ?? { queued: 0, in_flight: 0, delivered: 0, failed: 0, skipped: 0 };
        byStatus[first as JobStatus] = row.n;
        facts.jobs.set(target, byStatus);
      } else if (kind === 'alerts' && first === 'active') facts.activeAlerts[rest.join(':')] = row.n;
      else if (row.name === 'webhooks:accepted') facts.acceptedWebhooks = row.n;
      else if (row.name === 'webhooks:resolves') facts.resolveWebhooks = row.n;
      else if (row.name === 'signature' && row.text) facts.signature = { verdict: row.text, invalidInARow: row.n, at: row.at ?? 0 };
      else if (kind === 'attempt') facts.lastAttempt.set(row.name.slice('attempt:'.length), { statusCode: row.n || undefined, error: row.text ?? undefined, at: row.at ?? 0 });
      else if (row.name === 'delivered') facts.lastDeliveredAt = row.at ?? undefined;
    }
    return facts;
  }

  /** Queues `run` into the next group commit. Rejects with StoreUnavailableError if it cannot be made durable. */
  #write<T>(run: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ queuedAt: Date.now(), run, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /**
   * While another process holds the write lock (a backup tool, the sqlite3 shell), the batch waits
   * here without blocking the event loop (so /healthz and the dashboard stay responsive), for up to
   * the busy timeout; then its writers get StoreUnavailableError (a 503 for Level).
   */
  #flush(closing = false): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0) return;
    const begun = this.#begin(closing);
    if (begun === 'retry') {
      this.#flushScheduled = true;
      setTimeout(() => this.#flush(), LOCK_RETRY_MS);
      return;
    }
    const batch = this.#pending;
    this.#pending = [];
    const results: { ok: boolean; value: unknown }[] = [];
    const changesBefore = this.#collectedChanges.length;
    try {
      if (begun !== true) throw begun;
      finishTransaction(this.db, () => {
        const savepoint = this.sql.get('SAVEPOINT write');
        const release = this.sql.get('RELEASE write');
        for (const write of batch) {
          savepoint.run();
          try {
            results.push({ ok: true, value: write.run() });
            release.run();
          } catch (error) {
            this.db.exec('ROLLBACK TO write');
            release.run();
            results.push({ ok: false, value: error });
          }
        }
      });
    } catch (error) {
      this.#collectedChanges.length = changesBefore;
      const unavailable = new StoreUnavailableError(`the store could not commit: ${(error as Error).message}`);
      this.#reportCommit(unavailable);
      for (const write of batch) write.reject(unavailable);
      return;
    }
    this.#scheduleCheckpoint();
    const changes = this.#collectedChanges.splice(0);
    const storeFailure = results.find((result) => !result.ok && sqliteCode(result.value) !== undefined);
    this.#reportCommit(storeFailure ? storeFailure.value : undefined);
    batch.forEach((write, index) => {
      const result = results[index]!;
      if (result.ok) write.resolve(result.value);
      // A SQLite error (disk full, I/O) is the store's fault: Level should retry. Anything else is
      // about this write's input, and its caller answers for it.
      else if (sqliteCode(result.value) !== undefined) write.reject(new StoreUnavailableError(`the store could not write: ${(result.value as Error).message}`));
      else write.reject(result.value);
    });
    for (const change of changes) this.emit(change);
  }

  /**
   * Begins the batch's transaction: true once begun, 'retry' while another program holds the write
   * lock and the oldest write has waited less than the busy timeout, otherwise why it cannot begin.
   * Closing, it waits the ordinary (blocking) way: nothing else needs the event loop by then.
   */
  #begin(closing: boolean): true | 'retry' | Error {
    try {
      if (closing) {
        this.db.exec('BEGIN IMMEDIATE');
        return true;
      }
      if (tryBeginImmediate(this.db, this.#busyTimeoutMs)) return true;
    } catch (error) {
      return error as Error;
    }
    if (Date.now() - this.#pending[0]!.queuedAt < this.#busyTimeoutMs) return 'retry';
    return new StoreUnavailableError('database is locked by another program');
  }

  /** Changes made inside a group commit are announced only after it committed. */
  #collectedChanges: StoreChange[] = [];

  /** Records a refused request within the rejection budget (see rejections.ts). */
  recordRejected(delivery: RejectedDelivery): Promise<number> {
    const trace = rejectionTrace(delivery, this.#rejectionLimits);
    return this.#write(() => {
      const id = this.#insertDelivery({ ...delivery, body: trace.body }, delivery.statusCode, 'rejected', delivery.reason, delivery.eventId, delivery.eventType, {}, trace.sha256);
      enforceRejectionBudget(this.sql, this.#rejectionLimits, delivery.receivedAt);
      this.#collectedChanges.push({ kind: 'delivery', id });
      return id;
    });
  }

  /**
   * Stores a verified, parsed delivery: the delivery, the event, the alert's new state and the
   * ilert work it causes, all in one transaction. A repeated event_id is recorded as a duplicate.
   */
  ingest(delivery: AcceptedDelivery, policy: IngestPolicy): Promise<IngestResult> {
    return this.#write(() => this.#ingestNow(delivery, policy));
  }

  #insertDelivery(
    delivery: InboundDelivery,
    statusCode: number,
    outcome: DeliveryOutcome,
    reason: string | undefined,
    eventId: string | undefined,
    eventType: string | undefined,
    described: DeliveryDescription = {},
    bodySha256?: string,
  ): number {
    const headers = JSON.stringify(delivery.headers);
    const result = this.sql
      .get(
        `INSERT INTO deliveries (received_at, source, remote_addr, forwarded_for, method, path, headers, body_size, body_sha256, kept_bytes,
           signature, status_code, outcome, reason, event_id, event_type, rerun_of, level_alert_id, alert_name, hostname, severity)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
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
        statusCode,
        outcome,
        reason ?? null,
        eventId ?? null,
        eventType ?? null,
        delivery.rerunOf ?? null,
        described.levelAlertId ?? null,
        described.name ?? null,
        described.hostname ?? null,
        described.severity ?? null,
      );
    const id = Number(result.lastInsertRowid);
    if (delivery.body) this.sql.get('INSERT INTO delivery_bodies (delivery_id, body) VALUES (?, ?)').run(id, delivery.body);
    return id;
  }

  #ingestNow(delivery: AcceptedDelivery, policy: IngestPolicy): IngestResult {
    const { envelope } = delivery;
    const described = describe(envelope, delivery.alert);
    const known = this.sql.get('SELECT 1 FROM events WHERE event_id = ?').get(envelope.event_id);
    if (known) {
      const deliveryId = this.#insertDelivery(delivery, 200, 'duplicate', 'event_id already received', envelope.event_id, envelope.event_type, described);
      this.#collectedChanges.push({ kind: 'delivery', id: deliveryId });
      return { outcome: 'duplicate', deliveryId, jobIds: [] };
    }
    const deliveryId = this.#insertDelivery(delivery, 202, 'accepted', delivery.note, envelope.event_id, envelope.event_type, described);
    const occurredMs = Date.parse(envelope.occurred_at);
    this.sql
      .get(`INSERT INTO events (event_id, delivery_id, event_type, occurred_at, resource_id, received_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(envelope.event_id, deliveryId, envelope.event_type, envelope.occurred_at, envelope.data.id, delivery.receivedAt);
    this.#collectedChanges.push({ kind: 'delivery', id: deliveryId });

    let jobIds: number[] = [];
    if (delivery.alert) {
      jobIds = this.#applyAlertEvent(delivery, delivery.alert, deliveryId, occurredMs, policy);
    } else if ((DEVICE_EVENT_TYPES as readonly string[]).includes(envelope.event_type)) {
      this.#collectedChanges.push({ kind: 'mirror' });
      this.mirror.applyWebhook('devices', envelope, delivery.receivedAt);
    } else if ((GROUP_EVENT_TYPES as readonly string[]).includes(envelope.event_type)) {
      this.#collectedChanges.push({ kind: 'mirror' });
      this.mirror.applyWebhook('groups', envelope, delivery.receivedAt);
    }
    return { outcome: 'accepted', deliveryId, jobIds };
  }

  #applyAlertEvent(delivery: AcceptedDelivery, alert: LevelAlert, deliveryId: number, occurredMs: number, policy: IngestPolicy): number[] {
    const { envelope } = delivery;
    const now = delivery.receivedAt;
    const resolved = isResolvedAlertEvent(envelope.event_type, alert);
    const alertKey = alertKeyFor(alert.id);
    const existing = this.sql.get('SELECT state, last_active_ms, last_resolve_ms FROM alerts WHERE level_alert_id = ?').get(alert.id) as
      { state: string; last_active_ms: number | null; last_resolve_ms: number | null } | undefined;

    const route = resolved ? (this.#routeOfSentAlert(alertKey) ?? policy.routeFor(alert)) : policy.routeFor(alert);
    const body = toIlertEvent(alert, resolved, {
      eventId: envelope.event_id,
      occurredAt: envelope.occurred_at,
      highPrioritySeverities: policy.highPrioritySeverities,
      routingKey: route.routingKey,
      enrichment: route.enrichment,
    });
    const insertJob = (status: JobStatus, reason: string | null) =>
      this.#insertJob({
        alertKey,
        levelAlertId: alert.id,
        eventId: envelope.event_id,
        deliveryId,
        target: route.target,
        routeReason: route.reason,
        body,
        severity: alert.severity,
        status,
        reason,
        now,
      });

    // Staleness: a retried alert_active must not reopen an alert whose later resolve was processed,
    // and a resolve older than the latest activation belongs to an earlier episode.
    if (!resolved && existing?.last_resolve_ms != null && occurredMs <= existing.last_resolve_ms) {
      return [insertJob('skipped', `skipped: stale — the alert was resolved at ${new Date(existing.last_resolve_ms).toISOString()}`)];
    }
    if (resolved && existing?.last_active_ms != null && occurredMs < existing.last_active_ms) {
      return [insertJob('skipped', 'skipped: stale — the alert became active again later')];
    }
    if (resolved && existing?.state === 'resolved') {
      return [insertJob('skipped', 'skipped: the alert is already resolved')];
    }
    // Reconciliation may have backfilled this alert before its late webhook arrived: send it once.
    if (!resolved && existing?.state === 'active' && this.#backfilledSinceLastResolve(alertKey)) {
      return [insertJob('skipped', 'skipped: already sent to ilert when reconciliation backfilled it')];
    }

    this.sql
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
           last_active_ms = coalesce(excluded.last_active_ms, last_active_ms),
           last_resolve_ms = coalesce(excluded.last_resolve_ms, last_resolve_ms),
           route_target = excluded.route_target, route_reason = excluded.route_reason,
           group_path = coalesce(excluded.group_path, group_path),
           data = excluded.data, updated_at = excluded.updated_at`,
      )
      .run({
        id: alert.id,
        key: alertKey,
        state: resolved ? 'resolved' : 'active',
        severity: alert.severity ?? null,
        name: alert.name ?? null,
        device_id: alert.device_id ?? null,
        host: alert.device_hostname ?? null,
        started: alert.started_at ?? null,
        resolved_at: resolved ? (alert.resolved_at ?? envelope.occurred_at) : null,
        active_ms: resolved ? null : occurredMs,
        resolve_ms: resolved ? occurredMs : null,
        route_target: route.skip ? null : route.target,
        route_reason: route.skip ?? route.reason,
        group_path: route.groupPath ?? null,
        data: JSON.stringify(alert),
        now,
      });
    this.#collectedChanges.push({ kind: 'alert', levelAlertId: alert.id });

    if (route.skip) return [insertJob('skipped', `skipped: ${route.skip}`)];
    const jobId = insertJob('queued', null);
    if (resolved) this.settleResolvedBeforeDelivery(alertKey, now);
    return [jobId];
  }

  /** A resolve goes where its alert went, even if the routing changed in between. */
  #routeOfSentAlert(alertKey: string): RouteChoice | undefined {
    const row = this.sql.get(`SELECT target FROM outbox WHERE alert_key = ? AND event_type = 'ALERT' AND status != 'skipped' ORDER BY id DESC LIMIT 1`).get(alertKey) as
      { target: string } | undefined;
    return row ? { target: row.target, reason: 'same target as the alert' } : undefined;
  }

  #backfilledSinceLastResolve(alertKey: string): boolean {
    const row = this.sql
      .get(
        `SELECT 1 FROM outbox WHERE alert_key = ? AND event_type = 'ALERT' AND event_id LIKE '${RECONCILED_EVENT_PREFIX}%'
           AND status NOT IN ('skipped', 'failed')
           AND id > (SELECT coalesce(max(id), 0) FROM outbox WHERE alert_key = ? AND event_type = 'RESOLVE' AND status != 'skipped')`,
      )
      .get(alertKey, alertKey);
    return Boolean(row);
  }

  /**
   * Queues an ilert ACCEPT for an alert (the Accept button): durable, and ordered behind the
   * alert's ALERT like every other event for it.
   */
  enqueueAccept(levelAlertId: string, acceptedBy: string, now = Date.now()): number {
    return this.transaction(() => {
      const row = this.sql
        .get(
          `SELECT a.alert_key, a.state, a.data, a.severity,
             (SELECT target FROM outbox o WHERE o.alert_key = a.alert_key AND o.event_type = 'ALERT' AND o.status != 'skipped' ORDER BY id DESC LIMIT 1) AS target
           FROM alerts a WHERE a.level_alert_id = ?`,
        )
        .get(levelAlertId) as { alert_key: string; state: string; data: string; severity: Severity | null; target: string | null } | undefined;
      if (!row) throw new UnknownAlertError(`no alert ${levelAlertId}`);
      if (row.state !== 'active') throw new UnknownAlertError(`alert ${levelAlertId} is already resolved`);
      if (!row.target) throw new UnknownAlertError(`alert ${levelAlertId} was never sent to ilert, so there is nothing to accept`);
      const alert = JSON.parse(row.data) as LevelAlert;
      const body: IlertEventBody = {
        eventType: 'ACCEPT',
        summary: summaryFor(alert, false),
        alertKey: row.alert_key,
        comments: [{ creator: 'Level → ilert Relay', content: `Accepted from the relay app by ${acceptedBy}` }],
      };
      const jobId = this.#insertJob({
        alertKey: row.alert_key,
        levelAlertId,
        eventId: `accept:${levelAlertId}:${now}`,
        deliveryId: null,
        target: row.target,
        routeReason: 'accepted from the app: same target as the alert',
        body,
        severity: row.severity ?? undefined,
        status: 'queued',
        reason: null,
        now,
      });
      this.sql.get('UPDATE alerts SET accept_requested_by = ?, accept_sent_at = NULL WHERE alert_key = ?').run(acceptedBy, row.alert_key);
      this.#collectedChanges.push({ kind: 'alert', levelAlertId });
      return jobId;
    });
  }

  #insertJob(job: {
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
    now: number;
  }): number {
    const rank = rankFor(job.body.eventType, job.severity);
    const result = this.sql
      .get(
        `INSERT INTO outbox (created_at, alert_key, level_alert_id, event_id, delivery_id, target, route_reason, event_type, rank, payload,
           status, reason, next_attempt_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      );
    const id = Number(result.lastInsertRowid);
    const schedule = job.status === 'queued' ? { priorityAt: job.now + rank * RANK_STEP_MS, delayMs: 0 } : undefined;
    this.#collectedChanges.push({ kind: 'job', id, alertKey: job.alertKey, target: job.target, status: job.status, ...(schedule ? { schedule } : {}) });
    return id;
  }

  /**
   * When an alert's ALERT and its RESOLVE are both still waiting, nobody should be paged for a
   * problem that is over: both are skipped — unless ilert may already hold the alert (an ALERT since
   * the last resolve was delivered, is in flight, or had an attempt with an unknown outcome).
   * Runs inside the caller's transaction or on its own.
   */
  settleResolvedBeforeDelivery(alertKey: string, now: number): number[] {
    const resolve = this.sql.get(`SELECT id FROM outbox WHERE alert_key = ? AND event_type = 'RESOLVE' AND status = 'queued' ORDER BY id DESC LIMIT 1`).get(alertKey) as
      { id: number } | undefined;
    if (!resolve) return [];
    const previousResolve = this.sql
      .get(`SELECT coalesce(max(id), 0) AS id FROM outbox WHERE alert_key = ? AND event_type = 'RESOLVE' AND status != 'skipped' AND id < ?`)
      .get(alertKey, resolve.id) as { id: number };
    const alerts = this.sql
      .get(`SELECT id, status, maybe_delivered FROM outbox WHERE alert_key = ? AND event_type = 'ALERT' AND id > ? AND id < ?`)
      .all(alertKey, previousResolve.id, resolve.id) as { id: number; status: JobStatus; maybe_delivered: number }[];
    const waiting = alerts.filter((job) => job.status === 'queued' && !job.maybe_delivered);
    const mayBeOpen = alerts.some((job) => job.status === 'delivered' || job.status === 'in_flight' || job.maybe_delivered);
    if (waiting.length === 0 || mayBeOpen) return [];
    const skipped = [...waiting.map((job) => job.id), resolve.id];
    const update = this.sql.get(`UPDATE outbox SET status = 'skipped', reason = ?, updated_at = ? WHERE id = ?`);
    const target = this.sql.get('SELECT target FROM outbox WHERE id = ?').get(resolve.id) as { target: string };
    for (const id of skipped) {
      update.run(RESOLVED_BEFORE_DELIVERY, now, id);
      this.#collectedChanges.push({ kind: 'job', id, alertKey, target: target.target, status: 'skipped' });
    }
    return skipped;
  }

  /**
   * Deletes one batch of history older than `before` — finished ilert work and its attempts,
   * deliveries and their events, resolved alerts — and returns what it deleted. Work still waiting
   * and the deliveries it came from are kept. A batch touches at most `limit` rows of each table
   * through indexes, so a caller that yields between batches never holds up an acknowledgement
   * for more than a few milliseconds. `cursor` walks the deliveries by id: rows kept because their
   * work is pending are not looked at again.
   */
  pruneBatch(before: number, cursor: number, limit = PRUNE_BATCH): { deliveries: number; jobs: number; alerts: number; cursor: number; done: boolean } {
    return this.transaction(() => {
      const sql = this.sql;
      const jobs = sql
        .get(`DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status IN ('delivered', 'failed', 'skipped') AND updated_at < ? LIMIT ?)`)
        .run(before, limit);
      const rows = sql.get(`SELECT id, received_at, event_id FROM deliveries WHERE id > ? ORDER BY id LIMIT ?`).all(cursor, limit) as {
        id: number;
        received_at: number;
        event_id: string | null;
      }[];
      const old = rows.filter((row) => row.received_at < before);
      const pending = sql.get(`SELECT 1 FROM outbox WHERE delivery_id = ? LIMIT 1`);
      const deleteDelivery = sql.get(`DELETE FROM deliveries WHERE id = ?`);
      const deleteEvent = sql.get(`DELETE FROM events WHERE event_id = ? AND delivery_id = ?`);
      let deliveries = 0;
      for (const row of old) {
        if (pending.get(row.id)) continue;
        deleteDelivery.run(row.id);
        if (row.event_id !== null) deleteEvent.run(row.event_id, row.id);
        deliveries++;
      }
      const alerts = sql
        .get(`DELETE FROM alerts WHERE level_alert_id IN (SELECT level_alert_id FROM alerts WHERE state = 'resolved' AND updated_at < ? LIMIT ?)`)
        .run(before, limit);
      // Deliveries are in arrival order: the first young one ends the walk.
      const deliveriesDone = old.length < rows.length || rows.length < limit;
      const done = deliveriesDone && Number(jobs.changes) < limit && Number(alerts.changes) < limit;
      return {
        deliveries,
        jobs: Number(jobs.changes),
        alerts: Number(alerts.changes),
        cursor: old.at(-1)?.id ?? cursor,
        done,
      };
    });
  }

  /** Records a change made by a caller's write; announced after its transaction commits. */
  collect(change: StoreChange): void {
    this.#collectedChanges.push(change);
  }

  announce(): void {
    for (const change of this.#collectedChanges.splice(0)) this.emit(change);
  }

  /** Direct synchronous transaction for forwarder bookkeeping (not on the acknowledgement path). */
  transaction<T>(work: () => T): T {
    if (this.#closed) throw new StoreUnavailableError('the store is closed');
    try {
      const result = inTransaction(this.db, work);
      this.#reportCommit(undefined);
      this.announce();
      return result;
    } catch (error) {
      this.#collectedChanges.length = 0;
      if (sqliteCode(error) !== undefined) this.#reportCommit(error);
      throw error;
    }
  }
}

export class UnknownAlertError extends Error {
  override readonly name = 'UnknownAlertError';
}
