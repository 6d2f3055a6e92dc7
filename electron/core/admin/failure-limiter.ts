/** What one failed authentication amounted to, for the audit: the first of a window, a lock-out, or neither. */
export type FailureOutcome = 'first' | 'counted' | 'locked-out';

/**
 * Slows down guessing: an address with more than `limit` failed authentications within a window
 * is refused (429) for `blockMs` — but only for attempts that fail: a valid token or pairing code
 * always passes, so one careless script behind a NAT or proxy cannot lock out a whole team.
 * Tokens (256 bits) and pairing codes (79 bits) are out of reach of guessing at any rate, so the
 * limit is about what strangers cost, not what they could guess. Memory stays bounded however
 * many addresses try.
 */
export class FailureLimiter {
  readonly limit: number;
  readonly windowMs: number;
  readonly blockMs: number;
  readonly #maxAddresses: number;
  readonly #failures = new Map<string, number[]>();
  readonly #blockedUntil = new Map<string, number>();

  constructor(options: { limit?: number; windowMs?: number; blockMs?: number; maxAddresses?: number } = {}) {
    this.limit = options.limit ?? 20;
    this.windowMs = options.windowMs ?? 60_000;
    this.blockMs = options.blockMs ?? 60_000;
    this.#maxAddresses = options.maxAddresses ?? 10_000;
  }

  /** Milliseconds until a failing attempt from `address` is counted again rather than refused, or 0. */
  blockedFor(address: string, now = Date.now()): number {
    const until = this.#blockedUntil.get(address);
    if (until === undefined) return 0;
    if (until > now) return until - now;
    this.#blockedUntil.delete(address);
    return 0;
  }

  fail(address: string, now = Date.now()): FailureOutcome {
    const recent = (this.#failures.get(address) ?? []).filter((at) => at > now - this.windowMs);
    recent.push(now);
    this.#failures.delete(address);
    if (recent.length > this.limit) {
      this.#blockedUntil.delete(address);
      this.#blockedUntil.set(address, now + this.blockMs);
      return 'locked-out';
    }
    this.#failures.set(address, recent);
    // Maps iterate in insertion order, and an address is re-inserted on each failure: the first is the stalest.
    for (const map of [this.#failures, this.#blockedUntil] as Map<string, unknown>[]) {
      while (map.size > this.#maxAddresses) map.delete(map.keys().next().value!);
    }
    return recent.length === 1 ? 'first' : 'counted';
  }
}

/**
 * Failed sign-ins leave a trace in the audit without letting strangers fill it: at most one row per
 * address per window (its first failure) plus one per lock-out, and at most `rowsPerWindow` such
 * rows in all per window, however many addresses try; what is left out is counted in the next row.
 */
export class FailureAuditBudget {
  readonly #rowsPerWindow: number;
  readonly #windowMs: number;
  #windowStart = 0;
  #rows = 0;
  #leftOut = 0;

  constructor(rowsPerWindow = 30, windowMs = 60_000) {
    this.#rowsPerWindow = rowsPerWindow;
    this.#windowMs = windowMs;
  }

  /** Whether a row may be written now, and how many were left out since the last one. */
  take(now = Date.now()): { ok: true; leftOut: number } | { ok: false } {
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now;
      this.#rows = 0;
    }
    if (this.#rows >= this.#rowsPerWindow) {
      this.#leftOut++;
      return { ok: false };
    }
    this.#rows++;
    const leftOut = this.#leftOut;
    this.#leftOut = 0;
    return { ok: true, leftOut };
  }
}
