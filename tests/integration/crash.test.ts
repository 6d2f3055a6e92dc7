import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent, type SendOutcome } from '../fakes/level-sender.ts';
import { startChildRelay, tempDataDir, SECRET, INTEGRATION_KEY } from '../helpers/relay-harness.ts';

const ilert = await new FakeIlert({ perKeyLimit: 100_000 }).start();
after(() => ilert.stop());

test('kill -9 in the middle of a burst, then restart: every acknowledged event reaches ilert', { timeout: 60_000 }, async () => {
  const dataDir = tempDataDir('relay-crash-');
  const env = {
    RELAY_DATA_DIR: dataDir,
    LEVEL_WEBHOOK_SECRET: SECRET,
    ILERT_INTEGRATION_KEY: INTEGRATION_KEY,
    ILERT_API_URL: ilert.url,
    ILERT_EVENTS_PER_MINUTE: '100000',
  };
  const first = await startChildRelay(env);
  // Level's receiver URL stays the same across the restart, as it would behind a tunnel.
  const port = new URL(first.url).port;

  const total = 400;
  const events = Array.from({ length: total }, () => alertEvent());
  let acknowledged = 0;
  let killed = false;
  const outcomes: SendOutcome[] = [];
  let restarted: Awaited<ReturnType<typeof startChildRelay>> | undefined;
  let restarting: Promise<void> | undefined;

  // Like Level: each event is retried (3 attempts in total) when the relay does not answer 2xx.
  // Level waits about 2 minutes between attempts, far longer than a restart; the test waits for
  // the restart instead, so a slow machine cannot turn a pause into lost retries.
  const sender = new LevelSender({
    url: first.url,
    secret: SECRET,
    beforeRetry: async () => {
      await restarting;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 100));
    },
  });
  const restart = () => {
    restarting ??= (async () => {
      await first.exited;
      restarted = await startChildRelay({ ...env, RELAY_PORT: port });
    })();
    return restarting;
  };

  const concurrency = 16;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events.length) {
        const event = events[next++]!;
        const outcome = await sender.deliver(event);
        outcomes.push(outcome);
        if (outcome.acknowledged) acknowledged++;
        if (!killed && acknowledged >= total / 3) {
          killed = true;
          first.child.kill('SIGKILL');
          void restart();
        }
      }
    }),
  );
  await restart();
  assert.ok(killed, 'the relay was killed mid-burst');
  const lostInFlight = outcomes.filter((outcome) => outcome.attempts.some((attempt) => attempt.status === null));
  assert.ok(lostInFlight.length > 0, 'some requests were cut off by the kill');

  const acked = outcomes.filter((outcome) => outcome.acknowledged).map((outcome) => outcome.eventId);
  const keyByEvent = new Map(events.map((event) => [event.event_id, `level-alert-${event.data.id}`]));
  const wanted = new Set(acked.map((eventId) => keyByEvent.get(eventId)!));
  try {
    await ilert.waitFor(() => [...wanted].every((key) => ilert.eventsFor(key).length > 0), 30_000, `all ${wanted.size} acknowledged events`);
  } finally {
    restarted?.child.kill('SIGTERM');
    await restarted?.exited;
  }
  assert.ok(acked.length >= total * 0.9, `most events were acknowledged in the end (${acked.length}/${total})`);
  const repeats = [...wanted].filter((key) => ilert.eventsFor(key).length > 1).length;
  assert.ok(repeats <= 4, `only requests in flight at the crash (at most 4) may be sent twice (${repeats})`);
  assert.deepEqual(ilert.schemaViolations, []);
});
