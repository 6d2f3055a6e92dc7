export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  giveUpAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, capMs: 10 * 60_000, giveUpAfterMs: 24 * 60 * 60_000 };

/** Exponential backoff with "equal jitter": between half and all of the doubled delay, capped. */
export function retryDelay(policy: BackoffPolicy, attemptsSoFar: number, random = Math.random): number {
  const exponential = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attemptsSoFar - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}
