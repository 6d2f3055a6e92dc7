/**
 * The forwarder against a database another process has locked, and against a wall clock that
 * steps: the "Faults and abuse" issue, items 1 and 7.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { FAST_TUNING, holdWriteLock, INTEGRATION_KEY, SECRET, startRelay, tempDataDir } from '../helpers/relay-harness.ts';
import { jobsFor, waitForChange } from '../helpers/wait.ts';
import type { Clock } from '../../electron/core/forwarder/clock.ts';
import { diagnosesAt, runNow, probe } from '../helpers/parts.ts';

const ilert = await new FakeIlert({ perKeyLimit: 1000 }).start();
after(() => ilert.stop());

const keyOf = (event: ReturnType<typeof alertEvent>) => `level-alert-${event.data.id}`;

/** Re-checks `check` every 20 ms until it holds, for at most `timeoutMs` (for state that announces no event). */
async function eventually(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('an attempt that cannot be recorded (another process holds the write lock) does not block its RESOLVE: it goes out once the lock is gone, without a restart', async (t) => {
  const dataDir = tempDataDir();
  const harness = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY }, { ...FAST_TUNING, busyTimeoutMs: 50, storeRetryMs: 100 }, dataDir);
  let lock: Awaited<ReturnType<typeof holdWriteLock>> | undefined;
  t.after(async () => {
    ilert.mode = { kind: 'ok' };
    await lock?.release();
    await harness.stop();
  });
  ilert.mode = { kind: 'slow', delayMs: 1500 };
  const active = alertEvent();
  const before = ilert.requests;
  await harness.sender.deliver(active);
  await ilert.waitFor(() => ilert.requests > before, 5000, 'the ALERT on the wire');
  const resolved = alertEvent({ eventType: 'alert_resolved', alertId: active.data.id, occurredAt: new Date(Date.parse(active.occurred_at) + 60_000).toISOString() });
  assert.equal((await harness.sender.deliver(resolved)).acknowledged, true);

  lock = await holdWriteLock(dataDir);
  ilert.mode = { kind: 'ok' };
  // ilert answers the ALERT while the database is locked: the outcome is held in memory, and said.
  await eventually(() => probe(harness.relay).unrecordedOutcomes() === 1, 5000, 'the held outcome');
  // Whichever write failed first (this attempt, or a webhook's commit), Health says so once, with the held answer.
  const health = diagnosesAt(harness.relay).find((diagnosis) => diagnosis.id === 'store-not-writable' || diagnosis.id === 'store-cannot-write');
  assert.ok(health, 'the Health page says the database cannot be written');
  assert.match(health.detail, /1 answer from ilert is kept in memory until it can be written/);

  await lock.release();
  lock = undefined;
  await ilert.waitFor(() => ilert.eventsFor(keyOf(active)).length === 2, 5000, 'the RESOLVE');
  assert.deepEqual(ilert.eventTypesFor(keyOf(active)), ['ALERT', 'RESOLVE']);
  await waitForChange(harness.relay, () => jobsFor(harness.relay, keyOf(active)).every((job) => job.status === 'delivered'), 5000, 'both delivered');
  const [alertJob] = jobsFor(harness.relay, keyOf(active));
  assert.equal(alertJob!.attempts, 1, 'the held outcome was written once, not sent again');
  assert.equal(probe(harness.relay).unrecordedOutcomes(), 0);
});

test('a wall clock set back an hour holds nothing up: rate windows and delays run on the monotonic clock', async (t) => {
  let offsetMs = 0;
  const clock: Clock = { now: () => Date.now() + offsetMs, monotonic: () => performance.now() };
  const windowMs = 500;
  const harness = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY, ilertEventsPerMinute: 2 }, { ...FAST_TUNING, rateWindowMs: windowMs, clock });
  t.after(() => harness.stop());
  const first = [alertEvent(), alertEvent()];
  for (const event of first) await harness.sender.deliver(event);
  await ilert.waitFor(() => first.every((event) => ilert.eventsFor(keyOf(event)).length === 1), 5000, 'the first two');

  offsetMs = -3_600_000;
  const afterStep = [alertEvent(), alertEvent(), alertEvent()];
  for (const event of afterStep) await harness.sender.deliver(event);
  // With wall-clock windows the third would wait an hour; here, one window.
  await ilert.waitFor(() => afterStep.every((event) => ilert.eventsFor(keyOf(event)).length === 1), 4 * windowMs + 2000, 'the alerts sent after the step');
});

test('a retry time stored far in the future (the clock was ahead) is clamped on start to the longest backoff', async (t) => {
  const dataDir = tempDataDir();
  const waiting = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: '' }, FAST_TUNING, dataDir);
  const event = alertEvent();
  await new LevelSender({ url: waiting.url, secret: SECRET }).deliver(event);
  await waiting.stop();
  const db = new DatabaseSync(path.join(dataDir, 'relay.sqlite'));
  db.prepare('UPDATE outbox SET next_attempt_at = ?').run(Date.now() + 3_600_000);
  db.close();

  // A minute's cap, and a monotonic clock the test moves on, so the delay is checked from both sides without waiting for it.
  const capMs = 60_000;
  let skippedMs = 0;
  const clock: Clock = { now: () => Date.now(), monotonic: () => performance.now() + skippedMs };
  const restarted = await startRelay(
    { ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY },
    { ...FAST_TUNING, backoff: { ...FAST_TUNING.backoff!, capMs }, clock },
    dataDir,
  );
  t.after(() => restarted.stop());

  // Ten seconds short of the cap it is not due: a fresh alert, taken by a pass that had the old job in front of it, goes alone.
  skippedMs = capMs - 10_000;
  const witness = alertEvent();
  await restarted.sender.deliver(witness);
  await ilert.waitFor(() => ilert.eventsFor(keyOf(witness)).length === 1, 5000, 'the fresh alert');
  assert.equal(ilert.eventsFor(keyOf(event)).length, 0, 'the stored job is not due before the cap');

  skippedMs = capMs;
  runNow(restarted.relay).forwarderPass();
  await ilert.waitFor(() => ilert.eventsFor(keyOf(event)).length === 1, 3000, 'the clamped job, due once the cap has passed');
});
