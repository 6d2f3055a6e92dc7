/**
 * Slows down guessing: an address with more than `limit` failed authentications within a window
 * is refused (429) for `blockMs`. Memory stays bounded however many addresses try.
 */
export class FailureLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #blockMs: number;
  readonly #maxAddresses: number;
  readonly #failures = new Map<string, number[]>();
  readonly #blockedUntil = new Map<string, number>();

  constructor(options: { limit?: number; windowMs?: number; blockMs?: number; maxAddresses?: number } = {}) {
    this.#limit = options.limit ?? 20;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#blockMs = options.blockMs ?? 60_000;
    this.#maxAddresses = options.maxAddresses ?? 10_000;
  }

  /** Milliseconds until `address` may try again, or 0. */
  blockedFor(address: string, now = Date.now()): number {
    const until = this.#blockedUntil.get(address);
    if (until === undefined) return 0;
    if (until > now) return until - now;
    this.#blockedUntil.delete(address);
    return 0;
  }

  fail(address: string, now = Date.now()): void {
    const recent = (this.#failures.get(address) ?? []).filter((at) => at > now - this.#windowMs);
    recent.push(now);
    this.#failures.delete(address);
    if (recent.length > this.#limit) {
      this.#blockedUntil.delete(address);
      this.#blockedUntil.set(address, now + this.#blockMs);
      return;
    }
    this.#failures.set(address, recent);
    // Maps iterate in insertion order, and an address is re-inserted on each failure: the first is the stalest.
    for (const map of [this.#failures, this.#blockedUntil] as Map<string, unknown>[]) {
      while (map.size > this.#maxAddresses) map.delete(map.keys().next().value!);
    }
  }
}
