/**
 * A rolling-window limit per key: at most `limit()` sends in any `windowMs`. ilert counts in fixed
 * one-minute windows; staying under a rolling window keeps every fixed window under the limit too.
 * A key can also be blocked outright for a while (after a 429, which carries no Retry-After).
 * The window is kept 5% longer than ilert's so that network jitter cannot push a send into the
 * previous window as ilert sees it.
 */
export class RateLimiter {
  readonly #sent = new Map<string, number[]>();
  readonly #blockedUntil = new Map<string, number>();
  readonly #limit: () => number;
  readonly #windowMs: number;
  readonly #history: (key: string, since: number) => number[];

  constructor(options: { limit: () => number; windowMs?: number; history?: (key: string, since: number) => number[] }) {
    this.#limit = options.limit;
    this.#windowMs = Math.round((options.windowMs ?? 60_000) * 1.05);
    this.#history = options.history ?? (() => []);
  }

  #window(key: string, now: number): number[] {
    let sent = this.#sent.get(key);
    if (!sent) {
      sent = this.#history(key, now - this.#windowMs);
      this.#sent.set(key, sent);
    }
    while (sent.length > 0 && sent[0]! <= now - this.#windowMs) sent.shift();
    return sent;
  }

  available(key: string, now: number): number {
    if ((this.#blockedUntil.get(key) ?? 0) > now) return 0;
    return Math.max(0, this.#limit() - this.#window(key, now).length);
  }

  take(key: string, now: number): void {
    this.#window(key, now).push(now);
  }

  block(key: string, until: number): void {
    this.#blockedUntil.set(key, Math.max(until, this.#blockedUntil.get(key) ?? 0));
  }

  /** When the next send for `key` may go, if it cannot go now. */
  nextFreeAt(key: string, now: number): number {
    const blocked = this.#blockedUntil.get(key) ?? 0;
    if (blocked > now) return blocked;
    const sent = this.#window(key, now);
    const excess = sent.length - this.#limit();
    if (excess < 0) return now;
    return sent[excess]! + this.#windowMs;
  }
}
