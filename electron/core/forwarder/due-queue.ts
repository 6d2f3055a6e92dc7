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
  /** Tried and waiting out a backoff: kept in memory, so that pullForward reaches it when ilert is back. */
  retried?: boolean;
}

interface Scheduled {
  id: number;
  version: number;
  key: number;
}

const byKeyThenId = (a: Scheduled, b: Scheduled) => a.key < b.key || (a.key === b.key && a.id < b.id);

/** A job's place in its target's backlog: by priorityAt, then id. */
export type BacklogPlace = Pick<PendingJob, 'priorityAt' | 'id'>;

const placedBefore = (a: BacklogPlace, b: BacklogPlace) => a.priorityAt < b.priorityAt || (a.priorityAt === b.priorityAt && a.id < b.id);

/** Where the queue reads the parts of a backlog it does not hold (the outbox, through its indexes). */
export interface BacklogSource {
  /** Up to `limit` queued jobs of `target` placed after `after` (from the start without it), in backlog order. */
  page(target: string, after: BacklogPlace | undefined, limit: number): PendingJob[];
  /** The alert key's pending jobs older than `id`: they go first, so they must be held wherever `id` is. */
  olderPending(alertKey: string, id: number): (PendingJob & { inFlight: boolean })[];
}

/** How many jobs per target the queue holds while the rest of a deep backlog waits in the store. */
export const BACKLOG_WINDOW = 512;

/**
 * The outbox's pending jobs in memory, rebuilt from the store on start and kept current from the
 * store's change events, so that a forwarder pass costs O(log n) per job it sends whatever the
 * backlog (issue 10): no query scans the queue.
 *
 * Per alert key only the oldest pending job may go (a RESOLVE never overtakes its ALERT); that
 * "head" waits in `#later` until it is due, then in its target's `#ready` heap in backlog order.
 * Heap items are never removed in place: an item whose job moved on is skipped when it surfaces.
 *
 * Memory is bounded by what a pass needs, not by the backlog (issue 24): with a `source`, a target
 * whose backlog outgrows two windows keeps only its first `window` jobs in backlog order (its
 * "frontier" marks where that part ends) and reads the next window from the store when fewer than
 * half remain, or when none of those held is due. A job held here always has its alert key's older
 * pending jobs held too, so the head of a key is known without the store. Without a source
 * (nothing to read back from) it holds everything.
 */
export class DueQueue {
  readonly #jobs = new Map<number, Entry>();
  /** Pending job ids per alert key, ascending: the first is the head. */
  readonly #byKey = new Map<string, number[]>();
  readonly #later = new Heap<Scheduled>(byKeyThenId);
  readonly #ready = new Map<string, Heap<Scheduled>>();
  /** Per target, jobs that were given a time to wait for (a retry's backoff): what pullForward may bring forward. */
  readonly #waiting = new Map<string, Set<number>>();
  /** Job ids held per target. */
  readonly #byTarget = new Map<string, Set<number>>();
  /**
   * Targets whose backlog is not all held: every queued job placed up to the frontier is held (null:
   * none is yet), those after it are in the store until a refill reaches them.
   */
  readonly #frontier = new Map<string, BacklogPlace | null>();
  readonly #source: BacklogSource | undefined;
  readonly #window: number;

  constructor(options: { source?: BacklogSource; window?: number } = {}) {
    this.#source = options.source;
    this.#window = options.window ?? BACKLOG_WINDOW;
  }

  get size(): number {
    return this.#jobs.size;
  }

  has(id: number): boolean {
    return this.#jobs.has(id);
  }

  /** How many jobs of the target are held (queued or in flight). */
  heldFor(target: string): number {
    return this.#byTarget.get(target)?.size ?? 0;
  }

  /**
   * Starts holding the backlogs the store has for these targets (on start): the first window of
   * each, in backlog order.
   */
  loadBacklog(targets: readonly string[]): void {
    if (!this.#source) throw new Error('a queue without a source cannot read a backlog');
    for (const target of targets) {
      this.#frontier.set(target, null);
      this.#refill(target);
    }
  }

  /** A job is (again) waiting to be sent from `dueAt` on. */
  queued(job: PendingJob): void {
    const entry = this.#jobs.get(job.id);
    if (entry) {
      Object.assign(entry, job, { status: 'queued' });
      this.#noteWaiting(entry);
      this.#scheduleIfHead(entry);
      return;
    }
    // Placed after the frontier: the store has it, and a refill reads it in its turn.
    const frontier = this.#frontier.get(job.target);
    if (frontier !== undefined && (frontier === null || placedBefore(frontier, job))) return;
    this.#holdWithOlder(job);
    if (this.#source && this.heldFor(job.target) > 2 * this.#window) this.#trim(job.target);
  }

  /** Holds a job, and first its alert key's older pending jobs where the store may have some that are not held. */
  #holdWithOlder(job: PendingJob): void {
    // With every backlog held, so is every older job of the key.
    if (this.#frontier.size > 0) {
      for (const older of this.#source!.olderPending(job.alertKey, job.id)) {
        if (this.#jobs.has(older.id)) continue;
        this.#hold(older);
        if (older.inFlight) this.inFlight(older.id);
      }
    }
    this.#hold(job);
  }

  #hold(job: PendingJob): void {
    const entry: Entry = { id: job.id, alertKey: job.alertKey, target: job.target, priorityAt: job.priorityAt, dueAt: job.dueAt, status: 'queued', version: 0 };
    this.#jobs.set(job.id, entry);
    let held = this.#byTarget.get(job.target);
    if (!held) this.#byTarget.set(job.target, (held = new Set()));
    held.add(job.id);
    const ids = this.#byKey.get(job.alertKey);
    if (!ids) this.#byKey.set(job.alertKey, [job.id]);
    else {
      let at = ids.length;
      while (at > 0 && ids[at - 1]! > job.id) at--;
      ids.splice(at, 0, job.id);
    }
    this.#noteWaiting(entry);
    this.#scheduleIfHead(entry);
  }

  /** Reads the target's next window from the store; once the store has no more, the whole backlog is held. */
  #refill(target: string): void {
    const after = this.#frontier.get(target);
    const page = this.#source!.page(target, after ?? undefined, this.#window);
    for (const job of page) if (!this.#jobs.has(job.id)) this.#holdWithOlder(job);
    const last = page.at(-1);
    if (page.length < this.#window || !last) this.#frontier.delete(target);
    else this.#frontier.set(target, { priorityAt: last.priorityAt, id: last.id });
  }

  /**
   * Lets go of the target's jobs placed after its first window; the store keeps them. A job on the
   * wire or in a backoff stays, and so does one whose key has a later job held (that job must not
   * become its key's head).
   */
  #trim(target: string): void {
    const held = [...this.#byTarget.get(target)!].map((id) => this.#jobs.get(id)!).sort((a, b) => (placedBefore(a, b) ? -1 : 1));
    // Never past the frontier there was: what lies after it may not all be held.
    const before = this.#frontier.get(target);
    const cut = before && placedBefore(before, held[this.#window - 1]!) ? before : held[this.#window - 1]!;
    for (let at = held.length - 1; at >= 0 && placedBefore(cut, held[at]!); at--) {
      const entry = held[at]!;
      if (entry.status === 'in_flight' || entry.retried || this.#byKey.get(entry.alertKey)!.at(-1) !== entry.id) continue;
      this.#forget(entry);
    }
    this.#frontier.set(target, { priorityAt: cut.priorityAt, id: cut.id });
  }

  /** Drops a job from memory; heap items for it are skipped when they surface. */
  #forget(entry: Entry): void {
    this.#jobs.delete(entry.id);
    this.#waiting.get(entry.target)?.delete(entry.id);
    const held = this.#byTarget.get(entry.target)!;
    held.delete(entry.id);
    if (held.size === 0) this.#byTarget.delete(entry.target);
    const ids = this.#byKey.get(entry.alertKey)!;
    ids.splice(ids.indexOf(entry.id), 1);
    if (ids.length === 0) this.#byKey.delete(entry.alertKey);
  }

  /** A job sent and to be retried from `dueAt` on, in its place in the backlog. */
  retry(id: number, dueAt: number): void {
    const entry = this.#jobs.get(id);
    if (!entry) return;
    entry.dueAt = dueAt;
    entry.status = 'queued';
    entry.retried = true;
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
    const wasHead = this.#byKey.get(entry.alertKey)![0] === id;
    this.#forget(entry);
    const next = this.#byKey.get(entry.alertKey)?.[0];
    if (wasHead && next !== undefined) this.#scheduleIfHead(this.#jobs.get(next)!);
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
    for (const target of [...this.#frontier.keys()]) {
      const held = this.heldFor(target);
      // Also when nothing held is due (all in a backoff, as after a restart during an outage) while
      // the store may have due work further on; up to a bound, so such a backlog is not read whole.
      if (held < this.#window / 2 || (held < 4 * this.#window && !this.#nextReady(target))) this.#refill(target);
    }
    this.#promote(now);
    return [...this.#ready].filter(([, heap]) => heap.size > 0).map(([target]) => target);
  }

  /** Up to `limit` due jobs of `target`, first in backlog order; they leave the ready heap. */
  takeDue(target: string, now: number, limit: number): PendingJob[] {
    this.#promote(now);
    const taken: PendingJob[] = [];
    for (let entry = this.#nextReady(target); entry && taken.length < limit; entry = this.#nextReady(target)) {
      this.#ready.get(target)!.pop();
      entry.version++;
      taken.push(entry);
    }
    return taken;
  }

  /**
   * The target's first ready job, unless it is placed after the frontier: one held there (an older
   * job of a key held nearer the front) waits until the jobs placed before it are read and sent.
   */
  #nextReady(target: string): Entry | undefined {
    const ready = this.#ready.get(target);
    for (let item = ready?.peek(); item; item = ready!.peek()) {
      const entry = this.#current(item);
      if (!entry) {
        ready!.pop();
        continue;
      }
      const frontier = this.#frontier.get(target);
      return frontier && placedBefore(frontier, entry) ? undefined : entry;
    }
    return undefined;
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
