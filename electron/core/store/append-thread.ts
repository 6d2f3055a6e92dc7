import type { SQLInputValue } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { TEMP_STORE, WAL_AUTOCHECKPOINT_PAGES } from './database.ts';

/** One acknowledged delivery as the append thread writes it (see inboundRow in inbound-log.ts). */
export interface AppendRow {
  eventId: string;
  /** The delivery's parameters for `sql.delivery` as a new delivery (outcome 'received'), and as a duplicate. */
  received: SQLInputValue[];
  duplicate: SQLInputValue[];
  body: Uint8Array | undefined;
  /** The event's parameters for `sql.event`, after its event id and delivery id. */
  event: SQLInputValue[];
}

export interface AppendStatements {
  /** One parameter, the event id: a row when the event was received before. */
  known: string;
  delivery: string;
  /** (delivery id, body) */
  body: string;
  /** (event id, delivery id, ...row.event) */
  event: string;
}

export type Appended = { id: number; duplicate: boolean };

/** A failed append, with SQLite's error code when the database refused it (`sqliteCode` reads `errcode`). */
export class AppendError extends Error {
  readonly errcode: number | undefined;
  /** The whole commit failed (locked, disk full), not only this row. */
  readonly wholeCommit: boolean;
  constructor(message: string, errcode: number | undefined, wholeCommit: boolean) {
    super(message);
    this.errcode = errcode;
    this.wholeCommit = wholeCommit;
  }
}

type Result = Appended | { error: string; errcode: number | undefined; whole: boolean };

/** The two threads' turns at the write lock, in shared memory: the main connection wants to write; the thread is committing. */
const MAIN_WANTS = 0;
const COMMITTING = 1;
/** The longest the thread lets a main connection that wants the lock go first. */
const HOLD_OFF_MAX_MS = 250;

/**
 * The acknowledgements' group commit, on a thread with its own connection: every row posted in
 * one turn of that thread's event loop shares one transaction and one fsync. The fsync is the
 * slowest step of an acknowledgement (a quarter of the event loop's time in a storm, when it ran
 * there) and on a slow disk it can take tens of milliseconds: here it holds up no request and no
 * dashboard read (a main-connection transaction waits only for the commit in progress, see
 * holdOff). A write lock held by another program is waited for here too, up to the busy timeout.
 * The same thread copies the WAL back into the database file when the store asks (a checkpoint,
 * between two commits): a thread of its own for that cost 11–14 MB of memory (a V8 isolate) for a
 * few milliseconds of work a second (2.5–10 ms in a storm of 2,000 alerts a second).
 * The source is inline (Node's own modules only), like the read thread's, so it runs the same
 * from the sources, the CLI bundle and the app; the SQL comes from the store, its one home.
 */
const SOURCE = `
  const { parentPort, workerData } = require('node:worker_threads');
  const { DatabaseSync } = require('node:sqlite');
  let db, known, delivery, body, event, savepoint, release;
  const open = () => {
    db = new DatabaseSync(workerData.file);
    db.exec('PRAGMA busy_timeout = ' + workerData.busyTimeoutMs);
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA temp_store = ${TEMP_STORE}');
    // SQLite's default (1,000 pages) checkpointed inside an acknowledgement's commit about once a
    // second in a storm; the timer's checkpoint below comes first, between commits.
    db.exec('PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}');
    db.exec('PRAGMA foreign_keys = ON');
    known = db.prepare(workerData.sql.known);
    delivery = db.prepare(workerData.sql.delivery);
    body = db.prepare(workerData.sql.body);
    event = db.prepare(workerData.sql.event);
    savepoint = db.prepare('SAVEPOINT append');
    release = db.prepare('RELEASE append');
  };
  let closed = false;
  const failure = (error, whole) => ({ error: String(error && error.message), errcode: typeof error.errcode === 'number' ? error.errcode : undefined, whole });
  const appendOne = (row) => {
    savepoint.run();
    try {
      let result;
      if (known.get(row.eventId)) {
        const id = Number(delivery.run(...row.duplicate).lastInsertRowid);
        if (row.body) body.run(id, row.body);
        result = { id, duplicate: true };
      } else {
        const id = Number(delivery.run(...row.received).lastInsertRowid);
        if (row.body) body.run(id, row.body);
        event.run(row.eventId, id, ...row.event);
        result = { id, duplicate: false };
      }
      release.run();
      return result;
    } catch (error) {
      db.exec('ROLLBACK TO append');
      release.run();
      return failure(error, false);
    }
  };
  let queue = [];
  let scheduled = false;
  const turns = new Int32Array(workerData.turns);
  // Says it is committing before it looks whether the main connection wants the lock, as holdOff
  // says it wants the lock before it looks whether a commit is in progress: one of the two always
  // sees the other (said after BEGIN, both could miss each other, and a main transaction's 50 ms
  // ran out behind a long commit). The main connection goes first, for at most the hold-off.
  // With the turn, the lock is free unless another program holds it: then the turn is given back
  // while SQLite's busy handler waits, so that the main connection's writes (which wait for the
  // turn on the event loop) fail at once as locked instead of holding every request that long.
  const SQLITE_BUSY = 5;
  const giveTurnBack = () => {
    Atomics.store(turns, ${COMMITTING}, 0);
    Atomics.notify(turns, ${COMMITTING});
  };
  const begin = () => {
    db.exec('PRAGMA busy_timeout = 0');
    try {
      db.exec('BEGIN IMMEDIATE');
      return;
    } catch (error) {
      if ((error.errcode & 0xff) !== SQLITE_BUSY) throw error;
    } finally {
      db.exec('PRAGMA busy_timeout = ' + workerData.busyTimeoutMs);
    }
    giveTurnBack();
    db.exec('BEGIN IMMEDIATE');
    Atomics.store(turns, ${COMMITTING}, 1);
  };
  const claimTurn = () => {
    const deadline = Date.now() + ${HOLD_OFF_MAX_MS};
    for (;;) {
      Atomics.store(turns, ${COMMITTING}, 1);
      if (Atomics.load(turns, ${MAIN_WANTS}) === 0) return;
      giveTurnBack();
      const left = deadline - Date.now();
      if (left <= 0) { Atomics.store(turns, ${COMMITTING}, 1); return; }
      Atomics.wait(turns, ${MAIN_WANTS}, 1, left);
    }
  };
  const flush = () => {
    scheduled = false;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    const rows = batch.flatMap((message) => message.rows);
    let results;
    try {
      claimTurn();
      try {
        begin();
        try {
          results = rows.map(appendOne);
          db.exec('COMMIT');
        } catch (error) {
          try { db.exec('ROLLBACK'); } catch { /* SQLite rolled back already (disk full) */ }
          throw error;
        }
      } finally {
        giveTurnBack();
      }
    } catch (error) {
      results = rows.map(() => failure(error, true));
    }
    // Each message's rows answered under its own first number: numbers may skip one that never came.
    let next = 0;
    const answers = batch.map((message) => ({ first: message.first, results: results.slice(next, (next += message.rows.length)) }));
    parentPort.postMessage({ kind: 'appended', answers });
  };
  open();
  parentPort.on('message', (message) => {
    if (message.kind === 'append') {
      queue.push(message);
      if (!scheduled) { scheduled = true; setImmediate(flush); }
    } else if (message.kind === 'checkpoint') {
      // After the rows already here, so that it copies them too; a busy database is copied next time.
      flush();
      if (!closed) try { db.exec('PRAGMA wal_checkpoint(PASSIVE)'); } catch { /* checkpointed next time */ }
    } else if (message.kind === 'suspend') {
      flush();
      db.close();
      closed = true;
      parentPort.postMessage({ kind: 'suspended' });
    } else if (message.kind === 'resume') {
      open();
      closed = false;
    } else if (message.kind === 'close') {
      flush();
      db.close();
      parentPort.close();
    }
  });`;

interface Waiting {
  resolve: (appended: Appended) => void;
  reject: (error: Error) => void;
}

/**
 * The main thread's side: rows appended in one turn go to the thread in one message; each caller's
 * promise settles once its row is committed (fsync'd) or failed. Each message's results come back
 * numbered by its first row.
 */
export class AppendThread {
  readonly #file: string;
  readonly #sql: AppendStatements;
  readonly #busyTimeoutMs: number;
  readonly #failed: (error: Error) => void;
  readonly #committed: (ids: number[]) => Error | undefined;
  /** Started with the store (a thread takes tens of milliseconds to start: not the first webhook's to wait), and again on use after an unexpected exit. */
  #worker: Worker | undefined;
  readonly #waiting = new Map<number, Waiting>();
  #nextRow = 1;
  #outgoing: { rows: AppendRow[]; first: number } | undefined;
  #suspended: (() => void) | undefined;
  /** See MAIN_WANTS and COMMITTING. */
  readonly #turns = new Int32Array(new SharedArrayBuffer(8));

  /**
   * `committed`: once per commit, with the delivery ids it stored, before their callers hear of it;
   * an error it returns is their answer instead (committed, but not durable yet). `failed`: the
   * thread ended with an error (it starts again with the next row).
   */
  constructor(file: string, sql: AppendStatements, busyTimeoutMs: number, hooks: { committed: (ids: number[]) => Error | undefined; failed: (error: Error) => void }) {
    this.#file = file;
    this.#sql = sql;
    this.#busyTimeoutMs = busyTimeoutMs;
    this.#committed = hooks.committed;
    this.#failed = hooks.failed;
    this.#worker = this.#start();
  }

  #start(): Worker {
    const worker = new Worker(SOURCE, { eval: true, workerData: { file: this.#file, sql: this.#sql, busyTimeoutMs: this.#busyTimeoutMs, turns: this.#turns.buffer } });
    worker.unref();
    worker.on('message', (message: { kind: 'appended'; answers: { first: number; results: Result[] }[] } | { kind: 'suspended' }) => {
      if (message.kind === 'suspended') {
        this.#suspended?.();
        this.#suspended = undefined;
        return;
      }
      const stored = message.answers.flatMap(({ results }) => results.flatMap((result) => ('error' in result ? [] : [result.id])));
      const notDurable = stored.length > 0 ? this.#committed(stored) : undefined;
      for (const { first, results } of message.answers) {
        results.forEach((result, index) => {
          const waiting = this.#waiting.get(first + index);
          if (!waiting) return;
          this.#waiting.delete(first + index);
          if ('error' in result) waiting.reject(new AppendError(result.error, result.errcode, result.whole));
          else if (notDurable) waiting.reject(notDurable);
          else waiting.resolve(result);
        });
      }
      if (this.#waiting.size === 0) worker.unref();
    });
    worker.on('error', (error) => this.#failed(error));
    worker.once('exit', () => {
      if (this.#worker === worker) this.#worker = undefined;
      // Rows it never answered get a 503: Level sends them again, and one that was committed after all is then a duplicate.
      const lost = new AppendError('the append thread stopped before it answered', undefined, true);
      for (const [, waiting] of this.#waiting) waiting.reject(lost);
      this.#waiting.clear();
    });
    return worker;
  }

  /**
   * Before the main connection writes (the processor, the forwarder, the store's own group commit):
   * the thread starts no new commit until `letGo`, and a commit of its own in progress is waited
   * for here, up to `maxWaitMs`. It is short (the rows of a turn and their fsync: what every
   * acknowledgement used to cost the event loop), while SQLite's busy handler, which polls, would
   * seldom find the lock free between the thread's commits in a storm: the main connection's
   * 50 ms wait then ran out, and processing stopped and logged a lock by "another program".
   */
  holdOff(maxWaitMs: number): void {
    Atomics.store(this.#turns, MAIN_WANTS, 1);
    Atomics.wait(this.#turns, COMMITTING, 1, maxWaitMs);
  }

  letGo(): void {
    Atomics.store(this.#turns, MAIN_WANTS, 0);
    Atomics.notify(this.#turns, MAIN_WANTS);
  }

  /** Appends a row in the next group commit of the thread. */
  append(row: AppendRow): Promise<Appended> {
    return new Promise((resolve, reject) => {
      const number = this.#nextRow++;
      this.#waiting.set(number, { resolve, reject });
      if (!this.#outgoing) {
        this.#outgoing = { rows: [], first: number };
        setImmediate(() => this.#send());
      }
      this.#outgoing.rows.push(row);
    });
  }

  #send(): void {
    const outgoing = this.#outgoing;
    this.#outgoing = undefined;
    if (!outgoing) return;
    try {
      const worker = (this.#worker ??= this.#start());
      // A thread with rows in flight keeps the process alive until they are answered.
      worker.ref();
      worker.postMessage({ kind: 'append', ...outgoing });
    } catch (error) {
      // Nothing of this batch reached the thread (a thread that cannot start): none of it is stored.
      const failed = new AppendError(`the append thread could not take the rows: ${(error as Error).message}`, undefined, true);
      for (let number = outgoing.first; number < outgoing.first + outgoing.rows.length; number++) {
        this.#waiting.get(number)?.reject(failed);
        this.#waiting.delete(number);
      }
    }
  }

  /** Commits what was sent and closes the thread's connection until resume (the WAL's repair needs the only connection). */
  async suspend(): Promise<void> {
    this.#send();
    const worker = this.#worker;
    if (!worker) return;
    worker.ref();
    await new Promise<void>((resolve) => {
      this.#suspended = resolve;
      worker.postMessage({ kind: 'suspend' });
    });
    worker.unref();
  }

  resume(): void {
    this.#worker?.postMessage({ kind: 'resume' });
  }

  /** Copies the WAL into the database file after the rows sent so far: between two commits, never inside one. */
  checkpoint(): void {
    this.#send();
    this.#worker?.postMessage({ kind: 'checkpoint' });
  }

  /** Commits what was sent, then ends the thread and its connection. */
  async close(): Promise<void> {
    this.#send();
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    worker.ref();
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ kind: 'close' });
    await exited;
  }
}
