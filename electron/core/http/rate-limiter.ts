/**
 * A rolling-window limit per key: at most `limit()` sends in any `windowMs`. ilert counts in fixed
 * one-minute windows; staying under a rolling window keeps every fixed window under the limit too.
 *
 * A send counts from the moment it is taken until `windowMs` after its answer came back: ilert saw
 * it somewhere in between, so however the network delays requests, no two sends that ilert counts
 * in one window can be more than the limit. A key can also be blocked outright for a while (after
 * a 429, which carries no Retry-After).
 *
 * The forwarder schedules its own passes with nextFreeAt; callers that simply wait (the ilert REST
 * client) use acquire.
 */
export class RateLimiter {
  /** Per key, ascending: completion times, then Infinity for each send still in flight. */
  readonly #sent = new Map<string, number[]>();
  readonly #blockedUntil = new Map<string, number>();
  readonly #limit: () => number;
  readonly #windowMs: number;
  readonly #history: (key: string, since: number) => number[];
  /** Per key: the queue of callers waiting in acquire, and how to wake the first one early. */
  readonly #turns = new Map<string, Promise<unknown>>();
  readonly #wake = new Map<string, () => void>();

  constructor(options: { limit: () => number; windowMs?: number; history?: (key: string, since: number) => number[] }) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#history = options.history ?? (() => []);
  }

  #window(key: string, now: number): number[] {
    let sent = this.#sent.get(key);
    if (!sent) {
      sent = this.#history(key, now - this.#windowMs).sort((a, b) => a - b);
      this.#sent.set(key, sent);
    }
    while (sent.length > 0 && sent[0]! <= now - this.#windowMs) sent.shift();
    return sent;
  }

  available(key: string, now: number): number {
    if ((this.#blockedUntil.get(key) ?? 0) > now) return 0;
    return Math.max(0, this.#limit() - this.#window(key, now).length);
  }

  /** Takes a slot; call the returned function with the time the answer (or error) came back. */
  take(key: string, now: number): (completedAt: number) => void {
    const sent = this.#window(key, now);
    sent.push(Infinity);
    return (completedAt) => {
      const index = sent.indexOf(Infinity);
      if (index === -1) return;
      sent.splice(index, 1);
      const at = sent.findIndex((time) => time > completedAt);
      sent.splice(at === -1 ? sent.length : at, 0, completedAt);
    };
  }

  block(key: string, until: number): void {
    this.#blockedUntil.set(key, Math.max(until, this.#blockedUntil.get(key) ?? 0));
  }

  /** When the next send for `key` may go (Infinity: when a send in flight completes). */
  nextFreeAt(key: string, now: number): number {
    const blocked = this.#blockedUntil.get(key) ?? 0;
    if (blocked > now) return blocked;
    const sent = this.#window(key, now);
    const excess = sent.length - this.#limit();
    if (excess < 0) return now;
    return sent[excess]! + this.#windowMs;
  }

  /** Waits for a slot (first come, first served); resolves with the function to call when the answer came. */
  acquire(key: string, now: () => number): Promise<() => void> {
    const slot = (this.#turns.get(key) ?? Promise.resolve()).then(() => this.#waitAndTake(key, now));
    this.#turns.set(
      key,
      slot.catch(() => undefined),
    );
    return slot;
  }

  async #waitAndTake(key: string, now: () => number): Promise<() => void> {
    for (let time = now(); ; time = now()) {
      const freeAt = this.nextFreeAt(key, time);
      if (freeAt <= time) {
        const complete = this.take(key, time);
        return () => {
          complete(now());
          this.#wake.get(key)?.();
        };
      }
      // Infinity: every slot is in flight, so only an answer (a call of `complete`) can free one.
      await new Promise<void>((resolve) => {
        const timer = Number.isFinite(freeAt) ? setTimeout(done, Math.max(1, freeAt - time)) : undefined;
        const wake = this.#wake;
        function done(): void {
          clearTimeout(timer);
          wake.delete(key);
          resolve();
        }
        wake.set(key, done);
      });
    }
  }
}
