import fs from 'node:fs';
import path from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { DATABASE_FILE } from './database.ts';

/** One step copies every page under one read transaction: a snapshot as of one commit, never restarted by the relay's writes. */
const ALL_PAGES = 2 ** 31 - 1;

export class BackupError extends Error {
  override readonly name = 'BackupError';
}

export interface BackupResult {
  destination: string;
  bytes: number;
}

/**
 * Copies the relay's database to `destination` with SQLite's online backup, while the relay runs
 * or not. WAL lets this read beside the relay's writer: the copy holds everything committed when it
 * began. It is written beside the destination first and renamed once checked, so a half-written
 * copy never has the destination's name, and it never overwrites a file.
 */
export async function backupStore(dataDir: string, destination: string): Promise<BackupResult> {
  const file = path.join(dataDir, DATABASE_FILE);
  const target = path.resolve(destination);
  if (!fs.existsSync(file)) throw new BackupError(`there is no relay database at ${file} (set RELAY_DATA_DIR to the relay's data directory)`);
  if (fs.existsSync(target)) throw new BackupError(`${target} exists: name a new file (a backup never overwrites one)`);
  const partial = `${target}.partial`;
  fs.rmSync(partial, { force: true });
  const source = new DatabaseSync(file);
  try {
    source.exec('PRAGMA busy_timeout = 5000');
    await backup(source, partial, { rate: ALL_PAGES });
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw new BackupError(`the backup failed: ${(error as Error).message}`);
  } finally {
    source.close();
  }
  const copy = new DatabaseSync(partial);
  try {
    const problems = (copy.prepare('PRAGMA quick_check').all() as { quick_check: string }[]).map((row) => row.quick_check).filter((line) => line !== 'ok');
    if (problems.length > 0) throw new BackupError(`the copy does not pass SQLite's check (${problems.slice(0, 3).join('; ')}): relay.sqlite itself may be damaged`);
    // A self-contained file: the backup's own WAL folded in, so that copying the one file is enough.
    copy.exec('PRAGMA journal_mode = DELETE');
  } catch (error) {
    copy.close();
    fs.rmSync(partial, { force: true });
    throw error instanceof BackupError ? error : new BackupError(`the copy cannot be read back: ${(error as Error).message}`);
  }
  copy.close();
  const fd = fs.openSync(partial, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.chmodSync(partial, 0o600);
  fs.renameSync(partial, target);
  return { destination: target, bytes: fs.statSync(target).size };
}
