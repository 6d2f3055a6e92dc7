import { postEvent, postLevelBody, keyFingerprint, maskUrlKey, REQUEST_TIMEOUT_MS, type EventsResponse } from '../ilert/events-client.ts';
import type { Outbox, Job, AttemptVerdict, AttemptRecord, StoredPendingJob } from '../store/outbox.ts';
import type { Store } from '../store/store.ts';
import type { StoreChange } from '../store/database.ts';
import { retryDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';
import { RateLimiter } from '../http/rate-limiter.ts';
import { DueQueue, type PendingJob } from './due-queue.ts';
import { systemClock, type Clock } from './clock.ts';
import type { ResolvedTarget } from '../targets.ts';
import type { Logger } from '../logger.ts';

function formatDuration(ms: number): string {
  if (ms >= 3_600_000) return `${Math.round(ms / 3_600_000)} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/**
 * Where a target's events go; undefined while the target is not configured. `pass-through` sends
 * Level's original body to an ilert Level.io alert source instead of an ilert Event.
 */

/** Rate limits are per integration key; a pass-through URL carries its key. */
function targetKey(target: ResolvedTarget): string {
  return target.kind === 'events' ? target.integrationKey : target.url;
}

export interface ForwarderOptions {
  store: Store;
  log: Logger;
  outbox: Outbox;
  resolveTarget: (target: string) => ResolvedTarget | undefined;
  eventsPerMinute: () => number;
  backoff?: BackoffPolicy;
  /** ilert sends no Retry-After with a 429 and suggests waiting 10–30 s. */
  rateLimitPauseMs?: () => number;
  rateWindowMs?: number;
  requestTimeoutMs?: number;
  maxInFlight?: number;
  clock?: Clock;
  /** How soon to try again when the store could not be written (locked by another process, disk full). */
  storeRetryMs?: number;
  /**
   * Told when what the forwarder holds in memory changes: a target starts or stops waiting for
   * ilert's rate limit (the dashboard says why rows wait), or the outage summary moves (Health).
   * Without it, a status read at the commit that delivered an outage's last event stayed as it was
   * (outage under way) until something else changed.
   */
  stateChanged?: () => void;
}

/**
 * The events an ilert outage delayed (an attempt failed) and what became of them, for Health's
 * "4 events delayed, all delivered; 1 pair skipped". Kept in memory from this process's start: it
 * opens with the first failed attempt and ends once none of its events waits any more.
 */
export interface OutageSummary {
  since: number;
  endedAt?: number;
  waiting: number;
  delivered: number;
  failed: number;
  /** ALERTs skipped with their RESOLVE: the alert was over before ilert took it. */
  skipped: number;
}

type OutageFate = 'waiting' | 'delivered' | 'failed' | 'skipped';

/** An attempt whose outcome could not be written yet: kept here and written when the store can write again. */
interface UnrecordedOutcome {
  job: Job;
  attempt: AttemptRecord;
  verdict: AttemptVerdict;
  /** For a retry: how long after the attempt the job is due again (monotonic). */
  retryAt: number | undefined;
}

/**
 * Drains the outbox into ilert's Events API: per-key rate limit, retries with backoff and jitter,
 * configuration errors failed at once, every attempt recorded. Woken by new work and by timers.
 *
 * Which job goes next is decided in memory (DueQueue), so a pass costs the same with an empty
 * outbox and with a backlog of 80,000; the queue holds only the front of a deep backlog and reads
 * the rest from the store's index in turn, so memory does not grow with the backlog either. Delays
 * and rate windows run on the monotonic clock, so a wall clock set back an hour does not hold
 * anything up.
 */
export class Forwarder {
  readonly #options: Required<Omit<ForwarderOptions, 'backoff' | 'stateChanged'>> & { backoff: BackoffPolicy; stateChanged?: () => void };
  readonly #limiter: RateLimiter;
  readonly #queue: DueQueue;
  readonly #inFlight = new Set<Promise<void>>();
  /** Jobs this process is sending or holds an unwritten outcome for. */
  readonly #sending = new Set<number>();
  readonly #unrecorded = new Map<number, UnrecordedOutcome>();
  #writeFailed = false;
  #recordScheduled = false;
  #timer: NodeJS.Timeout | undefined;
  #recordTimer: NodeJS.Timeout | undefined;
  #passScheduled = false;
  #running = false;
  /** Targets a technician paused: their due jobs stay in the queue, in order, until resumed. */
  readonly #paused = new Set<string>();
  /** Targets whose due work found no free slot in ilert's rate limit on the last pass. */
  #rateLimited = new Set<string>();
  #outage: { summary: OutageSummary; fates: Map<number, OutageFate> } | undefined;
  readonly #onChange = (change: StoreChange) => {
    if (change.kind !== 'job') return;
    if (change.status === 'skipped') this.#noteFate(change.id, 'skipped', this.#options.clock.now());
    if (change.status === 'queued') {
      const { clock, outbox } = this.#options;
      let schedule = change.schedule;
      // Retries the forwarder decided itself are already in the queue. Work queued by code that did
      // not say when it is due is looked up once by id, so nothing waits for a restart.
      if (!schedule) {
        if (this.#queue.has(change.id)) return;
        const stored = outbox.pendingJob(change.id);
        if (!stored) return;
        schedule = { priorityAt: stored.priorityAt, delayMs: this.#delayUntil(stored.nextAttemptAt, clock.now()) };
      }
      this.#queue.queued({ id: change.id, alertKey: change.alertKey, target: change.target, priorityAt: schedule.priorityAt, dueAt: clock.monotonic() + schedule.delayMs });
      this.wake();
    } else if (change.status !== 'in_flight') this.#queue.finished(change.id);
  };

  constructor(options: ForwarderOptions) {
    this.#options = {
      backoff: DEFAULT_BACKOFF,
      rateLimitPauseMs: () => 10_000 + Math.random() * 20_000,
      rateWindowMs: 60_000,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      maxInFlight: 4,
      clock: systemClock,
      storeRetryMs: 1000,
      ...options,
    };
    const { clock, outbox } = this.#options;
    this.#queue = new DueQueue({
      source: {
        page: (target, after, limit) => this.#scheduled(outbox.backlogPage(target, after, limit)),
        olderPending: (alertKey, id) => this.#scheduled(outbox.olderPending(alertKey, id)),
      },
    });
    this.#limiter = new RateLimiter({
      limit: options.eventsPerMinute,
      windowMs: this.#options.rateWindowMs,
      // Stored send times are wall times; the limiter counts on the monotonic clock.
      history: (fingerprint, since) => {
        const offset = clock.now() - clock.monotonic();
        return options.outbox.recentSendTimes(fingerprint, since + offset).map((at) => Math.min(at - offset, clock.monotonic()));
      },
    });
  }

  /**
   * How long until a stored (wall-clock) time. One stored while the clock was ahead, or before it
   * was set back, is clamped to the longest real delay, the backoff cap.
   */
  #delayUntil(storedAt: number, wallNow: number): number {
    return Math.min(Math.max(storedAt - wallNow, 0), this.#options.backoff.capMs);
  }

  /** Stored jobs as the queue schedules them, due on the monotonic clock. */
  #scheduled(stored: readonly StoredPendingJob[]): (PendingJob & { inFlight: boolean })[] {
    const { clock } = this.#options;
    const wallNow = clock.now();
    const monoNow = clock.monotonic();
    return stored.map((job) => ({
      id: job.id,
      alertKey: job.alertKey,
      target: job.target,
      priorityAt: job.priorityAt,
      dueAt: monoNow + this.#delayUntil(job.nextAttemptAt, wallNow),
      inFlight: job.status === 'in_flight',
    }));
  }

  /** Whether the target has due work held back by ilert's rate limit right now. */
  waitsForRateLimit(target: string): boolean {
    return this.#rateLimited.has(target);
  }

  /** The last ilert outage this process saw, and what became of the events it delayed. */
  get outage(): OutageSummary | undefined {
    return this.#outage && { ...this.#outage.summary };
  }

  /** A job had a failed attempt: it joins the outage under way, or opens one. */
  #noteDelayed(jobId: number, fate: OutageFate, at: number): void {
    if (!this.#outage || this.#outage.summary.endedAt !== undefined) {
      this.#outage = { summary: { since: at, waiting: 0, delivered: 0, failed: 0, skipped: 0 }, fates: new Map() };
    }
    if (this.#outage.fates.has(jobId)) this.#noteFate(jobId, fate, at);
    else {
      this.#outage.fates.set(jobId, fate);
      this.#outage.summary[fate]++;
      this.#options.stateChanged?.();
    }
  }

  /** A delayed job moved on; once none waits, the outage is over. */
  #noteFate(jobId: number, fate: OutageFate, at: number): void {
    const outage = this.#outage;
    const before = outage?.fates.get(jobId);
    if (!outage || before !== 'waiting' || fate === 'waiting') return;
    outage.fates.set(jobId, fate);
    outage.summary.waiting--;
    outage.summary[fate]++;
    if (outage.summary.waiting === 0) outage.summary.endedAt = at;
    this.#options.stateChanged?.();
  }

  /** How many outbox jobs the forwarder holds in memory (of a backlog that may be far deeper). */
  get heldJobs(): number {
    return this.#queue.size;
  }

  /** How many attempt outcomes wait for the store to accept them (shown on the Health page). */
  get unrecordedOutcomes(): number {
    return this.#unrecorded.size;
  }

  /** Stops sending to a target; what is on the wire finishes, everything else waits in its place. */
  pause(target: string): void {
    this.#paused.add(target);
  }

  /** Sends a paused target's backlog again, in the usual order. */
  resume(target: string): void {
    if (this.#paused.delete(target)) this.wake();
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const { outbox, clock } = this.#options;
    outbox.recoverInFlight(clock.now());
    this.#queue.loadBacklog(outbox.backlogTargets());
    this.#options.store.changes.on('change', this.#onChange);
    this.wake();
  }

  /** Stops taking new work and waits for requests already on the wire. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#options.store.changes.off('change', this.#onChange);
    clearTimeout(this.#timer);
    clearTimeout(this.#recordTimer);
    await Promise.all([...this.#inFlight]);
    // Last chance to write what is still held; anything left is recovered as "outcome unknown" on start.
    if (!this.#options.store.closed) this.#recordHeldOutcomes();
  }

  wake(): void {
    if (!this.#running || this.#passScheduled) return;
    this.#passScheduled = true;
    setImmediate(() => {
      this.#passScheduled = false;
      this.#pass();
    });
  }

  #pass(): void {
    if (!this.#running || this.#options.store.closed) return;
    const { outbox, resolveTarget, maxInFlight, clock } = this.#options;
    const now = clock.monotonic();
    // Work due now but not taken is woken by an outcome being recorded, a rate-limit slot freeing or a
    // settings change; the timer only needs the next job that is not due yet.
    let wakeAt = this.#queue.nextDueAt();
    const rateLimited = new Set<string>();
    for (const targetName of this.#queue.dueTargets(now)) {
      if (this.#paused.has(targetName)) continue; // resume() wakes the next pass
      const target = resolveTarget(targetName);
      if (!target) continue; // not configured: the work waits, nothing is lost
      const fingerprint = keyFingerprint(targetKey(target));
      const capacity = Math.min(maxInFlight - this.#inFlight.size, this.#limiter.available(fingerprint, now));
      if (capacity <= 0) {
        // Rate-limited: sleep until the key's next free slot rather than looking again on every new job.
        const freeAt = this.#inFlight.size >= maxInFlight ? undefined : this.#limiter.nextFreeAt(fingerprint, now);
        if (freeAt !== undefined) rateLimited.add(targetName);
        if (freeAt !== undefined && Number.isFinite(freeAt)) wakeAt = Math.min(wakeAt ?? freeAt, freeAt);
        continue;
      }
      const taken = this.#queue.takeDue(targetName, now, capacity);
      let claimed: Job[];
      try {
        claimed = outbox.claim(
          taken.map((job) => job.id),
          clock.now(),
        );
      } catch (error) {
        // The store is closing or cannot write right now (locked, full): the jobs wait; try again soon.
        this.#queue.putBack(taken);
        if (this.#options.store.closed) return;
        this.#options.log.error(`could not take work: ${(error as Error).message}`);
        wakeAt = Math.min(wakeAt ?? Infinity, now + this.#options.storeRetryMs);
        continue;
      }
      // A job the store no longer holds as queued was settled meanwhile; its change event may still come.
      const claimedIds = new Set(claimed.map((job) => job.id));
      for (const job of taken) if (!claimedIds.has(job.id)) this.#queue.finished(job.id);
      for (const job of claimed) {
        this.#queue.inFlight(job.id);
        this.#sending.add(job.id);
        const completed = this.#limiter.take(fingerprint, now);
        // No wake here: recording the outcome wakes the next pass, so the answers of one turn of the
        // event loop are recorded in one commit and their freed slots claimed in the next.
        const sending = this.#send(job, target, fingerprint, completed).finally(() => this.#inFlight.delete(sending));
        this.#inFlight.add(sending);
      }
    }
    this.#noteRateLimited(rateLimited);
    this.#schedule(wakeAt, now);
  }

  #noteRateLimited(now: Set<string>): void {
    const before = this.#rateLimited;
    this.#rateLimited = now;
    if (before.size !== now.size || [...now].some((target) => !before.has(target))) this.#options.stateChanged?.();
  }

  #schedule(wakeAt: number | undefined, now: number): void {
    clearTimeout(this.#timer);
    if (wakeAt === undefined || !this.#running) return;
    this.#timer = setTimeout(() => this.wake(), Math.max(wakeAt - now, 1));
    this.#timer.unref?.();
  }

  async #post(job: Job, target: ResolvedTarget, timeoutMs: number): Promise<EventsResponse> {
    if (target.kind === 'events') return postEvent(target.apiUrl, target.integrationKey, job.body, timeoutMs);
    const body = job.eventType === 'ALERT' || job.eventType === 'RESOLVE' ? this.#options.outbox.levelBodyOf(job) : undefined;
    if (!body) {
      const why =
        job.eventType === 'ACCEPT'
          ? 'ilert’s Level.io source takes only Level’s own events: accept the alert in ilert'
          : job.eventType === 'COMMENT'
            ? 'ilert’s Level.io source takes only Level’s own events, so the refire comment cannot go there (the alert stays open in ilert)'
            : 'the original Level body is no longer stored';
      return {
        url: maskUrlKey(target.url),
        requestBody: '',
        statusCode: null,
        responseBody: null,
        error: `cannot pass through: ${why}`,
        latencyMs: 0,
        kind: 'config-error',
        maybeDelivered: false,
      };
    }
    return postLevelBody(target.url, body, timeoutMs);
  }

  async #send(job: Job, target: ResolvedTarget, fingerprint: string, completed: (at: number) => void): Promise<void> {
    const { clock, backoff, requestTimeoutMs } = this.#options;
    const startedAt = clock.now();
    const response = await this.#post(job, target, requestTimeoutMs);
    const finishedMono = clock.monotonic();
    const finishedAt = clock.now();
    completed(finishedMono);
    if (response.kind === 'rate-limited') this.#limiter.block(fingerprint, finishedMono + this.#options.rateLimitPauseMs());
    const firstAttemptAt = job.firstAttemptAt ?? startedAt;
    let verdict: AttemptVerdict;
    let retryAt: number | undefined;
    if (response.kind === 'delivered') verdict = { kind: 'delivered' };
    else if (response.kind === 'config-error') verdict = { kind: 'failed', reason: response.error ?? 'ilert refused the event' };
    else if (finishedAt - firstAttemptAt >= backoff.giveUpAfterMs) {
      verdict = { kind: 'failed', reason: `gave up after ${formatDuration(backoff.giveUpAfterMs)} of retries: ${response.error}` };
    } else {
      const delay = retryDelay(backoff, job.attempts + 1);
      retryAt = finishedMono + delay;
      verdict = { kind: 'retry', at: finishedAt + delay, maybeDelivered: response.maybeDelivered, reason: response.error ?? 'retrying' };
    }
    const attempt: AttemptRecord = {
      startedAt,
      latencyMs: response.latencyMs,
      url: response.url,
      keyFingerprint: fingerprint,
      requestBody: response.requestBody,
      statusCode: response.statusCode,
      error: response.error,
      responseBody: response.responseBody,
      manual: job.manual,
    };
    this.#unrecorded.set(job.id, { job, attempt, verdict, retryAt });
    if (this.#options.store.closed || this.#recordScheduled) return;
    // Answers that arrive in the same turn of the event loop are recorded in one transaction.
    this.#recordScheduled = true;
    setImmediate(() => {
      this.#recordScheduled = false;
      if (!this.#recordTimer) this.#recordHeldOutcomes();
    });
  }

  /**
   * Writes the outcomes held in memory. One that cannot be written (another process holds the
   * write lock, the disk is full) stays held, with its job in flight, and is tried again shortly:
   * once it is written the alert's next event (its RESOLVE) goes, without a restart.
   */
  #recordHeldOutcomes(): void {
    clearTimeout(this.#recordTimer);
    this.#recordTimer = undefined;
    const { outbox, store, clock } = this.#options;
    if (store.closed || this.#unrecorded.size === 0) return;
    const held = [...this.#unrecorded.values()];
    try {
      outbox.completeAll(held);
    } catch (error) {
      this.#writeFailed = true;
      this.#options.log.error(`could not record ${held.length} attempt(s) yet, keeping them to write later: ${(error as Error).message}`);
      if (this.#running) {
        this.#recordTimer = setTimeout(() => this.#recordHeldOutcomes(), this.#options.storeRetryMs);
        this.#recordTimer.unref?.();
      }
      return;
    }
    const recovered = new Set<string>();
    for (const { job, retryAt, verdict, attempt } of held) {
      this.#unrecorded.delete(job.id);
      this.#sending.delete(job.id);
      if (retryAt !== undefined) this.#queue.retry(job.id, retryAt);
      else this.#queue.finished(job.id);
      const at = attempt.startedAt + (attempt.latencyMs ?? 0);
      if (verdict.kind === 'delivered') {
        recovered.add(job.target);
        this.#noteFate(job.id, 'delivered', at);
      } else if (verdict.kind === 'failed') this.#noteDelayed(job.id, 'failed', at);
      // Gone from the queue although retried: skipped with its RESOLVE in the same commit.
      else this.#noteDelayed(job.id, this.#queue.has(job.id) ? 'waiting' : 'skipped', at);
    }
    // ilert took an event for these targets: whatever sleeps out a backoff there goes now.
    for (const target of recovered) this.#queue.pullForward(target, clock.monotonic());
    if (this.#writeFailed) {
      // Writing works again after a failure: anything still marked in flight that this process is
      // not sending is an orphan, and must not hold up its alert's later events.
      try {
        outbox.requeueOrphans(
          this.#queue.inFlightIds().filter((id) => !this.#sending.has(id)),
          clock.now(),
        );
        this.#writeFailed = false;
      } catch (error) {
        this.#options.log.error(`could not requeue orphaned work: ${(error as Error).message}`);
      }
    }
    this.wake();
  }
}
