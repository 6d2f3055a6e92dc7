/**
 * Two clocks: wall time for what is stored and shown (it may step when NTP or a person sets the
 * clock), and a monotonic one for rate windows and delays, which must not wait an hour because the
 * clock was set back an hour.
 */
export interface Clock {
  /** Wall time, ms since the epoch. */
  now(): number;
  /** Milliseconds from an arbitrary origin that only moves forward. */
  monotonic(): number;
}

export const systemClock: Clock = { now: () => Date.now(), monotonic: () => performance.now() };
