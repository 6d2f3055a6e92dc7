import { readRejectionBudget, type RejectionBudget } from './rejections.ts';
import type { Store } from './store.ts';
import { SQL } from './private.ts';

/** The few indexed look-ups the diagnoses make beside the trigger-kept facts. */

/** Paths that got a 404 since `since`, most requested first (a small table of its own, see schema 3). */
export function wrongPaths(store: Store, since: number): { path: string; n: number }[] {
  return store[SQL].get(`SELECT path, n FROM wrong_paths WHERE last_at >= ? ORDER BY n DESC LIMIT 3`).all(since) as { path: string; n: number }[];
}

/** Active alerts first seen before `before` (automations aside), counted through the partial index and only up to a thousand. */
export function oldActiveAlerts(store: Store, before: number): number {
  const row = store[SQL].get(
    `SELECT count(*) AS n FROM (SELECT 1 FROM alerts INDEXED BY alerts_active_since WHERE state = 'active' AND first_seen_at < ? AND level_alert_id NOT LIKE 'automation:%' LIMIT 1000)`,
  ).get(before) as { n: number };
  return row.n;
}

/**
 * Deliveries the processor could not apply since `since` that no later delivery of the same event
 * has taken back: a failed delivery gives its event id back, so an `events` row for it means a
 * re-run, a replay or Level's own retry was received since. At most a thousand are counted.
 */
export function unappliedFailures(store: Store, since: number): { n: number; lastId: number } | undefined {
  const row = store[SQL].get(
    `SELECT count(*) AS n, max(id) AS last_id FROM (
       SELECT d.id FROM deliveries d INDEXED BY deliveries_failed
       WHERE d.outcome = 'failed' AND d.received_at >= ? AND NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = d.event_id)
       LIMIT 1000)`,
  ).get(since) as { n: number; last_id: number | null };
  return row.n > 0 ? { n: row.n, lastId: row.last_id! } : undefined;
}

/** Attempts ilert answered 429 since `since`. */
export function rateLimitedAttempts(store: Store, since: number): number {
  return (store[SQL].get(`SELECT count(*) AS n FROM attempts WHERE status_code = 429 AND started_at >= ?`).get(since) as { n: number }).n;
}

export function rejectionBudget(store: Store): RejectionBudget {
  return readRejectionBudget(store[SQL]);
}
