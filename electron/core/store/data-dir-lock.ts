import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createPrivate, ensureDataDir, isLockedError, sqliteCode } from './database.ts';

export const LOCK_FILE = 'relay.lock';
/** `PRAGMA user_version` lives at this offset of a SQLite file's header, as a 4-byte big-endian integer. */
const USER_VERSION_OFFSET = 60;

export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  readonly holderPid: number | undefined;
  constructor(dataDir: string, holderPid: number | undefined) {
    super(
      `this data directory is in use by another relay${holderPid ? ` (pid ${holderPid})` : ''}: ${dataDir}. Stop that relay first, or set RELAY_DATA_DIR to another directory.`,
    );
    this.holderPid = holderPid;
  }
}

/** SQLite's answers for a file that is not a database: "file is not a database", "database disk image is malformed". */
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

/**
 * The lock file holds no data, only the lock; a damaged one is named as such, so the user is not
 * sent to the database. It is not replaced automatically: two relays starting at once could each
 * replace it and lock different files.
 */
export class DamagedLockFileError extends Error {
  override readonly name = 'DamagedLockFileError';
  constructor(file: string) {
    super(`${file} is not a relay lock file (damaged, or another file put in its place). It holds no data: delete it, then start the relay again.`);
  }
}

/**
 * Holds the data directory for as long as this process runs, so a second relay cannot run crash
 * recovery on a live database or forward the same work twice. Node has no flock(), but SQLite's
 * own locks are OS locks (fcntl on Unix, LockFileEx on Windows) that the OS releases when the
 * process dies, even by kill -9, so a stale lock can never outlive its holder. The holder's pid is
 * written into the lock file's header (user_version), where another process can read it without
 * SQLite even while the lock is held.
 */
export class DataDirLock {
  readonly #db: DatabaseSync;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  static acquire(dataDir: string): DataDirLock {
    ensureDataDir(dataDir);
    const file = path.join(dataDir, LOCK_FILE);
    createPrivate(file);
    const db = new DatabaseSync(file);
    try {
      db.exec('PRAGMA busy_timeout = 0');
      // In EXCLUSIVE locking mode the first write takes the exclusive lock and keeps it until close.
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      db.exec(`PRAGMA user_version = ${process.pid}`);
    } catch (error) {
      db.close();
      if (isLockedError(error)) throw new DataDirInUseError(dataDir, readHolderPid(file));
      const code = sqliteCode(error);
      if (code === SQLITE_NOTADB || code === SQLITE_CORRUPT) throw new DamagedLockFileError(file);
      throw error;
    }
    return new DataDirLock(db);
  }

  release(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

function readHolderPid(file: string): number | undefined {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const header = Buffer.alloc(4);
      if (fs.readSync(fd, header, 0, 4, USER_VERSION_OFFSET) !== 4) return undefined;
      return header.readUInt32BE(0) || undefined;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}
