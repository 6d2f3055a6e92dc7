import { SQL } from './private.ts';
import type { Store } from './store.ts';

/** What the setup wizard's end-to-end test looks for while it waits for each hop. */
export interface TestDelivery {
  outcome: string;
  status_code: number;
  reason: string | null;
  signature: string;
  path: string;
}

export interface TestJob {
  status: string;
  reason: string | null;
  last_status_code: number | null;
  last_error: string | null;
  attempts: number;
}

/** The first alert Level itself sent since `since`: a real alert raised for the test. */
export function firstLevelAlertSince(store: Store, since: number): string | undefined {
  const row = store[SQL].get(`SELECT level_alert_id FROM deliveries WHERE source = 'webhook' AND event_type = 'alert_active' AND received_at >= ? ORDER BY id LIMIT 1`).get(
    since,
  ) as { level_alert_id: string } | undefined;
  return row?.level_alert_id;
}

/**
 * The newest delivery of the test alert's `eventType`; a delivery refused for its signature has
 * no parsed alert id, so the newest such refusal since the test began stands in for it.
 */
export function testDelivery(store: Store, levelAlertId: string, eventType: string, testStartedAt: number | undefined): TestDelivery | undefined {
  const columns = 'outcome, status_code, reason, signature, path';
  const own = store[SQL].get(`SELECT ${columns} FROM deliveries WHERE level_alert_id = ? AND event_type = ? ORDER BY id DESC LIMIT 1`).get(levelAlertId, eventType);
  if (own || testStartedAt === undefined) return own as TestDelivery | undefined;
  return store[SQL].get(
    `SELECT ${columns} FROM deliveries WHERE outcome = 'rejected' AND status_code = 401 AND received_at >= ? AND (event_type = ? OR event_type IS NULL) ORDER BY id DESC LIMIT 1`,
  ).get(testStartedAt, eventType) as TestDelivery | undefined;
}

export function lastJobOf(store: Store, levelAlertId: string, eventType: 'ALERT' | 'RESOLVE'): TestJob | undefined {
  return store[SQL].get(`SELECT status, reason, last_status_code, last_error, attempts FROM outbox WHERE level_alert_id = ? AND event_type = ? ORDER BY id DESC LIMIT 1`).get(
    levelAlertId,
    eventType,
  ) as TestJob | undefined;
}
