import { randomUUID } from 'node:crypto';
import type { Store } from '../../electron/core/store/store.ts';
import type { Appended } from '../../electron/core/store/append-thread.ts';
import { inboundRow } from '../../electron/core/store/inbound-log.ts';
import { webhookDelivery } from './relay-harness.ts';

/** Appends a signed delivery with `body` to the inbound log as the ack path does (an alert_active event, already read). */
export function appendAcked(store: Store, body: Buffer, eventId: string = randomUUID()): Promise<Appended> {
  return store.append(
    inboundRow(webhookDelivery(body, 'valid'), {
      eventId,
      eventType: 'alert_active',
      occurredAt: new Date().toISOString(),
      claimedOccurredAt: undefined,
      resourceId: eventId,
      note: undefined,
      described: {},
    }),
  );
}
