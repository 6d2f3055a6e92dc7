/**
 * While the processor waits on Level's API nothing changes, so nothing would make a dashboard or
 * the tray read the status again when the lag passes 1 s. The status, once read with deliveries
 * waiting, announces that moment ('processing'); the status read then shows the lag, with a link to
 * the oldest waiting delivery.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi } from '../fakes/fake-level-api.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, startRelay } from '../helpers/relay-harness.ts';
import { waitForEvent } from '../helpers/wait.ts';
import { processed } from '../helpers/parts.ts';

const LEVEL_API_KEY = 'level-api-key-for-lag-announced';
const ilert = await new FakeIlert().start();
const level = await new FakeLevelApi({ apiKey: LEVEL_API_KEY }).start();
const harness = await startRelay({ ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: ilert.url, levelApiUrl: level.url, levelApiKey: LEVEL_API_KEY });
after(async () => {
  await harness.stop();
  await Promise.all([ilert.stop(), level.stop()]);
});

test('a lag passing 1 s while the processor waits for Level is announced, and the status then shows it', async () => {
  const { relay } = harness;
  let announced = false;
  const onChange = (change: { kind: string; topic?: string }) => {
    if (change.kind === 'app' && change.topic === 'processing') announced = true;
  };
  relay.events.on('change', onChange);
  after(() => relay.events.off('change', onChange));
  const lagShown = () => relay.status().diagnoses.find((diagnosis) => diagnosis.id === 'processing-lag');

  const hold = level.holdNext('/devices/dev-hanging');
  const event = alertEvent({ name: 'Hanging look-up' });
  event.data.device_id = 'dev-hanging';
  assert.ok((await harness.sender.deliver(event)).acknowledged);
  await hold.reached;
  // As a dashboard does on the ack's change: it reads the status, too early for any lag.
  assert.equal(lagShown(), undefined);
  // Nothing else happens until the look-up gives up at 2 s: only the announcement makes anyone read it again.
  await waitForEvent(relay.events, 'change', () => announced, 1_900, 'the processing announcement');
  const lag = lagShown();
  assert.ok(lag, 'the status read on the announcement shows the lag');
  assert.match(lag.title, /^Processing is [12] s behind: 1 delivery waiting$/);
  assert.match(lag.detail, /It waits for Level’s API to answer about device dev-hanging\./);
  assert.equal(typeof lag.deliveryId, 'number', 'Health links to the oldest waiting delivery');
  hold.release();
  await processed(relay);
  assert.equal(lagShown(), undefined);
});
