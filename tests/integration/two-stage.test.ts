import { test, after, type TestContext } from 'node:test';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import assert from 'node:assert/strict';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi } from '../fakes/fake-level-api.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { startRelay, holdWriteLock, tempDataDir, webhookDelivery, FAST_TUNING, INTEGRATION_KEY, OWNER, SECRET, type InProcessRelay } from '../helpers/relay-harness.ts';
import { diagnosesAt, probe, processed, runNow } from '../helpers/parts.ts';
import { inspect } from '../helpers/inspect.ts';
import { waitUntil } from '../helpers/wait.ts';
import { IngestPipeline } from '../../electron/core/ingest/pipeline.ts';
import { Processor } from '../../electron/core/ingest/processor.ts';
import { alertKeyFor } from '../../electron/core/ilert/event-mapping.ts';
import { sign } from '../../electron/core/level/signature.ts';
import { consoleLogger } from '../../electron/core/logger.ts';
import { DEVICE_LOOKUP_TIMEOUT_MS } from '../../electron/core/routing/router.ts';
import { Store } from '../../electron/core/store/store.ts';
import { DATABASE_FILE } from '../../electron/core/store/database.ts';
import type { RelayTuning } from '../../electron/core/relay-parts.ts';
import { internalDelivery } from '../../electron/core/store/inbound-delivery.ts';

const LEVEL_KEY = 'level-read-only-key';
const [ilert, level] = await Promise.all([new FakeIlert({ perKeyLimit: 100_000 }).start(), new FakeLevelApi({ apiKey: LEVEL_KEY }).start()]);
after(() => Promise.all([ilert.stop(), level.stop()]));

const ilertSettings = { ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: ilert.url };
const sources = () => ({ sources: [], targetProblem: () => undefined });

function onDevice(deviceId: string, overrides: Parameters<typeof alertEvent>[0] = {}) {
  const event = alertEvent(overrides);
  event.data.device_id = deviceId;
  return event;
}

/** The levelEventIds ilert received for an alert, in order. */
function levelEventIdsAt(alertId: string): string[] {
  return ilert.eventsFor(alertKeyFor(alertId)).map((received) => (received.body.customDetails as { levelEventId: string }).levelEventId);
}

function jobsForEvent(harness: InProcessRelay, eventId: string): number {
  return inspect(harness.relay).row<{ n: number }>('SELECT count(*) AS n FROM outbox WHERE event_id = ?', eventId)!.n;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

test('a stored delivery that no longer reads is settled failed with why; the deliveries around it are applied, Health says so, and a replay with the body put right is applied once', async (t) => {
  const dataDir = tempDataDir('relay-poisoned-');
  // The relay's own ack path appends three deliveries, as a relay killed right after answering
  // would leave them: acknowledged, 'received', not applied (its processor is stopped).
  const before = [alertEvent(), alertEvent(), alertEvent()];
  const [first, poisoned, third] = before;
  const ids: number[] = [];
  {
    const store = new Store(dataDir);
    const processor = new Processor({
      store,
      log: consoleLogger(),
      sources,
      policy: () => ({ highPrioritySeverities: [], routeFor: () => ({ target: 'default', reason: 'unused' }) }),
    });
    await processor.stop();
    const pipeline = new IngestPipeline({ store, log: consoleLogger(), secrets: () => ({ current: SECRET }), sources, processor });
    for (const event of before) {
      const body = Buffer.from(JSON.stringify(event));
      const answer = await pipeline.webhook(webhookDelivery(body, 'not-checked', { 'content-type': 'application/json' }), sign(SECRET, body));
      assert.equal(answer.statusCode, 202);
    }
    for (const { event_id } of before) ids.push(inspect(store).row<{ id: number }>('SELECT id FROM deliveries WHERE event_id = ?', event_id)!.id);
    // The middle one's stored body no longer parses (a damaged page, a format no longer read).
    inspect(store).arrange(`UPDATE delivery_bodies SET body = ? WHERE delivery_id = ?`, Buffer.from('{"event_type": "alert_active", "data": {'), ids[1]!);
    await store.close();
  }

  const harness = await startRelay(ilertSettings, FAST_TUNING, dataDir);
  t.after(() => harness.stop());
  // The ack path answers while the processor works through what the last run left.
  const later = [alertEvent(), alertEvent()];
  for (const event of later) {
    const { value, ms } = await timed(() => harness.sender.deliver(event));
    assert.equal(value.attempts[0]?.status, 202, `acknowledged in ${Math.round(ms)} ms`);
  }
  await processed(harness.relay);
  for (const event of [first!, third!, ...later]) await ilert.waitFor(() => levelEventIdsAt(event.data.id).length === 1, 5000, `the ILERT of ${event.data.id}`);

  const detail = await harness.api.getDelivery({ id: ids[1]! }, OWNER);
  assert.equal(detail.outcome, 'failed');
  assert.equal(detail.statusCode, 202, 'it had been acknowledged');
  assert.match(detail.reason ?? '', /^the relay could not read this stored event: /);
  assert.deepEqual(detail.jobs, [], 'nothing for ilert');
  assert.deepEqual(levelEventIdsAt(poisoned!.data.id), []);
  for (const id of [ids[0]!, ids[2]!]) assert.equal((await harness.api.getDelivery({ id }, OWNER)).outcome, 'accepted', `delivery ${id} after the bad one was applied`);

  const failed = diagnosesAt(harness.relay).find((diagnosis) => diagnosis.id === 'processing-failed');
  assert.ok(failed, 'Health lists the delivery that could not be processed');
  assert.match(failed.title, /^1 delivery could not be processed/);
  assert.match(failed.detail ?? '', new RegExp(`delivery #${ids[1]}`));

  // A re-run reads the same damaged bytes: refused again, and still nothing for ilert.
  const rerun = await harness.api.rerunDelivery({ id: ids[1]! }, OWNER);
  assert.ok(rerun.statusCode >= 400, `a re-run of the damaged body is refused (${rerun.statusCode})`);
  // The cause gone: the technician replays the event with its body put right. Its event id was
  // given back when it failed, so this is applied, not answered as a duplicate, and sent once.
  const replay = await harness.api.replayDelivery({ id: ids[1]!, body: JSON.stringify(poisoned) }, OWNER);
  assert.equal(replay.statusCode, 202, JSON.stringify(replay.body));
  await ilert.waitFor(() => levelEventIdsAt(poisoned!.data.id).length === 1, 5000, 'the replayed ILERT');
  await processed(harness.relay);
  assert.equal(jobsForEvent(harness, poisoned!.event_id), 1, 'one job for the poisoned event, from the replay');
  assert.deepEqual(levelEventIdsAt(poisoned!.data.id), [poisoned!.event_id]);
  assert.equal(
    diagnosesAt(harness.relay).find((diagnosis) => diagnosis.id === 'processing-failed'),
    undefined,
    'put right by the replay: Health no longer says it could not be processed',
  );
  assert.equal((await harness.api.getDelivery({ id: ids[1]! }, OWNER)).outcome, 'failed', 'the delivery log still tells how it went');
});

test('an alert the processor cannot apply (its routing throws) is settled failed; the ack path and the log go on; re-run once the cause is gone, it is applied once', async () => {
  // The processor's policy is injected by design: here it throws for one alert, as a routing bug would.
  const store = new Store(tempDataDir('relay-routing-throws-'));
  let broken: string | undefined;
  const processor = new Processor({
    store,
    log: consoleLogger(),
    sources,
    policy: () => ({
      highPrioritySeverities: [],
      routeFor: (alert) => {
        if (alert.id === broken) throw new Error(`no route for ${alert.id}: the routing table is damaged`);
        return { target: 'default', reason: 'test route' };
      },
    }),
  });
  const pipeline = new IngestPipeline({ store, log: consoleLogger(), secrets: () => ({ current: SECRET }), sources, processor });
  try {
    processor.start();
    const events = Array.from({ length: 20 }, () => alertEvent());
    broken = events[5]!.data.id;
    const answers = await Promise.all(
      events.map(async (event) => {
        const body = Buffer.from(JSON.stringify(event));
        return (await pipeline.webhook(webhookDelivery(body, 'not-checked', { 'content-type': 'application/json' }), sign(SECRET, body))).statusCode;
      }),
    );
    assert.deepEqual(
      answers,
      events.map(() => 202),
      'every delivery acknowledged, the bad one too',
    );
    await processor.idle();
    const outcomes = inspect(store).rows<{ event_id: string; outcome: string; reason: string | null; jobs: number }>(
      `SELECT d.event_id, d.outcome, d.reason, (SELECT count(*) FROM outbox o WHERE o.event_id = d.event_id) AS jobs FROM deliveries d ORDER BY d.id`,
    );
    assert.equal(outcomes.length, 20);
    for (const [index, row] of outcomes.entries()) {
      if (row.event_id === events[5]!.event_id) {
        assert.equal(row.outcome, 'failed');
        assert.match(row.reason ?? '', /could not process this event: no route for .*the routing table is damaged/);
        assert.equal(row.jobs, 0, 'nothing of it was kept: no job, no alert');
      } else assert.deepEqual([index, row.outcome, row.jobs], [index, 'accepted', 1], 'the others, before and after it, applied once');
    }
    assert.equal(inspect(store).row<{ n: number }>(`SELECT count(*) AS n FROM alerts WHERE level_alert_id = ?`, broken)?.n, 0, 'nothing of it was kept: no alert either');

    broken = undefined;
    const failedId = inspect(store).row<{ id: number }>(`SELECT id FROM deliveries WHERE event_id = ?`, events[5]!.event_id)!.id;
    const stored = inspect(store).row<{ body: Uint8Array }>(`SELECT body FROM delivery_bodies WHERE delivery_id = ?`, failedId)!;
    // A re-run, as the Deliveries page makes one: the stored bytes again, waiting for their outcome.
    const rerun = await pipeline.authenticated(
      internalDelivery('rerun', { path: '/webhooks/level', headers: { 'content-type': 'application/json' }, body: Buffer.from(stored.body), rerunOf: failedId }),
    );
    assert.equal(rerun.statusCode, 202, JSON.stringify(rerun.body));
    assert.equal(inspect(store).row<{ n: number }>(`SELECT count(*) AS n FROM outbox WHERE event_id = ?`, events[5]!.event_id)?.n, 1, 'applied once');
  } finally {
    await processor.stop();
    await store.close();
  }
});

test('an unknown device while Level’s API hangs: the ack comes at once, the delivery is listed as received, Health says what processing waits for, and the alert is routed once the look-up times out', async (t) => {
  const harness = await startRelay({ ...ilertSettings, levelApiUrl: level.url, levelApiKey: LEVEL_KEY });
  t.after(() => harness.stop());
  const deviceId = 'dev-never-answers';
  const hang = level.holdNext(`/devices/${deviceId}`);
  t.after(() => hang.release());
  const event = onDevice(deviceId);

  const { value, ms } = await timed(() => harness.sender.deliver(event));
  assert.equal(value.attempts[0]?.status, 202);
  assert.ok(ms < 500, `the ack took ${Math.round(ms)} ms, not the look-up's ${DEVICE_LOOKUP_TIMEOUT_MS} ms`);
  await hang.reached;
  const [row] = (await harness.api.listDeliveries({ filter: {}, offset: 0, limit: 1 }, OWNER)).rows;
  assert.deepEqual([row?.eventId, row?.outcome], [event.event_id, 'received'], 'listed at once, as received');

  // Health as it reads a moment later, with the look-up still hanging (it answers by the clock it is given).
  const lag = diagnosesAt(harness.relay, row!.receivedAt + 1500).find((diagnosis) => diagnosis.id === 'processing-lag');
  assert.ok(lag, 'Health shows the processing lag once it is over a second');
  assert.match(lag.detail ?? '', new RegExp(`It waits for Level’s API to answer about device ${deviceId}`));

  await ilert.waitFor(() => levelEventIdsAt(event.data.id).length === 1, DEVICE_LOOKUP_TIMEOUT_MS + 3000, 'the ALERT after the look-up timed out');
  await processed(harness.relay);
  const detail = await harness.api.getDelivery({ id: row!.id }, OWNER);
  assert.equal(detail.outcome, 'accepted');
  assert.equal(detail.jobs[0]?.target, 'default', 'routed by what is known: the default target');
  assert.equal(
    diagnosesAt(harness.relay).find((diagnosis) => diagnosis.id.startsWith('processing-')),
    undefined,
    'nothing left for Health to say',
  );
});

test('a stop applies what was acknowledged before the store closes: a delivery waiting on Level’s API is routed and queued, not left to the next start', async () => {
  const harness = await startRelay({ ...ilertSettings, levelApiUrl: level.url, levelApiKey: LEVEL_KEY });
  const hang = level.holdNext('/devices/dev-slow-at-stop');
  const event = onDevice('dev-slow-at-stop');
  try {
    assert.equal((await harness.sender.deliver(event)).attempts[0]?.status, 202);
    await hang.reached;
    await harness.stop();
  } finally {
    hang.release();
  }
  const db = new DatabaseSync(path.join(harness.dataDir, DATABASE_FILE), { readOnly: true });
  try {
    const row = db.prepare(`SELECT d.outcome, count(o.id) AS jobs FROM deliveries d LEFT JOIN outbox o ON o.delivery_id = d.id WHERE d.event_id = ?`).get(event.event_id) as {
      outcome: string;
      jobs: number;
    };
    assert.deepEqual({ ...row }, { outcome: 'accepted', jobs: 1 }, 'applied once the look-up timed out, its ALERT made');
  } finally {
    db.close();
  }
});

/**
 * A relay with a Level API, a heartbeat to the fake ilert and a 300 ms stall limit, once its first
 * heartbeat went out: its /healthz URL and how many pings ilert has had.
 */
async function relayWithHeartbeat(t: TestContext, beat: string, tuning: Partial<RelayTuning> = {}) {
  const harness = await startRelay(
    { ...ilertSettings, levelApiUrl: level.url, levelApiKey: LEVEL_KEY, ilertHeartbeatUrl: `${ilert.url}/api/pings/${beat}` },
    { ...FAST_TUNING, processorStallMs: 300, heartbeatIntervalMs: 1_000_000, ...tuning },
  );
  t.after(() => harness.stop());
  const pings = () => ilert.pings.get(beat)?.length ?? 0;
  await ilert.waitFor(() => pings() === 1, 5000, 'the first heartbeat at start');
  return { harness, healthz: harness.url.replace('/webhooks/level', '/healthz'), pings };
}

test('another program holding the write lock while deliveries wait: processing stalls without blocking the event loop (/healthz answers at once, 503), Health says why; it goes on by itself once the lock is gone', async (t) => {
  // The store's own health forgets the failure once a write succeeds (no two-minute hold), as in faults.test.ts.
  const { harness, healthz, pings } = await relayWithHeartbeat(t, 'il1hbt-processing-locked', { failureHoldMs: 0, probeIntervalMs: 50 });

  // A delivery waits for its device's look-up; meanwhile a backup tool takes the write lock.
  const deviceId = 'dev-answers-into-a-lock';
  const hang = level.holdNext(`/devices/${deviceId}`);
  t.after(() => hang.release());
  const event = onDevice(deviceId);
  assert.equal((await harness.sender.deliver(event)).attempts[0]?.status, 202);
  await hang.reached;
  const lock = await holdWriteLock(harness.dataDir);
  let released: Promise<void> | undefined;
  const release = () => (released ??= lock.release());
  t.after(release);

  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  hang.release();
  // A webhook meanwhile: its commit waits for the lock on the append thread (then 503, Level retries), never on the event loop.
  const during = harness.sender.deliver(onDevice('dev-during-the-lock'));
  await waitUntil(async () => (await fetch(healthz)).status === 503, 5000, '/healthz to turn 503');
  const stalled = await waitUntil(() => diagnosesAt(harness.relay).find((diagnosis) => diagnosis.id === 'processing-stalled'), 5000, 'Health to say processing stalled');
  assert.match(stalled.detail ?? '', /The last attempt failed: .*locked/);
  await runNow(harness.relay).heartbeat();
  assert.equal(pings(), 1, 'no ping while nothing can be applied');
  assert.equal((await during).attempts[0]?.status, 503, 'the webhook that came during the lock is refused for Level to send again');
  loop.disable();
  assert.ok(loop.max / 1e6 < 500, `the event loop was never blocked waiting for the lock (longest delay ${Math.round(loop.max / 1e6)} ms)`);

  await release();
  await ilert.waitFor(() => levelEventIdsAt(event.data.id).length === 1, 10_000, 'the ALERT once the lock is gone');
  await processed(harness.relay);
  await waitUntil(async () => (await fetch(healthz)).status === 200, 5000, '/healthz to be healthy again');
  await runNow(harness.relay).heartbeat();
  assert.equal(pings(), 2, 'the heartbeat pings again');
  assert.equal(jobsForEvent(harness, event.event_id), 1);
});

test('processing that cannot move for longer than the stall limit: /healthz answers 503, the heartbeat is withheld, Health says it stalled; all recover once it moves', async (t) => {
  const { harness, healthz, pings } = await relayWithHeartbeat(t, 'il1hbt-processing');

  // A device new since the relay's start-up sync: its first alert makes the processor ask Level.
  const deviceId = 'dev-new-and-slow';
  const hang = level.holdNext(`/devices/${deviceId}`);
  t.after(() => hang.release());
  const event = onDevice(deviceId);
  assert.equal((await harness.sender.deliver(event)).attempts[0]?.status, 202);
  await hang.reached;

  // Stalled is a matter of the clock: /healthz is asked until it says so.
  await waitUntil(async () => (await fetch(healthz)).status === 503, 5000, '/healthz to turn 503');
  assert.deepEqual(await (await fetch(healthz)).json(), { status: 'unhealthy' }, 'the public port says no more than that');
  await runNow(harness.relay).heartbeat();
  assert.equal(pings(), 1, 'no ping while stalled');
  assert.match(probe(harness.relay).heartbeat().withheld ?? '', /^processing has stopped: nothing applied for \d+ s with deliveries waiting/);
  const stalled = diagnosesAt(harness.relay).find((diagnosis) => diagnosis.id === 'processing-stalled');
  assert.ok(stalled, 'Health says processing stalled');
  assert.match(stalled.detail ?? '', new RegExp(`It waits for Level’s API to answer about device ${deviceId}`));

  const group = level.addGroup({ name: 'Slow site' });
  level.addDevice({ id: deviceId, hostname: 'SLOW-LOOKUP', group_id: group.id });
  hang.release();
  await ilert.waitFor(() => levelEventIdsAt(event.data.id).length === 1, 5000, 'the ALERT once Level answered');
  assert.equal((ilert.eventsFor(alertKeyFor(event.data.id))[0]!.body.labels as Record<string, string>).group, 'Slow site', 'routed with what Level answered');
  await processed(harness.relay);
  assert.equal((await fetch(healthz)).status, 200, '/healthz healthy again');
  await runNow(harness.relay).heartbeat();
  assert.equal(pings(), 2, 'the heartbeat pings again');
  assert.equal(
    diagnosesAt(harness.relay).find((diagnosis) => diagnosis.id === 'processing-stalled'),
    undefined,
  );
});
