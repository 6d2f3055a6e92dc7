import { EventEmitter } from 'node:events';

/** How long after its last failed commit the store still counts as failing: longer than a heartbeat interval. */
export const FAILURE_HOLD_MS = 2 * 60_000;

export interface StoreFailure {
  at: number;
  reason: string;
}

/** What happened to the store's files behind its back, for Health: kept until the relay restarts. */
export interface StoreDamage {
  /** When the WAL was found deleted, and when a new one was in place again. */
  walDeleted?: { at: number; restoredAt?: number };
  /** The background integrity check: when it finished and what it found ([] when sound). */
  integrity?: { at: number; problems: string[] };
}

/**
 * Whether the store can write, kept in memory so that /healthz, the heartbeat and the tray can
 * ask without touching a database that may be locked or on a full disk. The store reports every
 * commit to it. A failure counts until a later commit succeeds and a quiet hold has passed, so a
 * store that fails on and off never looks healthy to ilert's heartbeat.
 */
export class StoreHealth extends EventEmitter<{ change: [] }> {
  #lastFailure: StoreFailure | undefined;
  #lastSuccessAt = 0;
  #holdMs: number;
  readonly damage: StoreDamage = {};

  constructor(holdMs = FAILURE_HOLD_MS) {
    super();
    this.#holdMs = holdMs;
  }

  committed(now = Date.now()): void {
    const wasFailing = this.failingNow;
    this.#lastSuccessAt = now;
    if (wasFailing) this.emit('change');
  }

  failed(error: unknown, now = Date.now()): void {
    const wasFailing = this.failingNow;
    this.#lastFailure = { at: now, reason: plainReason(error) };
    if (!wasFailing) this.emit('change');
  }

  walDeleted(now = Date.now()): void {
    this.damage.walDeleted = { at: now };
    this.emit('change');
  }

  walRestored(now = Date.now()): void {
    if (this.damage.walDeleted) this.damage.walDeleted.restoredAt = now;
    this.emit('change');
  }

  checked(problems: string[], now = Date.now()): void {
    this.damage.integrity = { at: now, problems };
    this.emit('change');
  }

  /** The last commit failed: nothing has been written since. */
  get failingNow(): boolean {
    return this.#lastFailure !== undefined && this.#lastFailure.at >= this.#lastSuccessAt;
  }

  /** undefined when the store writes; otherwise why it cannot, for the heartbeat, /healthz and Health. */
  problem(now = Date.now()): string | undefined {
    const failure = this.#lastFailure;
    if (!failure) return undefined;
    if (this.failingNow) return `cannot write to the database: ${failure.reason}`;
    if (now - failure.at < this.#holdMs) return `could not write to the database ${Math.round((now - failure.at) / 1000)} s ago: ${failure.reason}`;
    return undefined;
  }
}

/** "the store could not commit: database or disk is full" → "database or disk is full". */
function plainReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^the store could not (commit|write): /, '');
}
