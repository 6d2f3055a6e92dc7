import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  openDatabase,
  Statements,
  StoreUnavailableError,
  tryBeginImmediate,
  finishTransaction,
  sqliteCode,
  isStoreFault,
  DATABASE_FILE,
  type JobStatus,
  type StoreChange,
} from './database.ts';
import { DataDirLock } from './data-dir-lock.ts';
import { StoreHealth } from './store-health.ts';
import { REJECTION_LIMITS, enforceRejectionBudget, rejectionTrace, type RejectionLimits } from './rejections.ts';
import { Mirror } from './mirror.ts';
import type { RejectedDelivery } from './inbound-delivery.ts';
import { AlertLedger, EVENT_KNOWN, INSERT_BODY, INSERT_DELIVERY, INSERT_EVENT } from './alert-ledger.ts';
import { AppendError, AppendThread, type Appended, type AppendRow } from './append-thread.ts';
import { ReadThread } from './read-thread.ts';
import { consoleLogger, type Logger } from '../logger.ts';
import { DB, SQL } from './private.ts';

/** What the store's triggers keep counted (see schema 3), so status and diagnoses never scan a table. */
export interface StoreFacts {
  /** Outbox jobs per target and status. */
  jobs: Map<string, Record<JobStatus, number>>;
  /** Active alerts per severity (no severity counts as information). */
  activeAlerts: Record<string, number>;
  /** Of the active alerts, those routing skipped (under a minimum severity, unmapped), per severity. */
  skippedAlerts: Record<string, number>;
  /** Accepted Level webhooks since install, and how many of them were alert_resolved. */
  acceptedWebhooks: number;
  resolveWebhooks: number;
  /** The last signature verdict on the webhook path, and how many invalid ones came in a row. */
  signature: { verdict: string; invalidInARow: number; at: number } | undefined;
  /** The last attempt per target: its status code (undefined: no answer) and error. */
  lastAttempt: Map<string, { statusCode: number | undefined; error: string | undefined; at: number }>;
  /** When ilert last accepted an event. */
  lastDeliveredAt: number | undefined;
  /** Per other source's slug: its last request that passed authentication, and the 401s since. */
  sources: Map<string, SourceFacts>;
  /** Deliveries acknowledged and not yet applied by the processor. */
  unprocessed: number;
}

export interface SourceFacts {
  lastPassed: { deliveryId: number; at: number } | undefined;
  authFailures: { n: number; lastAt: number } | undefined;
}

const DEFAULT_BUSY_TIMEOUT_MS = 2000;
/** How often a batch waiting for another program's write lock tries again. */
const LOCK_RETRY_MS = 20;
const PROBE_INTERVAL_MS = 5000;
/** How long a direct transaction waits for the write lock before it fails (see transaction). */
const TRANSACTION_LOCK_WAIT_MS = 50;

export interface StoreOptions {
  /** Where the store says what went wrong; a store opened on its own (a test, a tool) logs to the console. */
  log?: Logger;
  /** How long a write waits for another program's lock before it fails. */
  busyTimeoutMs?: number;
  /** How long after a failed commit the store still counts as failing (see StoreHealth). */
  failureHoldMs?: number;
  /** How often a failing store tries a tiny write to find out whether it works again. */
  probeIntervalMs?: number;
  rejectionLimits?: Partial<RejectionLimits>;
  /** How long after opening the integrity check starts (in the background). */
  integrityCheckDelayMs?: number;
}
const CHECKPOINT_DELAY_MS = 1000;
const PRUNE_BATCH = 100;
/** How often an idle store looks whether its WAL file is still the one it writes to (a stat). */
const WAL_CHECK_MS = 1000;
const INTEGRITY_CHECK_DELAY_MS = 10_000;
/** quick_check lists at most this many problems: enough to say what is damaged. */
const INTEGRITY_PROBLEMS_MAX = 20;

/**
 * PRAGMA quick_check on its own read-only connection in a thread, so a check of a large store
 * never holds up an acknowledgement. Posts the problems found ([] when the store is sound).
 */
function startIntegrityCheck(file: string): Worker {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { DatabaseSync } = require('node:sqlite');
    let problems;
    try {
      const db = new DatabaseSync(workerData.file, { readOnly: true });
      try {
        problems = db.prepare('PRAGMA quick_check(${INTEGRITY_PROBLEMS_MAX})').all().map((row) => String(row.quick_check)).filter((line) => line !== 'ok');
      } finally { db.close(); }
    } catch (error) { problems = [error.message]; }
    parentPort.postMessage(problems);`;
  const worker = new Worker(source, { eval: true, workerData: { file } });
  worker.unref();
  return worker;
}

/** The file's identity on disk: a file deleted and created again has another. */
function fileIdentity(file: string): string | undefined {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat && `${stat.dev}:${stat.ino}`;
}

const WAL_LOST =
  'the write-ahead log (relay.sqlite-wal) was deleted while the relay ran: webhooks are answered 503 until the relay has copied it back into relay.sqlite and made a new one';

interface PendingWrite {
  queuedAt: number;
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The relay's durable state. Acknowledgements (append) and other inbound writes (write) are
 * group-committed: every write queued in the same turn shares one transaction (and one fsync), and
 * each caller's promise settles only after that commit — so a 2xx is never sent for something that
 * is not on disk. Appends commit on their own thread (see AppendThread) (Invariant 1:
 * an acknowledged delivery is durable; what it causes is derived from it by the processor,
 * deterministically and exactly once; see ingest/processor.ts).
 */
export class Store {
  readonly [DB]: DatabaseSync;
  readonly [SQL]: Statements;
  /** The device and group mirror's one writer. */
  readonly mirror: Mirror;
  /** Deliveries, events, alerts and their ilert work, as the ingest pipeline writes them. */
  readonly ledger: AlertLedger;
  readonly changes = new EventEmitter<{ change: [StoreChange] }>();
  /** The dashboard's searches, on their own thread and connection. */
  readonly reader: ReadThread;
  /** The acknowledgements' group commit, on its own thread and connection. */
  readonly #appender: AppendThread;
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
  readonly #file: string;
  /** The WAL file this process writes to, by identity; see #checkWal. */
  #walIdentity: string | undefined;
  /** Set from finding the WAL deleted until a new one is in place: no acknowledgement meanwhile. */
  #walRestoring: Promise<void> | undefined;
  #walTimer: NodeJS.Timeout | undefined;
  #integrityCheck: Worker | undefined;
  #integrityTimer: NodeJS.Timeout | undefined;

  readonly #log: Logger;

  constructor(dataDir: string, options: StoreOptions = {}) {
    this.#log = options.log ?? consoleLogger().child('store');
    // Before anything touches the database: a second relay must not run recovery on a live one.
    this.#lock = DataDirLock.acquire(dataDir);
    try {
      this[DB] = openDatabase(dataDir, options.busyTimeoutMs);
    } catch (error) {
      this.#lock.release();
      throw error;
    }
    this.#file = path.join(dataDir, DATABASE_FILE);
    this.reader = new ReadThread(this.#file);
    this[SQL] = new Statements(this[DB]);
    this.mirror = new Mirror(this[SQL], (change) => this.collect(change));
    this.ledger = new AlertLedger(this[SQL], (change) => this.collect(change));
    this.#busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.#appender = new AppendThread(this.#file, { known: EVENT_KNOWN, delivery: INSERT_DELIVERY, body: INSERT_BODY, event: INSERT_EVENT }, this.#busyTimeoutMs, {
      committed: (ids) => this.#appended(ids),
      failed: (error) => this.#log.error(`the append thread failed: ${error.message}`),
    });
    this.#probeIntervalMs = options.probeIntervalMs ?? PROBE_INTERVAL_MS;
    this.#rejectionLimits = { ...REJECTION_LIMITS, ...options.rejectionLimits };
    this.health = new StoreHealth(options.failureHoldMs);
    this.#walIdentity = this.#openWal();
    this.#walTimer = setInterval(() => this.#checkWal(), WAL_CHECK_MS);
    this.#walTimer.unref();
    this.#integrityTimer = setTimeout(() => this.#checkIntegrity(), options.integrityCheckDelayMs ?? INTEGRITY_CHECK_DELAY_MS);
    this.#integrityTimer.unref();
  }

  /** In WAL mode a read creates the WAL file if there is none; returns its identity. */
  #openWal(): string | undefined {
    this[DB].prepare('PRAGMA user_version').get();
    return fileIdentity(this.#walFile);
  }

  get #walFile(): string {
    return `${this.#file}-wal`;
  }

  /**
   * Whether the WAL this process writes to is still the file on disk. A deleted WAL goes on
   * taking commits (the open file outlives its name) that a crash would then lose, all of them:
   * on finding it gone, the store stops acknowledging and restores it (see #restoreWal).
   */
  #checkWal(): boolean {
    if (this.#closed) return true;
    if (this.#walRestoring) return false;
    if (fileIdentity(this.#walFile) === this.#walIdentity) return true;
    this.#walRestoring = this.#restoreWal().finally(() => (this.#walRestoring = undefined));
    return false;
  }

  /**
   * Copies everything committed (still readable through this connection's open WAL) into
   * relay.sqlite with a full checkpoint, then leaves WAL mode and enters it again, which makes a
   * new WAL file. Leaving WAL mode needs the only connection: the append and read threads close
   * theirs first, and while another program has the database open it is tried again a second later.
   */
  async #restoreWal(): Promise<void> {
    this.#log.error(WAL_LOST);
    this.health.walDeleted();
    this.#reportCommit(new StoreUnavailableError(WAL_LOST));
    await Promise.all([this.reader.suspend(), this.#appender.suspend()]);
    try {
      await this.#repairWal();
    } finally {
      this.reader.resume();
      this.#appender.resume();
    }
  }

  async #repairWal(): Promise<void> {
    while (!this.#closed) {
      if (this.#closed) return;
      try {
        const checkpoint = this[DB].prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as { busy: number };
        if (checkpoint.busy) throw new Error('another connection is reading the database');
        const mode = (this[DB].prepare('PRAGMA journal_mode = DELETE').get() as { journal_mode: string }).journal_mode;
        if (mode !== 'delete') throw new Error('another program has the database open (a backup tool or the sqlite3 shell?)');
        this[DB].exec('PRAGMA journal_mode = WAL');
        this.#walIdentity = this.#openWal();
        this.health.walRestored();
        this.#reportCommit(undefined);
        this.#log.error('relay.sqlite-wal restored; webhooks are acknowledged again');
        return;
      } catch (error) {
        this.#log.error(`cannot restore relay.sqlite-wal yet: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, WAL_CHECK_MS));
      }
    }
  }

  /** Runs PRAGMA quick_check in a thread once after start; its verdict is on Health. */
  #checkIntegrity(): void {
    if (this.#closed || this.#integrityCheck) return;
    const worker = startIntegrityCheck(this.#file);
    this.#integrityCheck = worker;
    worker.once('message', (problems: string[]) => this.health.checked(problems));
    worker.once('error', (error) => this.health.checked([`the check could not run: ${error.message}`]));
    worker.once('exit', () => (this.#integrityCheck = undefined));
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
      this.write(() => this[SQL].get('INSERT OR REPLACE INTO store_probe (id, at) VALUES (1, ?)').run(Date.now())).catch(() => {
        // Reported (and the next probe scheduled) by the commit itself.
      });
    }, this.#probeIntervalMs);
    this.#probeTimer.unref();
  }

  /**
   * Copies the WAL back into the database a second after writes, in one go: a page written by
   * many commits is copied once, and never inside a commit that a webhook is waiting for. The copy
   * and its fsync run on the append thread, between two of its commits (WAL allows a checkpoint
   * beside the main connection's writes), so the event loop that answers Level never waits for it.
   */
  #scheduleCheckpoint(): void {
    if (this.#checkpointTimer || this.#closed) return;
    this.#checkpointTimer = setTimeout(() => {
      this.#checkpointTimer = undefined;
      if (this.#closed) return;
      this.#appender.checkpoint();
    }, CHECKPOINT_DELAY_MS);
    this.#checkpointTimer.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Commits what is queued, then closes: the helper threads' connections first, so that this one
   * is the last and SQLite checkpoints the WAL into relay.sqlite and removes it on close.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#flush(true);
    clearTimeout(this.#checkpointTimer);
    clearTimeout(this.#probeTimer);
    clearInterval(this.#walTimer);
    clearTimeout(this.#integrityTimer);
    this.#closed = true;
    const integrityCheck = this.#integrityCheck?.terminate();
    this.#closing = Promise.all([integrityCheck, this.reader.suspend(), this.#appender.close()]).then(() => {
      this[DB].close();
      this.#lock.release();
    });
    return this.#closing;
  }

  #closing: Promise<void> | undefined;

  /** Bumped on every announced change: what was read from the store is current while it stays the same. */
  version = 0;

  emit(change: StoreChange): void {
    this.version++;
    this.changes.emit('change', change);
  }

  /** The counters and last-seen facts the triggers of schema 3 keep: one read of a table of a few dozen rows. */
  facts(): StoreFacts {
    const rows = this[SQL].get('SELECT name, n, text, at FROM facts').all() as { name: string; n: number; text: string | null; at: number | null }[];
    const facts: StoreFacts = {
      jobs: new Map(),
      activeAlerts: { emergency: 0, critical: 0, warning: 0, information: 0 },
      skippedAlerts: {},
      acceptedWebhooks: 0,
      resolveWebhooks: 0,
      signature: undefined,
      lastAttempt: new Map(),
      lastDeliveredAt: undefined,
      sources: new Map(),
      unprocessed: 0,
    };
    const sourceFacts = (slug: string) => {
      let found = facts.sources.get(slug);
      if (!found) facts.sources.set(slug, (found = { lastPassed: undefined, authFailures: undefined }));
      return found;
    };
    for (const row of rows) {
      const [kind, first, ...rest] = row.name.split(':');
      if (kind === 'jobs' && first) {
        const target = rest.join(':');
        const byStatus = facts.jobs.get(target) ?? { queued: 0, in_flight: 0, delivered: 0, failed: 0, skipped: 0, held: 0 };
        byStatus[first as JobStatus] = row.n;
        facts.jobs.set(target, byStatus);
      } else if (kind === 'alerts' && first === 'active') facts.activeAlerts[rest.join(':')] = row.n;
      else if (kind === 'alerts' && first === 'skipped') facts.skippedAlerts[rest.join(':')] = row.n;
      else if (row.name === 'webhooks:accepted') facts.acceptedWebhooks = row.n;
      else if (row.name === 'webhooks:resolves') facts.resolveWebhooks = row.n;
      else if (row.name === 'signature' && row.text) facts.signature = { verdict: row.text, invalidInARow: row.n, at: row.at ?? 0 };
      else if (kind === 'attempt') facts.lastAttempt.set(row.name.slice('attempt:'.length), { statusCode: row.n || undefined, error: row.text ?? undefined, at: row.at ?? 0 });
      else if (row.name === 'delivered') facts.lastDeliveredAt = row.at ?? undefined;
      else if (row.name === 'deliveries:received') facts.unprocessed = row.n;
      else if (kind === 'source' && first === 'last') sourceFacts(rest.join(':')).lastPassed = { deliveryId: row.n, at: row.at ?? 0 };
      else if (kind === 'source' && first === 'auth' && row.n > 0) sourceFacts(rest.join(':')).authFailures = { n: row.n, lastAt: row.at ?? 0 };
    }
    return facts;
  }

  /** Queues `run` into the next group commit. Rejects with StoreUnavailableError if it cannot be made durable. */
  write<T>(run: () => T): Promise<T> {
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
   * Appends an acknowledged delivery (see InboundLog's inboundRow) in the append thread's next group
   * commit; resolves once it is on disk. Rejects with StoreUnavailableError when it cannot be made
   * durable (the sender gets a 503 and sends it again).
   */
  async append(row: AppendRow): Promise<Appended> {
    if (this.#closed) throw new StoreUnavailableError('the store is closed');
    if (this.#walRestoring) throw new StoreUnavailableError(WAL_LOST);
    try {
      return await this.#appender.append(row);
    } catch (error) {
      if (!(error instanceof AppendError) || !(error.wholeCommit || isStoreFault(error))) throw error;
      const unavailable = new StoreUnavailableError(`the store could not commit: ${error.message}`);
      this.#reportCommit(unavailable);
      throw unavailable;
    }
  }

  /** After each of the append thread's commits, once (not once per row): what #flush does after its own. */
  #appended(ids: number[]): Error | undefined {
    this.#scheduleCheckpoint();
    for (const id of ids) this.emit({ kind: 'delivery', id });
    // Committed into a WAL whose name is gone is not yet durable.
    if (!this.#checkWal()) return new StoreUnavailableError(WAL_LOST);
    this.#reportCommit(undefined);
    return undefined;
  }

  /**
   * While another process holds the write lock (a backup tool, the sqlite3 shell), the batch waits
   * here without blocking the event loop (so /healthz and the dashboard stay responsive), for up to
   * the busy timeout; then its writers get StoreUnavailableError (a 503 for Level).
   */
  #flush(closing = false): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0) return;
    if (!closing && this.#walRestoring) {
      for (const write of this.#pending.splice(0)) write.reject(new StoreUnavailableError(WAL_LOST));
      return;
    }
    this.#appender.holdOff(this.#busyTimeoutMs);
    const begun = this.#begin(closing);
    if (begun === 'retry') {
      // Still held off: the append thread starts no commit before this batch has had its turn.
      this.#flushScheduled = true;
      setTimeout(() => this.#flush(), LOCK_RETRY_MS);
      return;
    }
    try {
      this.#commitBatch(begun, closing);
    } finally {
      this.#appender.letGo();
    }
  }

  #commitBatch(begun: true | Error, closing: boolean): void {
    const batch = this.#pending;
    this.#pending = [];
    const results: { ok: boolean; value: unknown }[] = [];
    const changesBefore = this.#collectedChanges.length;
    try {
      if (begun !== true) throw begun;
      finishTransaction(this[DB], () => {
        const savepoint = this[SQL].get('SAVEPOINT write');
        const release = this[SQL].get('RELEASE write');
        for (const write of batch) {
          savepoint.run();
          try {
            results.push({ ok: true, value: write.run() });
            release.run();
          } catch (error) {
            this[DB].exec('ROLLBACK TO write');
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
    // Committed, but into a WAL whose name is gone: a crash before it is restored would lose it, so
    // no 2xx. Level's retry finds it stored (a duplicate) once restored, or stores it again after a crash.
    if (!closing && !this.#checkWal()) {
      for (const write of batch) write.reject(new StoreUnavailableError(WAL_LOST));
      for (const change of changes) this.emit(change);
      return;
    }
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
        this[DB].exec('BEGIN IMMEDIATE');
        return true;
      }
      if (tryBeginImmediate(this[DB], this.#busyTimeoutMs)) return true;
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
    return this.write(() => {
      const { statusCode, reason, eventId, eventType } = delivery;
      const id = this.ledger.insertDelivery({ ...delivery, body: trace.body }, { statusCode, outcome: 'rejected', reason, eventId, eventType }, {}, trace.sha256);
      enforceRejectionBudget(this[SQL], this.#rejectionLimits, delivery.receivedAt);
      return id;
    });
  }

  /** Queues an ilert ACCEPT for an alert (the Accept button): durable, and ordered behind the alert's ALERT. */
  enqueueAccept(levelAlertId: string, acceptedBy: string, now = Date.now()): number {
    return this.transaction(() => this.ledger.enqueueAccept(levelAlertId, acceptedBy, now));
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
      const sql = this[SQL];
      const jobs = sql
        .get(`DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status IN ('delivered', 'failed', 'skipped') AND updated_at < ? LIMIT ?)`)
        .run(before, limit);
      const rows = sql.get(`SELECT id, received_at, event_id, outcome FROM deliveries WHERE id > ? ORDER BY id LIMIT ?`).all(cursor, limit) as {
        id: number;
        received_at: number;
        event_id: string | null;
        outcome: string;
      }[];
      const old = rows.filter((row) => row.received_at < before);
      const pending = sql.get(`SELECT 1 FROM outbox WHERE delivery_id = ? LIMIT 1`);
      const deleteDelivery = sql.get(`DELETE FROM deliveries WHERE id = ?`);
      const deleteEvent = sql.get(`DELETE FROM events WHERE event_id = ? AND delivery_id = ?`);
      let deliveries = 0;
      for (const row of old) {
        // Not yet applied (the processor is behind, or stopped): its effects are still to come.
        if (row.outcome === 'received' || pending.get(row.id)) continue;
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

  /**
   * Inside a transaction: runs `work` in a savepoint, so that when it throws, only its own writes
   * (and the changes it collected) are undone and the transaction goes on. An error that means the
   * store itself cannot write is thrown on: then the whole transaction must fail.
   */
  isolated(work: () => void): { ok: true } | { ok: false; error: Error } {
    const changesBefore = this.#collectedChanges.length;
    this[SQL].get('SAVEPOINT isolated').run();
    try {
      work();
      this[SQL].get('RELEASE isolated').run();
      return { ok: true };
    } catch (error) {
      this[DB].exec('ROLLBACK TO isolated');
      this[SQL].get('RELEASE isolated').run();
      this.#collectedChanges.length = changesBefore;
      if (isStoreFault(error)) throw error;
      return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  /** Records a change made by a caller's write; announced after its transaction commits. */
  collect(change: StoreChange): void {
    this.#collectedChanges.push(change);
  }

  /**
   * A direct synchronous transaction, off the acknowledgement path (the forwarder's bookkeeping,
   * the processor). `derived` is for work that is derived from rows already committed durably and
   * can be derived again (the processor applying the inbound log): its commit skips the fsync
   * (synchronous=NORMAL). It still survives a crash of the process (WAL), and a power cut can only
   * lose it as the last commits before the cut, which the processor then applies again from the
   * log. Nothing outside the relay sees its effects before a later fsync'd commit has made them
   * durable too: the forwarder claims a job (an fsync'd commit) before it sends it, and an fsync
   * writes out the whole WAL before it.
   */
  transaction<T>(work: () => T, durability: 'fsync' | 'derived' = 'fsync'): T {
    if (this.#closed) throw new StoreUnavailableError('the store is closed');
    // Waits for another connection's write lock only a moment (a waiting BEGIN holds the event loop,
    // and with it every acknowledgement and /healthz): long enough for a lock that passes at once (a
    // checkpoint's brief one, see holdOff for the append thread's), not for a backup tool's; then the
    // caller tries again later. Not a failed commit either: a lock that lasts is reported by the
    // acknowledgements' group commit, which waits for it without blocking, and by the processor's stall.
    if (durability === 'derived') this[DB].exec('PRAGMA synchronous = NORMAL');
    this.#appender.holdOff(this.#busyTimeoutMs);
    try {
      if (!tryBeginImmediate(this[DB], this.#busyTimeoutMs, TRANSACTION_LOCK_WAIT_MS))
        throw new StoreUnavailableError(`database is locked: another program holds a lock on ${this.#file} (a backup tool or the sqlite3 shell?), or the disk is very slow`);
      const result = finishTransaction(this[DB], work);
      this.#reportCommit(undefined);
      for (const change of this.#collectedChanges.splice(0)) this.emit(change);
      return result;
    } catch (error) {
      this.#collectedChanges.length = 0;
      if (sqliteCode(error) !== undefined) this.#reportCommit(error);
      throw error;
    } finally {
      this.#appender.letGo();
      if (durability === 'derived') this[DB].exec('PRAGMA synchronous = FULL');
    }
  }
}

/** A repository's SQL runs on the one store, inside its transactions. */
export abstract class Repository {
  protected readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }
}
