import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { DATABASE_FILE } from '../../electron/core/store/database.ts';
import { resolveSettings, SettingsError } from '../../electron/core/settings.ts';
import type { AlertRow } from '../../shared/contract.ts';
import { FakeIlert, type ReceivedEvent } from '../fakes/fake-ilert.ts';
import { FakeLevelApi } from '../fakes/fake-level-api.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import {
  startRelay,
  startChildRelay,
  stopChildRelay,
  tempDataDir,
  INTEGRATION_KEY,
  FAST_TUNING,
  SECRET,
  type ChildRelay,
  type InProcessRelay,
  OWNER,
} from '../helpers/relay-harness.ts';
import { alertsById } from '../helpers/parts.ts';
import { jobsFor, waitForChange, type JobRow } from '../helpers/wait.ts';
import { contractCalls } from '../helpers/contract-calls.ts';

const { call, must } = contractCalls('Tess', 'admin');

// Issue 22, item 4 (flapping and repeats), rule by rule against the fake ilert (which checks every
// event against ilert's OpenAPI `Event` schema), through the real receiver and a real SQLite file.
// Time is driven by the hold lengths: an hour where the hold must not end during the test, a
// second or a few where the test waits for it to end.
const ilert = await new FakeIlert().start();
const running: InProcessRelay[] = [];
after(async () => {
  await Promise.all(running.map((harness) => harness.stop()));
  await ilert.stop();
  assert.deepEqual(ilert.schemaViolations, [], 'every event the relay sent fits ilert’s Event schema');
});

const HOUR = 3600;

async function relay(settings: Record<string, unknown>, dataDir = tempDataDir('relay-flapping-')): Promise<InProcessRelay> {
  const harness = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY, ...settings }, FAST_TUNING, dataDir);
  running.push(harness);
  return harness;
}

async function stop(harness: InProcessRelay): Promise<void> {
  await harness.stop();
  running.splice(running.indexOf(harness), 1);
}

type Event = ReturnType<typeof alertEvent>;
let names = 0;
/** An alert with a name of its own: the same device and name would be the same problem (resolve grace). */
const fresh = (name = 'Disk flapping') => alertEvent({ name: `${name} #${++names}` });
const keyOf = (event: { data: { id: string } }) => `level-alert-${event.data.id}`;
/** Level's next word on the same alert, on the same device. */
const laterOf = (event: Event, eventType: 'alert_active' | 'alert_resolved'): Event => {
  const next = alertEvent({ eventType, alertId: event.data.id, name: event.data.name });
  next.data.device_id = event.data.device_id;
  return next;
};
const resolveOf = (event: Event) => laterOf(event, 'alert_resolved');
/** Level says the same alert is active again (a new event, later than its resolve). */
const refireOf = (event: Event) => laterOf(event, 'alert_active');
const sent = (event: { data: { id: string } }): ReceivedEvent[] => ilert.eventsFor(keyOf(event));
const statuses = (harness: InProcessRelay, event: Event) => jobsFor(harness.relay, keyOf(event)).map((job) => [job.event_type, job.status]);
type HeldJob = JobRow & { created_at: number; held_until: number | null; held_reason: string | null; released: string | null; payload: string };
const jobs = (harness: InProcessRelay, event: Event) => jobsFor(harness.relay, keyOf(event)) as HeldJob[];
const alertRow = (harness: InProcessRelay, event: Event): AlertRow => alertsById(harness.relay, [event.data.id])[0]!;

async function delivered(harness: InProcessRelay, event: Event, count: number, what: string): Promise<void> {
  await waitForChange(harness.relay, () => jobs(harness, event).filter((job) => job.status === 'delivered').length === count, 5000, what);
}

test('hold-down: an alert resolved inside it sends nothing, and is recorded as a flap on the alert and the delivery', async () => {
  const harness = await relay({ holdDownSeconds: HOUR });
  const flapper = fresh();
  await harness.sender.deliver(flapper);
  const [held] = jobs(harness, flapper);
  assert.deepEqual([held!.status, held!.reason], ['held', 'held: hold-down 1 h']);
  assert.equal(held!.held_until, held!.created_at + HOUR * 1000, 'held until it came in plus the hold-down');
  assert.equal(alertRow(harness, flapper).forwarding?.held?.reason, 'held: hold-down 1 h', 'the alert shows it, for “held until 03:20: hold-down 1 h”');

  await harness.sender.deliver(resolveOf(flapper));
  assert.deepEqual(statuses(harness, flapper), [
    ['ALERT', 'skipped'],
    ['RESOLVE', 'skipped'],
  ]);
  const flap = /^flap: resolved after \d+ s, within the 1 h hold-down$/;
  for (const job of jobs(harness, flapper)) assert.match(job.reason ?? '', flap);
  const row = alertRow(harness, flapper);
  assert.equal(row.state, 'resolved');
  assert.match(row.forwarding?.reason ?? '', flap, 'the alert says it was a flap');
  const detail = await must(harness, 'getDelivery', { id: (jobs(harness, flapper)[0] as HeldJob & { delivery_id: number }).delivery_id });
  assert.match(detail.jobs[0]!.reason ?? '', flap, 'the delivery detail says so too');
  assert.equal(detail.jobs[0]!.held?.reason, 'held: hold-down 1 h');
  assert.match(detail.jobs[0]!.held?.released ?? '', /^flap: resolved after \d+ s, within the 1 h hold-down: nothing sent$/);
  assert.deepEqual(sent(flapper), [], 'ilert never heard of it');
  await stop(harness);
});

test('hold-down: an alert still active when it ends is sent then', async () => {
  const harness = await relay({ holdDownSeconds: 1 });
  const disk = fresh('Disk still full');
  await harness.sender.deliver(disk);
  const [held] = jobs(harness, disk);
  assert.deepEqual([held!.status, held!.reason], ['held', 'held: hold-down 1 s']);
  await ilert.waitFor(() => sent(disk).length === 1, 10_000, 'the ALERT after the hold-down');
  assert.equal(sent(disk)[0]!.eventType, 'ALERT');
  assert.ok(sent(disk)[0]!.at >= held!.held_until!, `sent at ${sent(disk)[0]!.at}, the hold-down ended at ${held!.held_until}`);
  await delivered(harness, disk, 1, 'the ALERT to be delivered');
  assert.match(alertRow(harness, disk).forwarding?.held?.released ?? '', /^sent when the hold ended at /);
  await stop(harness);
});

test('hold-down and a maintenance window: the later release wins; ending the window early is a person’s decision and releases at once', async () => {
  const harness = await relay({ holdDownSeconds: HOUR });
  const iso = (ms: number) => new Date(ms).toISOString();
  // A window longer than the hold-down: the window holds the alert.
  const long = await must(harness, 'createMaintenanceWindow', { name: 'Long', scope: { all: true }, start: iso(Date.now() - 60_000), end: iso(Date.now() + 2 * HOUR * 1000) });
  const second = fresh();
  await harness.sender.deliver(second);
  assert.equal(jobs(harness, second)[0]!.reason, 'held: maintenance window “Long”');
  await must(harness, 'endMaintenanceWindow', { id: long.id });
  await ilert.waitFor(() => sent(second).length === 1, 5000, 'the alert the ended window held');
  // A window shorter than the hold-down: the hold-down holds the alert.
  await must(harness, 'createMaintenanceWindow', { name: 'Short', scope: { all: true }, start: iso(Date.now() - 60_000), end: iso(Date.now() + 60_000) });
  const first = fresh();
  await harness.sender.deliver(first);
  assert.equal(jobs(harness, first)[0]!.reason, 'held: hold-down 1 h');
  assert.deepEqual(sent(first), [], 'the hold-down still holds the other one');
  await stop(harness);
});

test('resolve grace: a refire within it sends one COMMENT and no RESOLVE, and the ilert alert stays open; a new Level alert for the same problem folds in too', async () => {
  const harness = await relay({ resolveGraceSeconds: HOUR });
  const cpu = fresh('CPU above 95%');
  await harness.sender.deliver(cpu);
  await delivered(harness, cpu, 1, 'the ALERT');

  await harness.sender.deliver(resolveOf(cpu));
  const resolve = jobs(harness, cpu)[1]!;
  assert.deepEqual([resolve.event_type, resolve.status, resolve.reason], ['RESOLVE', 'held', 'held: resolve grace 1 h']);
  assert.equal(alertRow(harness, cpu).forwarding?.held?.reason, 'held: resolve grace 1 h', 'the alert shows its RESOLVE waiting');

  const again = refireOf(cpu);
  await harness.sender.deliver(again);
  await delivered(harness, cpu, 2, 'the COMMENT');
  assert.deepEqual(statuses(harness, cpu), [
    ['ALERT', 'delivered'],
    ['RESOLVE', 'skipped'],
    ['COMMENT', 'delivered'],
  ]);
  assert.match(
    jobs(harness, cpu)[1]!.reason ?? '',
    /^cancelled: fired again at \d\d:\d\d UTC on \d{4}-\d\d-\d\d \(occurrence 2\), within the 1 h resolve grace; ilert’s alert stays open and gets a comment$/,
  );
  assert.deepEqual(ilert.eventTypesFor(keyOf(cpu)), ['ALERT', 'COMMENT']);
  const comment = sent(cpu)[1]!.body as { comments: { creator: string; content: string }[] };
  assert.equal(comment.comments.length, 1);
  const hhmm = again.occurred_at.slice(11, 16);
  assert.match(comment.comments[0]!.content, new RegExp(`^fired again at ${hhmm} UTC on ${again.occurred_at.slice(0, 10)}, occurrence 2 `));
  assert.deepEqual(
    ilert.alerts.filter((alert) => alert.alertKey === keyOf(cpu)).map((alert) => alert.status),
    ['PENDING'],
    'one ilert alert, still open',
  );
  assert.equal(alertRow(harness, cpu).state, 'active');

  // Level resolves it again, then opens a new alert (a new id) on the same device with the same name.
  await harness.sender.deliver(resolveOf(cpu));
  const sameProblem = alertEvent({ name: cpu.data.name });
  await harness.sender.deliver(sameProblem);
  await delivered(harness, cpu, 3, 'the second COMMENT');
  assert.deepEqual(ilert.eventTypesFor(keyOf(cpu)), ['ALERT', 'COMMENT', 'COMMENT']);
  assert.match((sent(cpu)[2]!.body as { comments: { content: string }[] }).comments[0]!.content, new RegExp(`occurrence 3 \\(Level alert ${sameProblem.data.id}\\)`));
  assert.deepEqual(sent(sameProblem), [], 'no second ilert alert');
  // Its RESOLVE later closes the one open ilert alert (after the grace, which here is an hour).
  await harness.sender.deliver(resolveOf(sameProblem));
  const last = jobs(harness, cpu).at(-1)!;
  assert.deepEqual([last.event_type, last.status, last.reason], ['RESOLVE', 'held', 'held: resolve grace 1 h']);
  assert.deepEqual(await must(harness, 'sendHeldNow', { alertId: sameProblem.data.id }), { released: 1 });
  await ilert.waitFor(() => ilert.alertByKey(keyOf(cpu))?.status === 'RESOLVED', 5000, 'the RESOLVE sent by hand');
  assert.deepEqual(ilert.eventTypesFor(keyOf(cpu)), ['ALERT', 'COMMENT', 'COMMENT', 'RESOLVE']);
  await stop(harness);
});

test('resolve grace: when it ends with no refire, the RESOLVE is sent then, even inside a maintenance window', async () => {
  const harness = await relay({ resolveGraceSeconds: 1 });
  const service = fresh('Service stopped');
  await harness.sender.deliver(service);
  await delivered(harness, service, 1, 'the ALERT');
  // A window opened meanwhile holds new ALERTs, never a RESOLVE: the grace alone delays it.
  const iso = (ms: number) => new Date(ms).toISOString();
  await must(harness, 'createMaintenanceWindow', { name: 'Opened later', scope: { all: true }, start: iso(Date.now() - 1000), end: iso(Date.now() + HOUR * 1000) });
  await harness.sender.deliver(resolveOf(service));
  const held = jobs(harness, service)[1]!;
  assert.deepEqual([held.status, held.reason], ['held', 'held: resolve grace 1 s']);
  await ilert.waitFor(() => ilert.eventTypesFor(keyOf(service)).join() === 'ALERT,RESOLVE', 10_000, 'the RESOLVE after its grace');
  assert.ok(sent(service)[1]!.at >= held.held_until!, 'not before the grace ended');
  assert.equal(ilert.alertByKey(keyOf(service))!.status, 'RESOLVED');
  await stop(harness);
});

test('a restart mid-hold gives the same outcome: a flap sends nothing, a firing alert goes when its hold-down ends, a refire in the grace is a comment', async () => {
  const dataDir = tempDataDir('relay-flapping-restart-');
  let harness = await relay({ holdDownSeconds: 4 }, dataDir);
  const firing = fresh('Still firing');
  const flapped = fresh('Fixed itself');
  await harness.sender.deliver(firing);
  await harness.sender.deliver(flapped);
  const until = jobs(harness, firing)[0]!.held_until!;
  await stop(harness);

  harness = await relay({ holdDownSeconds: 4 }, dataDir);
  await harness.sender.deliver(resolveOf(flapped));
  assert.ok(Date.now() < until, 'the flap resolved inside its hold-down (the restart took less than it)');
  await ilert.waitFor(() => sent(firing).length === 1, 10_000, 'the held ALERT after the restart');
  assert.ok(sent(firing)[0]!.at >= until);
  assert.deepEqual(sent(flapped), []);
  assert.match(jobs(harness, flapped)[0]!.reason ?? '', /^flap: resolved after/);
  await delivered(harness, firing, 1, 'the ALERT');
  await stop(harness);

  harness = await relay({ holdDownSeconds: 0, resolveGraceSeconds: HOUR }, dataDir);
  await harness.sender.deliver(resolveOf(firing));
  assert.equal(jobs(harness, firing)[1]!.status, 'held');
  await stop(harness);
  harness = await relay({ holdDownSeconds: 0, resolveGraceSeconds: HOUR }, dataDir);
  await harness.sender.deliver(refireOf(firing));
  await ilert.waitFor(() => ilert.eventTypesFor(keyOf(firing)).join() === 'ALERT,COMMENT', 5000, 'the COMMENT after the restart');
  assert.equal(ilert.alertByKey(keyOf(firing))!.status, 'PENDING');
  assert.equal(jobs(harness, firing)[1]!.status, 'skipped', 'the RESOLVE held before the restart was cancelled');
  await stop(harness);
});

test('a group route’s hold-down and resolve grace beat the defaults; out-of-range values are refused', async () => {
  const LEVEL_KEY = 'level-read-only-key';
  const level = await new FakeLevelApi({ apiKey: LEVEL_KEY }).start();
  try {
    const calm = level.addGroup({ name: 'Calm client' });
    const other = level.addGroup({ name: 'Other client' });
    const inCalm = level.addDevice({ hostname: 'CALM-SRV', group_id: calm.id });
    const inOther = level.addDevice({ hostname: 'OTHER-SRV', group_id: other.id });
    const harness = await relay({ levelApiUrl: level.url, levelApiKey: LEVEL_KEY, holdDownSeconds: HOUR, resolveGraceSeconds: 0 });
    await harness.api.syncLevel({}, OWNER);
    for (const bad of [{ holdDownSeconds: -1 }, { holdDownSeconds: 86_401 }, { resolveGraceSeconds: 1.5 }]) {
      const refused = await call(harness, 'setGroupRoute', { groupId: calm.id, route: { target: 'default', ...bad } });
      assert.ok(!refused.ok && refused.status === 400, JSON.stringify(bad));
    }
    const routing = await must(harness, 'setGroupRoute', { groupId: calm.id, route: { target: 'default', holdDownSeconds: 0, resolveGraceSeconds: HOUR } });
    const shown = routing.rows.find((row) => row.groupId === calm.id)!.route!;
    assert.deepEqual([shown.target, shown.holdDownSeconds, shown.resolveGraceSeconds], ['default', 0, HOUR], 'the Routing view shows the overrides');
    const onDevice = (deviceId: string, name: string) => {
      const event = fresh(name);
      event.data.device_id = deviceId;
      level.addAlert({ ...event.data, severity: 'critical' });
      return event;
    };
    const calmAlert = onDevice(inCalm.id, 'Calm');
    const otherAlert = onDevice(inOther.id, 'Other');
    await harness.sender.deliver(calmAlert);
    await harness.sender.deliver(otherAlert);
    await ilert.waitFor(() => sent(calmAlert).length === 1, 5000, 'the alert whose route turns the hold-down off');
    assert.deepEqual([jobs(harness, otherAlert)[0]!.status, jobs(harness, otherAlert)[0]!.reason], ['held', 'held: hold-down 1 h'], 'the default holds the other');
    await delivered(harness, calmAlert, 1, 'the ALERT');
    await harness.sender.deliver(resolveOf(calmAlert));
    assert.equal(jobs(harness, calmAlert)[1]!.reason, 'held: resolve grace 1 h', 'the route’s own grace');
    await stop(harness);
  } finally {
    await level.stop();
  }
});

test('RELAY_HOLD_DOWN_SECONDS and RELAY_RESOLVE_GRACE_SECONDS set the defaults, within bounds', () => {
  const settings = resolveSettings({ holdDownSeconds: 5 }, { RELAY_HOLD_DOWN_SECONDS: '600', RELAY_RESOLVE_GRACE_SECONDS: '300' });
  assert.deepEqual([settings.holdDownSeconds, settings.resolveGraceSeconds], [600, 300]);
  assert.deepEqual([resolveSettings({}, {}).holdDownSeconds, resolveSettings({}, {}).resolveGraceSeconds], [0, 0], 'off unless set');
  assert.throws(
    () => resolveSettings({}, { RELAY_HOLD_DOWN_SECONDS: '-5', RELAY_RESOLVE_GRACE_SECONDS: '90000' }),
    (error: unknown) =>
      error instanceof SettingsError &&
      error.problems.includes('holdDownSeconds (RELAY_HOLD_DOWN_SECONDS): must be 0 (off) or more') &&
      error.problems.includes('resolveGraceSeconds (RELAY_RESOLVE_GRACE_SECONDS): must be at most 86400 seconds (a day)'),
  );
});

test('kill -9 of a headless relay mid-hold: after the restart the same outcome (defaults from the environment)', { timeout: 90_000 }, async () => {
  const dataDir = tempDataDir('relay-flapping-kill-');
  const HOLD_DOWN = 12;
  const env = {
    RELAY_DATA_DIR: dataDir,
    LEVEL_WEBHOOK_SECRET: SECRET,
    ILERT_INTEGRATION_KEY: INTEGRATION_KEY,
    ILERT_API_URL: ilert.url,
    RELAY_HOLD_DOWN_SECONDS: String(HOLD_DOWN),
    RELAY_RESOLVE_GRACE_SECONDS: String(HOUR),
  };
  const children: ChildRelay[] = [];
  const start = async (port?: string) => {
    const child = await startChildRelay(port ? { ...env, RELAY_PORT: port } : env);
    children.push(child);
    return child;
  };
  const crash = async (child: ChildRelay) => {
    child.child.kill('SIGKILL');
    await child.exited;
  };
  try {
    const first = await start();
    const port = new URL(first.url).port;
    const sender = new LevelSender({ url: first.url, secret: SECRET, attempts: 1 });
    const firing = fresh('Still firing after the crash');
    const flapped = fresh('Fixed itself after the crash');
    const heldAt = Date.now();
    await sender.deliver(firing);
    await sender.deliver(flapped);
    // Out of order: Level's RESOLVE reaches the relay before the older ALERT it closes.
    const outOfOrder = alertEvent({ name: `Resolved before its ALERT came #${++names}`, occurredAt: new Date(heldAt - 60_000).toISOString() });
    const itsResolve = alertEvent({ eventType: 'alert_resolved', alertId: outOfOrder.data.id, name: outOfOrder.data.name, occurredAt: new Date(heldAt).toISOString() });
    itsResolve.data.device_id = outOfOrder.data.device_id;
    await sender.deliver(itsResolve);
    await sender.deliver(outOfOrder);
    // Far future: an ALERT dated 2099 counts as received now, so its RESOLVE after the crash is Level's last word.
    const farFuture = alertEvent({ name: `Dated 2099 #${++names}`, occurredAt: '2099-01-01T00:00:00.000Z' });
    await sender.deliver(farFuture);
    await crash(first);

    const second = await start(port);
    await sender.deliver(resolveOf(flapped));
    await sender.deliver(resolveOf(farFuture));
    assert.ok(Date.now() < heldAt + HOLD_DOWN * 1000, 'the flap resolved inside its hold-down (the restart took less than it)');
    await ilert.waitFor(() => sent(firing).length === 1, 30_000, 'the held-down ALERT after the crash');
    assert.ok(sent(firing)[0]!.at >= heldAt + HOLD_DOWN * 1000, 'not before its hold-down ended');

    // The grace: the RESOLVE of the alert ilert has waits; a crash; Level says it fires again.
    await sender.deliver(resolveOf(firing));
    await crash(second);
    await start(port);
    await sender.deliver(refireOf(firing));
    await ilert.waitFor(() => ilert.eventTypesFor(keyOf(firing)).join() === 'ALERT,COMMENT', 10_000, 'the COMMENT after the crash');
    assert.deepEqual(sent(flapped), [], 'resolved inside its hold-down: nothing sent, before or after the crash');
    // Its RESOLVE came first and went out (the relay cannot know ilert lacks the alert; a crash right
    // after sending may send it again, which ilert takes as the same resolve): the late ALERT pages nobody.
    assert.ok(!ilert.eventTypesFor(keyOf(outOfOrder)).includes('ALERT'), ilert.eventTypesFor(keyOf(outOfOrder)).join());
    assert.deepEqual(sent(farFuture), [], 'resolved inside its hold-down, whatever date it claimed');
    assert.equal(ilert.alertByKey(keyOf(firing))!.status, 'PENDING', 'the ilert alert stays open');
    // Each ends in the state Level reported last, with why nothing went out.
    const db = new DatabaseSync(path.join(dataDir, DATABASE_FILE), { readOnly: true });
    try {
      const state = (event: Event) => (db.prepare('SELECT state FROM alerts WHERE level_alert_id = ?').get(event.data.id) as { state: string }).state;
      assert.deepEqual([state(flapped), state(outOfOrder), state(farFuture), state(firing)], ['resolved', 'resolved', 'resolved', 'active']);
      const alertJob = (event: Event) =>
        db.prepare(`SELECT status, reason FROM outbox WHERE alert_key = ? AND event_type = 'ALERT'`).get(keyOf(event)) as { status: string; reason: string };
      assert.match(alertJob(farFuture).reason, /^flap: resolved after .*, within the 12 s hold-down$/);
      assert.deepEqual(
        { ...alertJob(outOfOrder), reason: alertJob(outOfOrder).reason.replace(/at \S+$/, 'at …') },
        { status: 'skipped', reason: 'skipped: stale — the alert was resolved at …' },
      );
    } finally {
      db.close();
    }
  } finally {
    for (const child of children) await stopChildRelay(child);
  }
});
