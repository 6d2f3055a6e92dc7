import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { MIGRATIONS } from './schema.ts';

/** `held`: kept back on purpose (a maintenance window) until a release time or by hand; see holds/. */
export type JobStatus = 'queued' | 'in_flight' | 'delivered' | 'failed' | 'skipped' | 'held';

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
  /** A maintenance window was created or ended. */
  | { kind: 'windows' }
  /** The rules were saved. */
  | { kind: 'rules' }
  | { kind: 'reconciliation' };

export const DATABASE_FILE = 'relay.sqlite';
/**
 * Written beside the database once it holds a store: a data directory that has held one and now
 * has no database (deleted, emptied) refuses to start instead of silently starting afresh.
 */
export const STORE_IDENTITY_FILE = 'relay-store.json';
/** A safety net only: the store checkpoints on a timer long before the WAL gets this big (~40 MB). */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;
/**
 * For the connections that write. An INSERT into a table with triggers (the facts counters) keeps a
 * statement journal of every page it changes, so that the statement alone can be undone; in a file
 * (SQLite's default) that made inserting an alert, with its eleven indexes, about six times slower
 * (about 90 µs of the processor's 260 µs per alert). In memory it holds only the pages one statement
 * changes. The dashboard's searches, which may sort large results, run on the read thread's
 * connection, which keeps the default.
 */
export const TEMP_STORE = 'MEMORY';

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/** The database cannot be opened; the message names the real cause and what to do. */
export class StoreOpenError extends Error {
  override readonly name: string = 'StoreOpenError';
}

/**
 * The data directory held a store and its database is gone or empty: starting would silently
 * drop everything acknowledged and queued, so the relay refuses and says how to go on.
 */
export class StoreMissingError extends StoreOpenError {
  override readonly name = 'StoreMissingError';
  constructor(dataDir: string, what: 'missing' | 'empty') {
    const identity = path.join(dataDir, STORE_IDENTITY_FILE);
    super(
      `${path.join(dataDir, DATABASE_FILE)} is ${what}, but this data directory held a relay store (${identity} says so since ${storeCreatedAt(identity)}): starting would lose the alerts and queued work it held. ` +
        `Put the database back (see "Backup and recovery" in the README), or to start with an empty store on purpose, delete ${identity} and start again.`,
    );
  }
}

function storeCreatedAt(identity: string): string {
  try {
    return String((JSON.parse(fs.readFileSync(identity, 'utf8')) as { createdAt?: unknown }).createdAt ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

/** Written once, after the first migration committed: the file means a store with a schema existed. */
function writeStoreIdentity(dataDir: string): void {
  const file = path.join(dataDir, STORE_IDENTITY_FILE);
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    fs.writeSync(
      fd,
      `${JSON.stringify({ createdAt: new Date().toISOString(), database: DATABASE_FILE, note: 'This data directory holds a relay store. Delete this file only to start with an empty store on purpose.' }, null, 2)}\n`,
    );
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** SQLite's primary result codes that mean something to a user. */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

export function sqliteCode(error: unknown): number | undefined {
  const code = (error as { errcode?: unknown }).errcode;
  return typeof code === 'number' ? code & 0xff : undefined;
}

const SQLITE_CORRUPT = 11;
/** The store cannot write at all (locked, full, read-only, damaged): not the fault of what was being written. */
export function isStoreFault(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== undefined && [SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB].includes(code);
}

export function isLockedError(error: unknown): boolean {
  const code = sqliteCode(error);
  return code === SQLITE_BUSY || code === SQLITE_LOCKED;
}

/**
 * Creates `file` readable by its owner only, or tightens an existing one: the database holds
 * webhook bodies and alert details. SQLite gives its -wal and -shm files the same mode.
 */
export function createPrivate(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  if (process.platform !== 'win32' && (fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
}

/** Says why a data directory or database cannot be used, in words a user can act on. */
export function describeStoreError(error: unknown, dataDir: string): string {
  const fsCode = (error as NodeJS.ErrnoException).code;
  if (fsCode === 'EACCES' || fsCode === 'EPERM') return `permission denied: this user may not write to ${dataDir} (fix its owner or mode, or set RELAY_DATA_DIR)`;
  if (fsCode === 'EROFS') return `${dataDir} is on a read-only file system (set RELAY_DATA_DIR to a writable directory)`;
  if (fsCode === 'ENOSPC') return `the disk holding ${dataDir} is full`;
  if (fsCode === 'ENOTDIR' || fsCode === 'EEXIST') return `${dataDir} is not a directory`;
  switch (sqliteCode(error)) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return `another program holds a lock on ${path.join(dataDir, DATABASE_FILE)} (a backup tool or the sqlite3 shell?): close it and start again`;
    case SQLITE_FULL:
      return `the disk holding ${dataDir} is full`;
    case SQLITE_NOTADB:
      return `${path.join(dataDir, DATABASE_FILE)} is not a relay database (damaged, or another file put in its place): move it away to start afresh`;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
      return writableProblem(dataDir) ?? `${(error as Error).message} (${path.join(dataDir, DATABASE_FILE)})`;
  }
  return (error as Error).message;
}

/** SQLite only says "unable to open database file" when it cannot create its -wal file: find out why. */
function writableProblem(dataDir: string): string | undefined {
  const probe = path.join(dataDir, `.write-test-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
    const file = path.join(dataDir, DATABASE_FILE);
    fs.accessSync(file, fs.constants.W_OK);
    return undefined;
  } catch (error) {
    return describeStoreError(error, dataDir);
  }
}

/** Creates the data directory (owner only) or says clearly why it cannot be used. */
export function ensureDataDir(dataDir: string): void {
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new StoreOpenError(describeStoreError(error, dataDir));
  }
}

/**
 * Opens the relay's SQLite file. WAL lets the dashboard read while webhooks are written;
 * synchronous=FULL makes every acknowledged commit survive a power cut, not only a crash.
 * Checkpoints are left to a timer (see Store) instead of running inside every thousandth
 * commit, where they would hold up acknowledgements.
 */
export function openDatabase(dataDir: string, busyTimeoutMs = 2000): DatabaseSync {
  ensureDataDir(dataDir);
  const file = path.join(dataDir, DATABASE_FILE);
  const heldStore = fs.existsSync(path.join(dataDir, STORE_IDENTITY_FILE));
  // Checked before SQLite opens it: SQLite deletes the -wal beside an empty database file.
  if (heldStore) {
    const size = fs.statSync(file, { throwIfNoEntry: false })?.size;
    if (size === undefined) throw new StoreMissingError(dataDir, 'missing');
    if (size === 0) throw new StoreMissingError(dataDir, 'empty');
  }
  let db: DatabaseSync;
  try {
    createPrivate(file);
    db = new DatabaseSync(file);
  } catch (error) {
    throw new StoreOpenError(describeStoreError(error, dataDir));
  }
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.floor(busyTimeoutMs)}`);
    // A database file without a schema (a header only) is as empty as a file of no bytes.
    if (heldStore && schemaVersion(db) === 0) throw new StoreMissingError(dataDir, 'empty');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec(`PRAGMA temp_store = ${TEMP_STORE}`);
    db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db);
    if (!heldStore) writeStoreIdentity(dataDir);
  } catch (error) {
    db.close();
    if (error instanceof StoreOpenError) throw error;
    throw new StoreOpenError(describeStoreError(error, dataDir));
  }
  return db;
}

function schemaVersion(db: DatabaseSync): number {
  return (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
}

function migrate(db: DatabaseSync): void {
  const version = schemaVersion(db);
  if (version > MIGRATIONS.length) {
    throw new StoreOpenError(`the database was written by a newer version of the relay (schema ${version}, this one knows ${MIGRATIONS.length}); update the app`);
  }
  for (let index = version; index < MIGRATIONS.length; index++) {
    inTransaction(db, () => {
      db.exec(MIGRATIONS[index]!);
      db.exec(`PRAGMA user_version = ${index + 1}`);
    });
  }
}

/** Caches prepared statements by their SQL text. */
export class Statements {
  readonly #db: DatabaseSync;
  readonly #cache = new Map<string, StatementSync>();
  constructor(db: DatabaseSync) {
    this.#db = db;
  }
  get(sql: string): StatementSync {
    let statement = this.#cache.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#cache.set(sql, statement);
    }
    return statement;
  }
}

/** Runs `work` in one IMMEDIATE transaction; rolls back on any error. */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  return finishTransaction(db, work);
}

/**
 * BEGIN IMMEDIATE without waiting (or waiting at most `waitMs`): false when another connection
 * holds the write lock. A waiting BEGIN would block the whole event loop for the busy timeout.
 */
export function tryBeginImmediate(db: DatabaseSync, busyTimeoutMs: number, waitMs = 0): boolean {
  db.exec(`PRAGMA busy_timeout = ${Math.floor(waitMs)}`);
  try {
    db.exec('BEGIN IMMEDIATE');
    return true;
  } catch (error) {
    if (isLockedError(error)) return false;
    throw error;
  } finally {
    db.exec(`PRAGMA busy_timeout = ${Math.floor(busyTimeoutMs)}`);
  }
}

/** Runs `work` in the transaction the caller has begun, then commits; rolls back on any error. */
export function finishTransaction<T>(db: DatabaseSync, work: () => T): T {
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // SQLite already rolled back (for example after SQLITE_FULL): nothing left to undo.
    }
    throw error;
  }
}
