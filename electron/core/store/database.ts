import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { MIGRATIONS } from './schema.ts';

export const DATABASE_FILE = 'relay.sqlite';
/** A safety net only: the store checkpoints on a timer long before the WAL gets this big (~40 MB). */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/**
 * Opens the relay's SQLite file. WAL lets the dashboard read while webhooks are written;
 * synchronous=FULL makes every acknowledged commit survive a power cut, not only a crash.
 * Checkpoints are left to a timer (see Store) instead of running inside every thousandth
 * commit, where they would hold up acknowledgements.
 */
export function openDatabase(dataDir: string, busyTimeoutMs = 2000): DatabaseSync {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, DATABASE_FILE);
  const db = new DatabaseSync(file);
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.floor(busyTimeoutMs)}`);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

function migrate(db: DatabaseSync): void {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  const version = row.user_version;
  if (version > MIGRATIONS.length) {
    throw new Error(
      `the database was written by a newer version of the relay (schema ${version}, this one knows ${MIGRATIONS.length}); update the app`,
    );
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
