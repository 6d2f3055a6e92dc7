import { deliveryParams, type DeliveryDescription } from './alert-ledger.ts';
import type { InboundDelivery, DeliverySource } from './inbound-delivery.ts';
import type { AppendRow } from './append-thread.ts';
import { Repository } from './store.ts';
import { SQL } from './private.ts';

/** What the ack knows of an event once it has read it: enough to deduplicate it and to list it at once. */
export interface AckedEvent {
  eventId: string;
  eventType: string;
  occurredAt: string;
  claimedOccurredAt: string | undefined;
  resourceId: string;
  note: string | undefined;
  described: DeliveryDescription;
}

/** A delivery acknowledged and not yet applied, as the processor reads it back. */
export interface LoggedDelivery {
  id: number;
  source: DeliverySource;
  path: string;
  receivedAt: number;
  /** The received_at of the delivery it re-runs, if any (a re-run keeps its original's arrival). */
  firstArrivedAt: number;
  contentType: string | undefined;
  body: Uint8Array;
}

/**
 * The ack's one write (Store.append): the delivery, with its body, as outcome 'received' and its
 * event id in `events` (the dedup key); or, when that event id was received before, the delivery as
 * a duplicate.
 */
export function inboundRow(delivery: InboundDelivery, event: AckedEvent): AppendRow {
  const verdict = { eventId: event.eventId, eventType: event.eventType };
  return {
    eventId: event.eventId,
    received: deliveryParams(delivery, { statusCode: 202, outcome: 'received', reason: event.note, ...verdict }, event.described),
    duplicate: deliveryParams(delivery, { statusCode: 200, outcome: 'duplicate', reason: 'event_id already received', ...verdict }, event.described),
    body: delivery.body,
    event: [event.eventType, event.occurredAt, event.claimedOccurredAt ?? null, event.resourceId, delivery.receivedAt],
  };
}

export type Settled = { outcome: 'accepted' | 'failed' | 'duplicate' | 'rejected'; reason: string | undefined };

/**
 * The inbound log: every accepted delivery is a row in `deliveries` whose outcome is 'received'
 * from its acknowledgement until the processor has applied it. The ack appends; the processor
 * reads the tail in id order (a partial index holds only that tail) and settles each row in the
 * same transaction as its effects, so the outcome column is how far processing got.
 */
export class InboundLog extends Repository {
  /**
   * The oldest deliveries still to apply, in the order they were acknowledged: at most `limit`, and
   * bodies of at most `maxBytes` together (always at least one), so a run of 1 MiB bodies cannot
   * fill the memory. Their ids are read first, without the bodies.
   */
  unprocessed(limit: number, maxBytes: number): LoggedDelivery[] {
    const sql = this.store[SQL];
    const heads = sql.get(`SELECT id, body_size FROM deliveries INDEXED BY deliveries_unprocessed WHERE outcome = 'received' ORDER BY id LIMIT ?`).all(limit) as {
      id: number;
      body_size: number;
    }[];
    if (heads.length === 0) return [];
    let last = heads[0]!.id;
    let bytes = 0;
    for (const head of heads) {
      bytes += head.body_size;
      if (bytes > maxBytes && head !== heads[0]) break;
      last = head.id;
    }
    const rows = sql
      .get(
        `SELECT d.id, d.source, d.path, d.received_at, coalesce(o.received_at, d.received_at) AS first_arrived_at,
           json_extract(d.headers, '$."content-type"') AS content_type, b.body
         FROM deliveries d INDEXED BY deliveries_unprocessed
           LEFT JOIN delivery_bodies b ON b.delivery_id = d.id
           LEFT JOIN deliveries o ON o.id = d.rerun_of
         WHERE d.outcome = 'received' AND d.id <= ? ORDER BY d.id`,
      )
      .all(last) as { id: number; source: DeliverySource; path: string; received_at: number; first_arrived_at: number; content_type: string | null; body: Uint8Array | null }[];
    return rows.map((row) => ({
      id: row.id,
      source: row.source,
      path: row.path,
      receivedAt: row.received_at,
      firstArrivedAt: row.first_arrived_at,
      contentType: row.content_type ?? undefined,
      body: row.body ?? new Uint8Array(),
    }));
  }

  /**
   * Records the outcome of applying a delivery; inside the transaction that applied it. A failed
   * one gives its event id back, so a re-run once the cause is fixed is applied, not a duplicate.
   */
  settle(id: number, outcome: 'accepted' | 'failed', reason: string | undefined): void {
    const sql = this.store[SQL];
    sql.get(`UPDATE deliveries SET outcome = ?, reason = ? WHERE id = ? AND outcome = 'received'`).run(outcome, reason ?? null, id);
    if (outcome === 'failed') sql.get(`DELETE FROM events WHERE event_id = (SELECT event_id FROM deliveries WHERE id = ?) AND delivery_id = ?`).run(id, id);
    this.store.collect({ kind: 'delivery', id });
  }

  /** Where a delivery stands: undefined while it waits to be applied (or when there is no such delivery). */
  settled(id: number): Settled | undefined {
    const row = this.store[SQL].get(`SELECT outcome, reason FROM deliveries WHERE id = ?`).get(id) as { outcome: string; reason: string | null } | undefined;
    if (!row || row.outcome === 'received') return undefined;
    return { outcome: row.outcome as Settled['outcome'], reason: row.reason ?? undefined };
  }

  /** The oldest delivery still to apply: how far processing lags behind. */
  oldestUnprocessed(): { id: number; receivedAt: number } | undefined {
    const row = this.store[SQL].get(`SELECT id, received_at FROM deliveries INDEXED BY deliveries_unprocessed WHERE outcome = 'received' ORDER BY id LIMIT 1`).get() as
      { id: number; received_at: number } | undefined;
    return row && { id: row.id, receivedAt: row.received_at };
  }
}
