import { postEvent, postLevelBody, keyFingerprint, maskUrlKey, REQUEST_TIMEOUT_MS, type EventsResponse } from '../ilert/events-client.ts';
import type { Outbox, Job, AttemptVerdict } from '../store/outbox.ts';
import type { StoreChange, Store } from '../store/store.ts';
import { retryDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';
import { RateLimiter } from './rate-limiter.ts';

function formatDuration(ms: number): string {
  if (ms >= 3_600_000) return `${Math.round(ms / 3_600_000)} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/**
 * Where a target's events go; undefined while the target is not configured. `pass-through` sends
 * Level's original body to an ilert Level.io alert source instead of an ilert Event.
 */
export type ResolvedTarget = { kind: 'events'; apiUrl: string; integrationKey: string } | { kind: 'pass-through'; url: string };

/** Rate limits are per integration key; a pass-through URL carries its key. */
function targetKey(target: ResolvedTarget): string {
  return target.kind === 'events' ? target.integrationKey : target.url;
}

export interface ForwarderOptions {
  store: Store;
  outbox: Outbox;
  resolveTarget: (target: string) => ResolvedTarget | undefined;
  eventsPerMinute: () => number;
  backoff?: BackoffPolicy;
  /** ilert sends no Retry-After with a 429 and suggests waiting 10–30 s. */
  rateLimitPauseMs?: () => number;
  rateWindowMs?: number;
  requestTimeoutMs?: number;
  maxInFlight?: number;
  now?: () => number;
}

/**
 * Drains the outbox into ilert's Events API: per-key rate limit, retries with backoff and jitter,
 * configuration errors failed at once, every attempt recorded. Woken by new work and by timers.
 */
export class Forwarder {
  readonly #options: Required<Omit<ForwarderOptions, 'backoff'>> & { backoff: BackoffPolicy };
  readonly #limiter: RateLimiter;
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #passScheduled = false;
  #running = false;
  readonly #onChange = (change: StoreChange) => {
    if (change.kind === 'job' && change.status === 'queued') this.wake();
  };

  constructor(options: ForwarderOptions) {
    this.#options = {
      backoff: DEFAULT_BACKOFF,
      rateLimitPauseMs: () => 10_000 + Math.random() * 20_000,
      rateWindowMs: 60_000,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      maxInFlight: 4,
      now: Date.now,
      ...options,
    };
    this.#limiter = new RateLimiter({
      limit: options.eventsPerMinute,
      windowMs: this.#options.rateWindowMs,
      history: (fingerprint, since) => options.outbox.recentSendTimes(fingerprint, since),
    });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#options.outbox.recoverInFlight(this.#options.now());
    this.#options.store.changes.on('change', this.#onChange);
    this.wake();
  }

  /** Stops taking new work and waits for requests already on the wire. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#options.store.changes.off('change', this.#onChange);
    clearTimeout(this.#timer);
    await Promise.all([...this.#inFlight]);
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
    const { outbox, resolveTarget, maxInFlight, now: clock } = this.#options;
    const now = clock();
    // Work due now but not taken is woken by an attempt finishing, a rate-limit slot freeing or a
    // settings change; the timer only needs the next job that is not due yet.
    let wakeAt = outbox.nextDueAfter(now);
    try {
      for (const targetName of outbox.dueTargets(now)) {
        const target = resolveTarget(targetName);
        if (!target) continue; // not configured: the work waits, nothing is lost
        const fingerprint = keyFingerprint(targetKey(target));
        const capacity = Math.min(maxInFlight - this.#inFlight.size, this.#limiter.available(fingerprint, now));
        if (capacity <= 0) {
          const freeAt = this.#inFlight.size >= maxInFlight ? undefined : this.#limiter.nextFreeAt(fingerprint, now);
          if (freeAt !== undefined && Number.isFinite(freeAt)) wakeAt = Math.min(wakeAt ?? freeAt, freeAt);
          continue;
        }
        for (const job of outbox.claimDue(targetName, now, capacity)) {
          const completed = this.#limiter.take(fingerprint, now);
          const sending = this.#send(job, target, fingerprint, completed).finally(() => {
            this.#inFlight.delete(sending);
            this.wake();
          });
          this.#inFlight.add(sending);
        }
      }
    } catch (error) {
      // The store is closing or failing; the next wake (or restart) picks the work up again.
      if (!this.#options.store.closed) console.error(`forwarder: ${(error as Error).message}`);
    }
    this.#schedule(wakeAt, now);
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
      const why = job.eventType === 'ACCEPT' ? 'ilert’s Level.io source takes only Level’s own events: accept the alert in ilert' : 'the original Level body is no longer stored';
      return { url: maskUrlKey(target.url), requestBody: '', statusCode: null, responseBody: null, error: `cannot pass through: ${why}`, latencyMs: 0, kind: 'config-error', maybeDelivered: false };
    }
    return postLevelBody(target.url, body, timeoutMs);
  }

  async #send(job: Job, target: ResolvedTarget, fingerprint: string, completed: (at: number) => void): Promise<void> {
    const { now: clock, backoff, requestTimeoutMs, outbox } = this.#options;
    const startedAt = clock();
    const response = await this.#post(job, target, requestTimeoutMs);
    const finishedAt = clock();
    completed(finishedAt);
    if (response.kind === 'rate-limited') this.#limiter.block(fingerprint, finishedAt + this.#options.rateLimitPauseMs());
    const firstAttemptAt = job.firstAttemptAt ?? startedAt;
    let verdict: AttemptVerdict;
    if (response.kind === 'delivered') verdict = { kind: 'delivered' };
    else if (response.kind === 'config-error') verdict = { kind: 'failed', reason: response.error ?? 'ilert refused the event' };
    else if (finishedAt - firstAttemptAt >= backoff.giveUpAfterMs) {
      verdict = { kind: 'failed', reason: `gave up after ${formatDuration(backoff.giveUpAfterMs)} of retries: ${response.error}` };
    } else {
      const at = finishedAt + retryDelay(backoff, job.attempts + 1);
      verdict = { kind: 'retry', at, maybeDelivered: response.maybeDelivered, reason: response.error ?? 'retrying' };
    }
    if (this.#options.store.closed) return;
    try {
      outbox.complete(
        job,
        {
          startedAt,
          latencyMs: response.latencyMs,
          url: response.url,
          keyFingerprint: fingerprint,
          requestBody: response.requestBody,
          statusCode: response.statusCode,
          error: response.error,
          responseBody: response.responseBody,
          manual: job.manual,
        },
        verdict,
      );
    } catch (error) {
      // Left in flight: recovered as "outcome unknown" on the next start.
      console.error(`forwarder: could not record the attempt for job ${job.id}: ${(error as Error).message}`);
    }
  }
}
