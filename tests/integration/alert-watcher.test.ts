import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { startRelay, FAST_TUNING, INTEGRATION_KEY } from '../helpers/relay-harness.ts';
import { waitForEvent, waitForChange, jobsFor } from '../helpers/wait.ts';

const ilert = await new FakeIlert().start();
after(() => ilert.stop());

test('store changes become "new alert", "resolved" and "gave up" events, once each', async (t) => {
  const existing = alertEvent();
  const harness = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY }, { ...FAST_TUNING, changeBatchMs: 10 });
  t.after(async () => {
    ilert.mode = { kind: 'ok' };
    await harness.stop();
  });
  await harness.sender.deliver(existing);
  const seen: string[] = [];
  harness.relay.events.on('notable', (events) => {
    for (const event of events) seen.push(event.kind === 'gave-up' ? `gave-up:${event.reason}` : `${event.kind}:${event.alert.levelAlertId}`);
  });
  const fresh = alertEvent();
  await harness.sender.deliver(fresh);
  await harness.sender.deliver(alertEvent({ eventType: 'alert_active', alertId: existing.data.id }));
  await harness.sender.deliver(alertEvent({ eventType: 'alert_resolved', alertId: fresh.data.id, occurredAt: new Date(Date.now() + 1000).toISOString() }));
  await waitForChange(harness.relay, () => harness.relay.status().queueDepth === 0, 5000, 'the queue to drain');
  ilert.mode = { kind: 'status', status: 400, body: JSON.stringify({ message: 'bad event' }) };
  const doomed = alertEvent();
  await harness.sender.deliver(doomed);
  await waitForChange(harness.relay, () => jobsFor(harness.relay, `level-alert-${doomed.data.id}`)[0]?.status === 'failed');
  await waitForEvent(harness.relay.events as EventEmitter, 'notable', () => seen.some((entry) => entry.startsWith('gave-up')), 5000, 'the gave-up event');
  assert.deepEqual(
    seen.filter((entry) => entry.startsWith('alert:')),
    [`alert:${fresh.data.id}`, `alert:${doomed.data.id}`],
    'an alert active before start is not announced again',
  );
  assert.ok(seen.includes(`resolved:${fresh.data.id}`));
  assert.deepEqual(
    seen.filter((entry) => entry.startsWith('gave-up')),
    ['gave-up:ilert answered 400: bad event'],
  );
});
