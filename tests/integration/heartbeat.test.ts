import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { startRelay, FAST_TUNING, INTEGRATION_KEY } from '../helpers/relay-harness.ts';
import { inspect } from '../helpers/inspect.ts';
import { runNow } from '../helpers/parts.ts';

const ilert = await new FakeIlert().start();
after(() => ilert.stop());
const pings = (key: string) => ilert.pings.get(key)?.length ?? 0;

test('while healthy the relay pings the ilert heartbeat; stopped, it falls silent so ilert pages someone', async () => {
  const key = 'il1hbt-healthy';
  const harness = await startRelay({ ilertHeartbeatUrl: `${ilert.url}/api/pings/${key}` }, { ...FAST_TUNING, heartbeatIntervalMs: 40 });
  await ilert.waitFor(() => pings(key) >= 3, 5000, 'three heartbeat pings');
  const status = harness.relay.status().heartbeat!;
  assert.equal(status.configured, true);
  assert.equal(status.lastStatusCode, 202);
  await harness.stop();
  const afterStop = pings(key);
  const other = await startRelay({ ilertHeartbeatUrl: `${ilert.url}/api/pings/il1hbt-clock` }, { ...FAST_TUNING, heartbeatIntervalMs: 40 });
  await ilert.waitFor(() => pings('il1hbt-clock') >= 3, 5000, 'another relay’s pings, as a clock');
  await other.stop();
  assert.equal(pings(key), afterStop, 'no ping after the relay stopped');
});

test('when forwarding is stuck the heartbeat is withheld and says why', async (t) => {
  const key = 'il1hbt-stuck';
  const harness = await startRelay(
    { ilertHeartbeatUrl: `${ilert.url}/api/pings/${key}`, ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY },
    { ...FAST_TUNING, heartbeatIntervalMs: 1_000_000 },
  );
  t.after(() => harness.stop());
  await ilert.waitFor(() => pings(key) === 1, 5000, 'the first ping at start');
  // An event queued eleven minutes ago that never reached ilert (its key is paused by a 429 storm).
  const old = Date.now() - 11 * 60_000;
  inspect(harness.relay).arrange(
    `INSERT INTO outbox (created_at, alert_key, level_alert_id, event_id, target, event_type, rank, payload, status, next_attempt_at, updated_at)
          VALUES (?, 'level-alert-x', 'x', 'e-x', 'nowhere', 'ALERT', 0, '{}', 'queued', ?, ?)`,
    old,
    old,
    old,
  );
  await runNow(harness.relay).heartbeat();
  assert.equal(pings(key), 1, 'no ping while stuck');
  assert.match(harness.relay.status().heartbeat!.withheld!, /forwarding is stuck: 1 events waiting/);
});
