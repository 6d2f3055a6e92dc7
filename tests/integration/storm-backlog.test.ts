import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { startRelay, INTEGRATION_KEY, FAST_TUNING } from '../helpers/relay-harness.ts';
import { waitForEvent } from '../helpers/wait.ts';

const ilert = await new FakeIlert().start();
// Two events a minute: the third alert of a burst has to wait for ilert's rate limit.
const harness = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY, ilertEventsPerMinute: 2 }, FAST_TUNING);
after(async () => {
  await harness.stop();
  await ilert.stop();
});

test('in a burst beyond the rate limit, status says the queue waits for it and how long it takes to drain', async () => {
  const { relay } = harness;
  for (let index = 0; index < 5; index++) await harness.sender.deliver(alertEvent({ severity: 'warning' }));
  await ilert.waitFor(() => ilert.events.length === 2, 5000, 'the two events the limit allows');

  const backlog = await waitForEvent(relay.events as EventEmitter, 'change', () => relay.status().backlog?.find((row) => row.rateLimited), 5000, 'the rate limit to be reported');
  assert.deepEqual(backlog, { target: 'default', waiting: 3, perMinute: 2, drainMs: 90_000, rateLimited: true });
  assert.equal(ilert.events.length, 2, 'nothing more was sent while the limit holds');
});
