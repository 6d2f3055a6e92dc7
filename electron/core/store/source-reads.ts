import { SQL } from './private.ts';
import type { Store } from './store.ts';

/** What a source's "Send a test" follows: the ilert job its test event made, by the event's id. */
export interface SourceTestJob {
  status: string;
  target: string;
  reason: string | null;
  held_reason: string | null;
  last_status_code: number | null;
  last_error: string | null;
}

/** The newest ilert job of the delivery that stored `eventId` (both looked up by key or index). */
export function jobOfEvent(store: Store, eventId: string): SourceTestJob | undefined {
  return store[SQL].get(
    `SELECT o.status, o.target, o.reason, o.held_reason, o.last_status_code, o.last_error
         FROM events e JOIN outbox o ON o.delivery_id = e.delivery_id WHERE e.event_id = ? ORDER BY o.id DESC LIMIT 1`,
  ).get(eventId) as SourceTestJob | undefined;
}

/** A stored body by its delivery's id (the facts name the last one per source); undefined once retention removed it. */
export function deliveryBody(store: Store, deliveryId: number): Uint8Array | undefined {
  const row = store[SQL].get('SELECT body FROM delivery_bodies WHERE delivery_id = ?').get(deliveryId) as { body: Uint8Array } | undefined;
  return row?.body;
}
