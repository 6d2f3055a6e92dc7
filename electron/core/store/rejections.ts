import { createHash } from 'node:crypto';
import type { Statements } from './database.ts';
import type { InboundDelivery } from './inbound-delivery.ts';

/**
 * Anyone who can reach the public URL can be rejected, without any secret, so what a rejection
 * leaves behind is bounded: a request that did not prove it comes from Level keeps its size, a
 * hash and its first bytes, never its whole body; and all rejected requests together keep at most
 * `maxRows` rows and `maxBytes` bytes. Past that the oldest are dropped, strangers' first, and
 * counted, so a flood can neither fill the disk nor push out what the Health page needs.
 */
export interface RejectionLimits {
  maxRows: number;
  maxBytes: number;
  prefixBytes: number;
}

export const REJECTION_LIMITS: RejectionLimits = { maxRows: 5000, maxBytes: 16 * 1024 * 1024, prefixBytes: 256 };

/** Verdicts that prove the sender knows a secret: their bodies are kept whole, so they can be re-run. */
const AUTHENTICATED: ReadonlySet<InboundDelivery['signature']> = new Set(['valid', 'valid-previous', 'shared-secret']);

export interface RejectionTrace {
  body: Uint8Array | undefined;
  /** Set when `body` is only the first bytes. */
  sha256: string | undefined;
}

export function rejectionTrace(delivery: InboundDelivery, limits: RejectionLimits): RejectionTrace {
  const body = delivery.body;
  if (!body || AUTHENTICATED.has(delivery.signature)) return { body, sha256: undefined };
  return { body: body.subarray(0, limits.prefixBytes), sha256: createHash('sha256').update(body).digest('hex') };
}

export interface RejectionBudget {
  kept: number;
  keptBytes: number;
  dropped: number;
  droppedSince: number | undefined;
  lastDroppedAt: number | undefined;
}

export function readRejectionBudget(sql: Statements): RejectionBudget {
  const row = sql.get('SELECT kept, kept_bytes, dropped, dropped_since, last_dropped_at FROM rejection_budget WHERE id = 1').get() as
    { kept: number; kept_bytes: number; dropped: number; dropped_since: number | null; last_dropped_at: number | null } | undefined;
  if (!row) return { kept: 0, keptBytes: 0, dropped: 0, droppedSince: undefined, lastDroppedAt: undefined };
  return { kept: row.kept, keptBytes: row.kept_bytes, dropped: row.dropped, droppedSince: row.dropped_since ?? undefined, lastDroppedAt: row.last_dropped_at ?? undefined };
}

/** Drops the oldest rejected deliveries until the budget holds; runs inside the caller's transaction. */
export function enforceRejectionBudget(sql: Statements, limits: RejectionLimits, now: number): number[] {
  const dropped: number[] = [];
  let budget = readRejectionBudget(sql);
  while (budget.kept > limits.maxRows || budget.keptBytes > limits.maxBytes) {
    const oldest = (sql.get(`SELECT id FROM deliveries WHERE outcome = 'rejected' AND signature NOT IN ('valid', 'valid-previous', 'shared-secret') ORDER BY id LIMIT 1`).get() ??
      sql.get(`SELECT id FROM deliveries WHERE outcome = 'rejected' ORDER BY id LIMIT 1`).get()) as { id: number } | undefined;
    if (!oldest) break;
    sql.get('DELETE FROM deliveries WHERE id = ?').run(oldest.id);
    sql.get('UPDATE rejection_budget SET dropped = dropped + 1, dropped_since = coalesce(dropped_since, ?), last_dropped_at = ? WHERE id = 1').run(now, now);
    dropped.push(oldest.id);
    budget = readRejectionBudget(sql);
  }
  return dropped;
}
