import type { SQLInputValue } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { StoreUnavailableError } from './database.ts';

/** A search that runs longer is stopped (its thread ended) and answered with a reason. */
const READ_TIMEOUT_MS = 15_000;
/**
 * The thread ends after this long without a search and starts again with the next one (in tens of
 * milliseconds): it took 11.5 MB (its own V8 isolate), of which its end gives back 4.5 MB at once
 * (measured; the C allocator keeps the rest for the next thread), which a tray app whose dashboard
 * was opened once would otherwise keep all day.
 */
const READ_IDLE_MS = 60_000;

export interface ReadQuery {
  sql: string;
  params: SQLInputValue[];
}

export type ReadRow = Record<string, unknown>;

export class ReadTimeoutError extends Error {
  override readonly name = 'ReadTimeoutError';
}

/**
 * A thread with its own read-only connection for the dashboard's searches, which scan: run on the
 * thread that acknowledges webhooks, eight viewers searching in a loop took ack latency from 3.6 ms
 * to 99 ms (p50). WAL lets it read beside the writer. Each call's queries run in one read
 * transaction, so they see one snapshot. The source is inline (Node's own modules only) for the
 * same reason as the append thread's: it works from the sources, the CLI bundle and the app.
 */
const SOURCE = `
  const { parentPort, workerData } = require('node:worker_threads');
  const { DatabaseSync } = require('node:sqlite');
  const db = new DatabaseSync(workerData.file, { readOnly: true });
  db.exec('PRAGMA busy_timeout = 5000');
  const statements = new Map();
  const prepare = (sql) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
  parentPort.on('message', (message) => {
    if (message === 'close') { db.close(); parentPort.close(); return; }
    try {
      db.exec('BEGIN');
      try {
        parentPort.postMessage({ id: message.id, results: message.queries.map((query) => prepare(query.sql).all(...query.params)) });
      } finally {
        db.exec('COMMIT');
      }
    } catch (error) {
      parentPort.postMessage({ id: message.id, error: error.message });
    }
  });`;

interface Pending {
  resolve: (results: ReadRow[][]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class ReadThread {
  readonly #file: string;
  readonly #timeoutMs: number;
  readonly #idleMs: number;
  #idleTimer: NodeJS.Timeout | undefined;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #suspended = false;

  constructor(file: string, timeoutMs = READ_TIMEOUT_MS, idleMs = READ_IDLE_MS) {
    this.#file = file;
    this.#timeoutMs = timeoutMs;
    this.#idleMs = idleMs;
  }

  /** Runs `queries` in one read transaction on the thread; the thread starts on first use, and again after it went idle. */
  read(queries: ReadQuery[]): Promise<ReadRow[][]> {
    if (this.#suspended) return Promise.reject(new StoreUnavailableError('the database is being repaired: try again in a moment'));
    clearTimeout(this.#idleTimer);
    const worker = (this.#worker ??= this.#start());
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // node:sqlite cannot interrupt a statement: the thread goes, and with it whatever else waited.
        this.#failAll(new ReadTimeoutError(`the search took longer than ${this.#timeoutMs / 1000} s and was stopped: narrow it (a time range, a status or more letters)`));
        void worker.terminate();
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, queries });
    });
  }

  #start(): Worker {
    const worker = new Worker(SOURCE, { eval: true, workerData: { file: this.#file } });
    worker.unref();
    worker.on('message', (message: { id: number; results?: ReadRow[][]; error?: string }) => {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.results) pending.resolve(message.results);
      else pending.reject(new Error(message.error));
      if (this.#pending.size === 0) this.#closeWhenIdle();
    });
    worker.on('error', (error) => this.#failAll(error));
    worker.once('exit', () => {
      // A thread closed while idle may end after the next search started its successor: that search is not its.
      if (this.#worker !== worker && this.#worker !== undefined) return;
      this.#worker = undefined;
      this.#failAll(new StoreUnavailableError('the search thread stopped'));
    });
    return worker;
  }

  #closeWhenIdle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      if (this.#pending.size === 0) void this.close();
    }, this.#idleMs);
    this.#idleTimer.unref();
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
  }

  /** Closes the thread's connection (it starts again on the next read unless suspended). */
  async close(): Promise<void> {
    clearTimeout(this.#idleTimer);
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    // An unref'd thread would not keep the process up while it closes: a stop that awaits it
    // (a failed start, say) would end with its promise unsettled instead of with its message.
    worker.ref();
    worker.postMessage('close');
    await exited;
  }

  /** No reads, and no connection, until resume(): leaving WAL mode needs the only connection. */
  async suspend(): Promise<void> {
    this.#suspended = true;
    await this.close();
  }

  resume(): void {
    this.#suspended = false;
  }
}
