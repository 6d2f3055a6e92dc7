import { Heap } from './heap.ts';

/** A pending outbox job as the forwarder schedules it: times are monotonic (see Clock). */
export interface PendingJob {
  id: number;
  alertKey: string;
  target: string;
  /** Backlog order: created_at + rank × RANK_STEP_MS (lower goes first; ageing is built in). */
  priorityAt: number;
  dueAt: number;
}

interface Entry extends PendingJob {
  status: 'queued' | 'in_flight';
  /** Bumped whenever the entry is scheduled again, so older heap items are recognised as stale. */
  version: number;
}

interface Scheduled {
  id: number;
  version: number;
  key: number;
}

const byKeyThenId = (a: Scheduled, b: Scheduled) => a.key < b.key || (a.key === b.key && a.id < b.id);

/**
 * The outbox's pending jobs in memory, rebuilt from the store on start and kept current from the
 * store's change events, so that a forwarder pass costs O(log n) per job it sends whatever the
 * backlog (issue 10): no query scans the queue.
 *
 * Per alert key only the oldest pending job may go (a RESOLVE never overtakes its ALERT); that
 * "head" waits in `#later` until it is due, then in its target's `#ready` heap in backlog order.
 * Heap items are never removed in place: an item whose job moved on is skipped when it surfaces.
 */
export class DueQueue {
  readonly #jobs = new Map<number, Entry>();
  /** Pending job ids per alert key, ascending: the first is the head. */
  readonly #byKey = new Map<string, number[]>();
  readonly #later = new Heap<Scheduled>(byKeyThenId);
  readonly #ready = new Map<string, Heap<Scheduled>>();
  /** Per target, jobs that were given a time to wait for (a retry's backoff): what pullForward may bring forward. */
  readonly #waiting = new Map<string, Set<number>>();

  get size(): number {
    return this.#jobs.size;
  }

  has(id: number): boolean {
    return this.#jobs.has(id);
  }

  /** A job is (again) waiting to be sent from `dueAt` on. */
  queued(job: PendingJob): void {
    let entry = this.#jobs.get(job.id);
    if (entry) Object.assign(entry, job, { status: 'queued' });
    else {
      entry = { ...job, status: 'queued', version: 0 };
      this.#jobs.set(job.id, entry);
      const ids = this.#byKey.get(job.alertKey);
      if (!ids) this.#byKey.set(job.alertKey, [job.id]);
      else {
        let at = ids.length;
        while (at > 0 && ids[at - 1]! > job.id) at--;
        ids.splice(at, 0, job.id);
      }
    }
    this.#noteWaiting(entry);
    this.#scheduleIfHead(entry);
  }

  /** A job sent and to be retried from `dueAt` on, in its place in the backlog. */
  retry(id: number, dueAt: number): void {
    const entry = this.#jobs.get(id);
    if (!entry) return;
    entry.dueAt = dueAt;
    entry.status = 'queued';
    this.#noteWaiting(entry);
    this.#scheduleIfHead(entry);
  }

  #noteWaiting(entry: Entry): void {
    let waiting = this.#waiting.get(entry.target);
    if (!waiting) this.#waiting.set(entry.target, (waiting = new Set()));
    waiting.add(entry.id);
  }

  /**
   * Makes a target's jobs that wait for a later time due now (ilert took an event, so it is back):
   * the backlog goes at once, in backlog order and under the rate limit, instead of each job
   * sleeping out a backoff of up to ten minutes. Costs what the target's waiting jobs number.
   */
  pullForward(target: string, now: number): number {
    const waiting = this.#waiting.get(target);
    if (!waiting) return 0;
    this.#waiting.delete(target);
    let pulled = 0;
    for (const id of waiting) {
      const entry = this.#jobs.get(id);
      if (!entry || entry.status !== 'queued' || entry.dueAt <= now) continue;
      entry.dueAt = now;
      this.#scheduleIfHead(entry);
      pulled++;
    }
    return pulled;
  }

  /** A job is on the wire: it keeps its alert key's later jobs waiting. */
  inFlight(id: number): void {
    const entry = this.#jobs.get(id);
    if (entry) {
      entry.status = 'in_flight';
      entry.version++;
    }
  }

  /** A job is done (delivered, failed, skipped): the next one of its alert key may go. */
  finished(id: number): void {
    const entry = this.#jobs.get(id);
    if (!entry) return;
    this.#jobs.delete(id);
    this.#waiting.get(entry.target)?.delete(id);
    const ids = this.#byKey.get(entry.alertKey)!;
    const wasHead = ids[0] === id;
    ids.splice(ids.indexOf(id), 1);
    if (ids.length === 0) this.#byKey.delete(entry.alertKey);
    else if (wasHead) this.#scheduleIfHead(this.#jobs.get(ids[0]!)!);
  }

  #scheduleIfHead(entry: Entry): void {
    entry.version++;
    if (entry.status !== 'queued' || this.#byKey.get(entry.alertKey)![0] !== entry.id) return;
    this.#later.push({ id: entry.id, version: entry.version, key: entry.dueAt });
  }

  #current(item: Scheduled): Entry | undefined {
    const entry = this.#jobs.get(item.id);
    // A re-run of an older job of the same alert key takes the head from a job already scheduled.
    if (!entry || entry.version !== item.version || this.#byKey.get(entry.alertKey)![0] !== entry.id) return undefined;
    return entry;
  }

  /** Moves heads that became due into their target's ready heap. */
  #promote(now: number): void {
    for (let item = this.#later.peek(); item && item.key <= now; item = this.#later.peek()) {
      this.#later.pop();
      const entry = this.#current(item);
      if (!entry) continue;
      let ready = this.#ready.get(entry.target);
      if (!ready) this.#ready.set(entry.target, (ready = new Heap<Scheduled>(byKeyThenId)));
      ready.push({ id: entry.id, version: entry.version, key: entry.priorityAt });
    }
  }

  /** Targets that may have due work. */
  dueTargets(now: number): string[] {
    this.#promote(now);
    return [...this.#ready].filter(([, heap]) => heap.size > 0).map(([target]) => target);
  }

  /** Up to `limit` due jobs of `target`, first in backlog order; they leave the ready heap. */
  takeDue(target: string, now: number, limit: number): PendingJob[] {
    this.#promote(now);
    const ready = this.#ready.get(target);
    const taken: PendingJob[] = [];
    while (ready && ready.size > 0 && taken.length < limit) {
      const entry = this.#current(ready.pop()!);
      if (entry) {
        entry.version++;
        taken.push(entry);
      }
    }
    return taken;
  }

  /** Puts jobs taken but not sent (the store could not mark them) back where they were. */
  putBack(jobs: readonly PendingJob[]): void {
    for (const job of jobs) {
      const entry = this.#jobs.get(job.id);
      if (entry?.status === 'queued') this.#scheduleIfHead(entry);
    }
  }

  /** Jobs marked in flight (O(pending); only looked at after the store failed to write). */
  inFlightIds(): number[] {
    return [...this.#jobs.values()].filter((entry) => entry.status === 'in_flight').map((entry) => entry.id);
  }

  /** When the next job that is not due yet becomes due. */
  nextDueAt(): number | undefined {
    for (let item = this.#later.peek(); item; item = this.#later.peek()) {
      if (this.#current(item)) return item.key;
      this.#later.pop();
    }
    return undefined;
  }
}
