import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import type { AlertRow, DeliveryDetail, MethodName, PushedEvent, Role, WindowView } from '../../shared/contract.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
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
  OWNER,
  type ChildRelay,
  type InProcessRelay,
} from '../helpers/relay-harness.ts';
import { jobsFor, waitForChange, waitForEvent, type JobRow } from '../helpers/wait.ts';
import { alertsById, processed } from '../helpers/parts.ts';
import { contractCalls } from '../helpers/contract-calls.ts';

const { call, must } = contractCalls('Tess', 'operator');

// Each rule of issue 22's "What a window does" against the fake ilert, through the real receiver
// (the Level sender signs as Level does) and a real SQLite file.
const ilert = await new FakeIlert().start();
const OTHER_KEY = 'il1api-night-shift-target-01';
ilert.acceptedKeys.add(OTHER_KEY);
const running: InProcessRelay[] = [];
after(async () => {
  await Promise.all(running.map((harness) => harness.stop()));
  await ilert.stop();
});

async function relay(dataDir = tempDataDir('relay-windows-'), settings: Record<string, unknown> = {}): Promise<InProcessRelay> {
  const harness = await startRelay(
    { ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY, ilertTargets: [{ name: 'Night', integrationKey: OTHER_KEY }], ...settings },
    FAST_TUNING,
    dataDir,
  );
  running.push(harness);
  return harness;
}

async function stop(harness: InProcessRelay): Promise<void> {
  await harness.stop();
  running.splice(running.indexOf(harness), 1);
}

/** A contract call as a dashboard makes it, with the role checks and input validation of both doors. */

const iso = (ms: number) => new Date(ms).toISOString();
const keyOf = (event: { data: { id: string } }) => `level-alert-${event.data.id}`;
const resolveOf = (event: ReturnType<typeof alertEvent>) => alertEvent({ eventType: 'alert_resolved', alertId: event.data.id });

/** A one-off window over everything, open now, ending after `ms`. */
function windowFor(ms: number, overrides: Record<string, unknown> = {}) {
  return { name: 'Patch night', reason: 'monthly patches', scope: { all: true }, start: iso(Date.now() - 60_000), end: iso(Date.now() + ms), ...overrides };
}

function alertRow(harness: InProcessRelay, levelAlertId: string): AlertRow {
  return alertsById(harness.relay, [levelAlertId])[0]!;
}

/** Sends an alert no open window covers and waits until ilert has it: every pass that could have sent something earlier has run. */
async function witness(harness: InProcessRelay): Promise<void> {
  const event = alertEvent({ name: 'witness' });
  event.data.device_id = 'dev-witness';
  await harness.sender.deliver(event);
  await ilert.waitFor(() => ilert.eventsFor(keyOf(event)).length === 1, 5000, 'the witness alert');
}

test('windows are saved with their checks, audited, listed with their state, and pushed to open dashboards', async () => {
  const harness = await relay();
  const pushed: PushedEvent<'changes'>[] = [];
  harness.relay.events.on('changes', (changes) => pushed.push(changes));

  const refused = async (input: unknown, status: number, message: RegExp, role: Role = 'operator') => {
    const result = await call(harness, 'createMaintenanceWindow', input, role);
    assert.equal(result.ok, false, JSON.stringify(input));
    if (!result.ok) {
      assert.equal(result.status, status);
      assert.match(result.error.message, message);
    }
  };
  const weekly = { name: 'Nightly', scope: { group: 'grp-1' }, days: ['mon', 'tue'], start: '22:00', end: '06:00', timeZone: 'Europe/Berlin' };
  await refused(weekly, 403, /Creating a maintenance window needs an operator or an admin of this relay/, 'viewer');
  await refused({ ...weekly, end: '22:00' }, 400, /same time/);
  await refused({ ...weekly, timeZone: 'Europe/Atlantis' }, 400, /unknown time zone “Europe\/Atlantis”/);
  await refused({ ...weekly, timeZone: undefined }, 400, /needs a timeZone/);
  await refused({ ...weekly, days: ['someday'] }, 400, /days/);
  await refused(windowFor(60_000, { end: '2026-12-08T06:00' }), 400, /end must be an ISO time with its zone/);
  await refused(windowFor(60_000, { end: iso(Date.now() - 1000) }), 400, /already be over/);
  await refused(windowFor(60_000, { scope: { group: 'grp-1', device: 'dev-1' } }), 400, /scope/);
  await refused(windowFor(60_000, { name: 'x'.repeat(121) }), 400, /name/);
  await refused({ ...windowFor(60_000), extra: 1 }, 400, /extra/);
  assert.deepEqual(await must(harness, 'listMaintenanceWindows', {}), [], 'nothing refused was saved');

  const once = await must(harness, 'createMaintenanceWindow', windowFor(3_600_000, { scope: { target: 'Night' } }));
  const nightly = await must(harness, 'createMaintenanceWindow', weekly);
  assert.equal(once.state, 'active');
  assert.equal(once.createdBy, 'Tess (operator)');
  assert.ok(once.activeUntil! > Date.now());
  assert.equal(nightly.kind, 'weekly');
  assert.ok(nightly.state === 'active' || nightly.nextStart! > Date.now());
  await waitForEvent(harness.relay.events as EventEmitter, 'changes', () => pushed.some((changes) => changes.setup), 5000, 'a pushed change for the new windows');

  const ended = await must(harness, 'endMaintenanceWindow', { id: once.id });
  assert.equal(ended.state, 'ended');
  assert.equal(ended.endedBy, 'Tess (operator)');
  const unknown = await call(harness, 'endMaintenanceWindow', { id: 999 });
  assert.equal(unknown.ok ? 200 : unknown.status, 404);

  const listed = await must(harness, 'listMaintenanceWindows', {});
  assert.deepEqual(
    listed.map((window: WindowView) => [window.name, window.state === 'ended' ? 'ended' : 'open']),
    [
      ['Nightly', 'open'],
      ['Patch night', 'ended'],
    ],
  );
  const audit = (await must(harness, 'listAudit', { limit: 10 })).map((entry) => `${entry.actor}: ${entry.detail}`);
  assert.ok(
    audit.some((line) => /Tess \(operator\): created maintenance window \d+ “Patch night”: ilert target Night, from .* \(monthly patches\)/.test(line)),
    audit.join('\n'),
  );
  assert.ok(audit.some((line) => /created maintenance window \d+ “Nightly”: Level group grp-1 and the groups under it, every mon, tue 22:00–06:00 Europe\/Berlin/.test(line)));
  assert.ok(audit.some((line) => line === `Tess (operator): ended maintenance window ${once.id} “Patch night”; what it held is released`));
  await stop(harness);
});

test('an alert raised and resolved inside a window sends nothing to ilert, and the ledger says why', async () => {
  const harness = await relay();
  await must(harness, 'createMaintenanceWindow', windowFor(3_600_000));
  const reboot = alertEvent({ name: 'Host rebooted' });
  await harness.sender.deliver(reboot);

  const [held] = jobsFor(harness.relay, keyOf(reboot));
  assert.equal(held!.status, 'held');
  assert.equal(held!.reason, 'held: maintenance window “Patch night”');
  const row = alertRow(harness, reboot.data.id);
  assert.equal(row.forwarding?.status, 'held');
  assert.equal(row.forwarding?.held?.reason, 'held: maintenance window “Patch night”');
  assert.ok(row.forwarding!.held!.until! > Date.now(), 'the alert says until when');
  const deliveries = (await must(harness, 'listDeliveries', { filter: { statuses: ['held'] } })).rows;
  assert.equal(deliveries.length, 1, 'the delivery log can show the held ones');
  const detail: DeliveryDetail = await must(harness, 'getDelivery', { id: deliveries[0]!.id });
  assert.equal(detail.status, 'held');
  assert.equal(detail.jobs[0]!.held?.reason, 'held: maintenance window “Patch night”');

  await harness.sender.deliver(resolveOf(reboot));
  const jobs = jobsFor(harness.relay, keyOf(reboot));
  assert.deepEqual(
    jobs.map((job) => [job.event_type, job.status]),
    [
      ['ALERT', 'skipped'],
      ['RESOLVE', 'skipped'],
    ],
  );
  const resolvedRow = alertRow(harness, reboot.data.id);
  assert.equal(resolvedRow.state, 'resolved');
  const alertJob = (await must(harness, 'getDelivery', { id: deliveries[0]!.id })).jobs[0]!;
  assert.deepEqual(alertJob.held, { reason: 'held: maintenance window “Patch night”', until: alertJob.held!.until, released: 'resolved while held: nothing sent' });

  const [window] = await must(harness, 'listMaintenanceWindows', {});
  await must(harness, 'endMaintenanceWindow', { id: window!.id });
  await witness(harness);
  assert.deepEqual(ilert.eventsFor(keyOf(reboot)), [], 'ilert never heard of the reboot');
  await stop(harness);
});

test('an alert still firing when its window ends is sent then, through the outbox', async () => {
  const harness = await relay();
  // The alerts of the Level sender are on device dev-204.
  const window = await must(harness, 'createMaintenanceWindow', windowFor(1500, { scope: { device: 'dev-204' } }));
  const disk = alertEvent({ name: 'Disk still full' });
  await harness.sender.deliver(disk);
  await witness(harness);
  assert.equal(jobsFor(harness.relay, keyOf(disk))[0]!.status, 'held', 'not sent while the window is open');

  await ilert.waitFor(() => ilert.eventsFor(keyOf(disk)).length === 1, 10_000, 'the held ALERT after the window');
  const [sent] = ilert.eventsFor(keyOf(disk));
  assert.equal(sent!.eventType, 'ALERT');
  assert.ok(sent!.at >= window.activeUntil!, `sent at ${iso(sent!.at)}, the window ended at ${iso(window.activeUntil!)}`);
  await waitForChange(harness.relay, () => jobsFor(harness.relay, keyOf(disk))[0]!.status === 'delivered', 5000, 'the ALERT to be delivered');
  const row = alertRow(harness, disk.data.id);
  assert.equal(row.forwarding?.held?.reason, 'held: maintenance window “Patch night”', 'the alert still shows it was held');
  assert.match(row.forwarding?.held?.released ?? '', /^sent when the hold ended at /);
  assert.equal((await must(harness, 'listMaintenanceWindows', {}))[0]!.state, 'ended');
  await stop(harness);
});

test('a resolve is never held: an alert opened before the window sends its RESOLVE inside it, and open ilert alerts are untouched', async () => {
  const harness = await relay();
  const before = alertEvent({ name: 'Opened before' });
  const stays = alertEvent({ name: 'Stays open' });
  await harness.sender.deliver(before);
  await harness.sender.deliver(stays);
  await ilert.waitFor(() => ilert.eventsFor(keyOf(before)).length === 1 && ilert.eventsFor(keyOf(stays)).length === 1, 5000, 'both ALERTs');

  const window = await must(harness, 'createMaintenanceWindow', windowFor(3_600_000));
  await harness.sender.deliver(resolveOf(before));
  await ilert.waitFor(() => ilert.eventTypesFor(keyOf(before)).join() === 'ALERT,RESOLVE', 5000, 'the RESOLVE inside the window');
  assert.equal(ilert.alertByKey(keyOf(before))!.status, 'RESOLVED');

  // Level reports an alert that is open in ilert again inside the window, then resolves it: the
  // repeat is held, the RESOLVE goes at once, and the repeat must not reopen the alert at the end.
  const again = alertEvent({ alertId: stays.data.id, name: 'Stays open' });
  await harness.sender.deliver(again);
  assert.deepEqual(
    jobsFor(harness.relay, keyOf(stays)).map((job) => job.status),
    ['delivered', 'held'],
  );
  const flapper = alertEvent({ name: 'Opened before, repeated, resolved' });
  await harness.sender.deliver(flapper);
  await must(harness, 'endMaintenanceWindow', { id: window.id });
  await ilert.waitFor(() => ilert.eventsFor(keyOf(flapper)).length === 1, 5000, 'the third alert, held and released');
  const window2 = await must(harness, 'createMaintenanceWindow', windowFor(3_600_000, { name: 'Second night' }));
  await harness.sender.deliver(alertEvent({ alertId: flapper.data.id, name: flapper.data.name }));
  await harness.sender.deliver(resolveOf(flapper));
  await ilert.waitFor(() => ilert.eventTypesFor(keyOf(flapper)).join() === 'ALERT,RESOLVE', 5000, 'the RESOLVE of the repeated alert');
  await must(harness, 'endMaintenanceWindow', { id: window2.id });
  await witness(harness);
  assert.deepEqual(ilert.eventTypesFor(keyOf(flapper)), ['ALERT', 'RESOLVE'], 'the held repeat was dropped, not sent after the resolve');
  assert.equal(ilert.alertByKey(keyOf(flapper))!.status, 'RESOLVED');
  assert.equal(jobsFor(harness.relay, keyOf(flapper))[1]!.reason, 'skipped: the alert was resolved while it was held');
  // Neither resolved nor closed by the window; the repeat, still firing at its end, joined the open alert (same alertKey).
  assert.deepEqual(ilert.eventTypesFor(keyOf(stays)), ['ALERT', 'ALERT']);
  assert.deepEqual(
    ilert.alerts.filter((alert) => alert.alertKey === keyOf(stays)).map((alert) => [alert.status, alert.eventCount]),
    [['PENDING', 2]],
  );
  await stop(harness);
});

test('ending a window early releases what it held at once; a window still open keeps holding what it covers', async () => {
  const harness = await relay();
  const everything = await must(harness, 'createMaintenanceWindow', windowFor(3_600_000));
  const cpu = alertEvent({ name: 'CPU high' });
  const swap = alertEvent({ name: 'Server offline' });
  swap.data.device_id = 'dev-swap';
  await harness.sender.deliver(cpu);
  await harness.sender.deliver(swap);
  assert.equal(jobsFor(harness.relay, keyOf(swap))[0]!.reason, 'held: maintenance window “Patch night”');
  // Made after the alert came in: it still keeps that alert quiet once the first window is gone.
  const device = await must(harness, 'createMaintenanceWindow', windowFor(7_200_000, { name: 'Server swap', scope: { device: 'dev-swap' } }));

  const endedAt = Date.now();
  await must(harness, 'endMaintenanceWindow', { id: everything.id });
  await ilert.waitFor(() => ilert.eventsFor(keyOf(cpu)).length === 1, 5000, 'the released ALERT');
  assert.ok(ilert.eventsFor(keyOf(cpu))[0]!.at - endedAt < 3000, 'at once, not at the window’s planned end');
  await witness(harness);
  assert.deepEqual(ilert.eventsFor(keyOf(swap)), [], 'the device’s own window still holds its alert');
  const [stillHeld] = jobsFor(harness.relay, keyOf(swap));
  assert.deepEqual([stillHeld!.status, stillHeld!.reason], ['held', 'held: maintenance window “Server swap”']);
  assert.equal((await must(harness, 'listMaintenanceWindows', {})).find((window) => window.id === device.id)!.held, 1);

  await must(harness, 'endMaintenanceWindow', { id: device.id });
  await ilert.waitFor(() => ilert.eventsFor(keyOf(swap)).length === 1, 5000, 'the swap alert once its window ended');
  await stop(harness);
});

test('send now forwards one held alert anyway: operators only, audited', async () => {
  const harness = await relay();
  await must(harness, 'createMaintenanceWindow', windowFor(3_600_000, { scope: { device: 'dev-204' } }));
  const urgent = alertEvent({ name: 'Backup failed' });
  const quiet = alertEvent({ name: 'Patch reboot' });
  await harness.sender.deliver(urgent);
  await harness.sender.deliver(quiet);

  const viewer = await call(harness, 'sendHeldNow', { alertId: urgent.data.id }, 'viewer');
  assert.equal(viewer.ok ? 200 : viewer.status, 403);
  assert.deepEqual(await must(harness, 'sendHeldNow', { alertId: urgent.data.id }), { released: 1 });
  await ilert.waitFor(() => ilert.eventsFor(keyOf(urgent)).length === 1, 5000, 'the alert sent by hand');
  assert.match(alertRow(harness, urgent.data.id).forwarding?.held?.released ?? '', /^sent by hand by Tess \(operator\) at /);

  const again = await call(harness, 'sendHeldNow', { alertId: urgent.data.id });
  assert.equal(again.ok ? 200 : again.status, 409, 'nothing is held any more');
  assert.match(again.ok ? '' : again.error.message, /has nothing held/);
  await witness(harness);
  assert.deepEqual(ilert.eventsFor(keyOf(quiet)), [], 'only the one alert was sent');
  const audit = (await must(harness, 'listAudit', { limit: 5 })).map((entry) => entry.detail);
  assert.ok(audit.includes(`sent 1 held event(s) of alert ${urgent.data.id} now`), audit.join('\n'));
  await stop(harness);
});

test('a restart during a window gives the same outcome: resolved ones send nothing, the one still firing is sent at the end', async () => {
  const dataDir = tempDataDir('relay-windows-restart-');
  let harness = await relay(dataDir);
  const window = await must(harness, 'createMaintenanceWindow', windowFor(2500));
  const firing = alertEvent({ name: 'Still firing' });
  const flapped = alertEvent({ name: 'Fixed itself' });
  await harness.sender.deliver(firing);
  await harness.sender.deliver(flapped);
  await stop(harness);

  harness = await relay(dataDir);
  await harness.sender.deliver(resolveOf(flapped));
  assert.equal((await must(harness, 'listMaintenanceWindows', {}))[0]!.state, 'active', 'the window survived the restart');
  await ilert.waitFor(() => ilert.eventsFor(keyOf(firing)).length === 1, 10_000, 'the held ALERT after the restart');
  assert.ok(ilert.eventsFor(keyOf(firing))[0]!.at >= window.activeUntil!);
  await witness(harness);
  assert.deepEqual(ilert.eventsFor(keyOf(flapped)), []);
  await stop(harness);
});

test('scope: a group’s window covers its subgroups, a target’s window only that target, and nothing else', async () => {
  const LEVEL_KEY = 'level-read-only-key';
  const level = await new FakeLevelApi({ apiKey: LEVEL_KEY }).start();
  try {
    const acme = level.addGroup({ name: 'Acme' });
    const hq = level.addGroup({ name: 'HQ', parent_id: acme.id });
    const beta = level.addGroup({ name: 'Beta' });
    const other = level.addGroup({ name: 'Other' });
    const inHq = level.addDevice({ hostname: 'HQ-SRV-01', group_id: hq.id });
    const inBeta = level.addDevice({ hostname: 'BETA-PC', group_id: beta.id });
    const inOther = level.addDevice({ hostname: 'OTHER-PC', group_id: other.id });
    const harness = await relay(undefined, { levelApiUrl: level.url, levelApiKey: LEVEL_KEY });
    await harness.api.syncLevel({}, OWNER);
    assert.equal((await call(harness, 'setGroupRoute', { groupId: beta.id, route: { target: 'Night' } }, 'admin')).ok, true);
    await must(harness, 'createMaintenanceWindow', windowFor(3_600_000, { name: 'Acme patching', scope: { group: acme.id } }));
    await must(harness, 'createMaintenanceWindow', windowFor(3_600_000, { name: 'Night target', scope: { target: 'Night' } }));

    const onDevice = (deviceId: string) => {
      const event = alertEvent({ name: `on ${deviceId}` });
      event.data.device_id = deviceId;
      // Level still lists it as active, so reconciliation leaves it alone.
      level.addAlert({ ...event.data, severity: 'critical' });
      return event;
    };
    const hqAlert = onDevice(inHq.id);
    const betaAlert = onDevice(inBeta.id);
    const otherAlert = onDevice(inOther.id);
    for (const event of [hqAlert, betaAlert, otherAlert]) await harness.sender.deliver(event);
    const job = (event: ReturnType<typeof alertEvent>) => jobsFor(harness.relay, keyOf(event))[0] as JobRow & { target: string };
    assert.deepEqual([job(hqAlert).status, job(hqAlert).reason], ['held', 'held: maintenance window “Acme patching”'], 'HQ inherits Acme’s window');
    assert.deepEqual([job(betaAlert).status, job(betaAlert).target, job(betaAlert).reason], ['held', 'Night', 'held: maintenance window “Night target”']);
    await ilert.waitFor(() => ilert.eventsFor(keyOf(otherAlert)).length === 1, 5000, 'the alert no window covers');
    assert.deepEqual(ilert.eventsFor(keyOf(hqAlert)), []);
    assert.deepEqual(ilert.eventsFor(keyOf(betaAlert)), []);
    await stop(harness);
  } finally {
    await level.stop();
  }
});

test('with a Level API key, what a window held is confirmed with Level before it is sent: one resolved in Level meanwhile sends nothing', async () => {
  const LEVEL_KEY = 'level-read-only-key';
  const level = await new FakeLevelApi({ apiKey: LEVEL_KEY }).start();
  try {
    const device = level.addDevice({ hostname: 'FRONTDESK-01' });
    const harness = await relay(undefined, { levelApiUrl: level.url, levelApiKey: LEVEL_KEY });
    const window = await must(harness, 'createMaintenanceWindow', windowFor(3_600_000, { scope: { device: device.id } }));
    const onDevice = (name: string) => {
      const event = alertEvent({ name });
      event.data.device_id = device.id;
      level.addAlert({ ...event.data, severity: 'critical' });
      return event;
    };
    const firing = onDevice('Still firing in Level');
    const missed = onDevice('Resolved in Level, webhook lost');
    await harness.sender.deliver(firing);
    await harness.sender.deliver(missed);
    await processed(harness.relay);
    // Level resolves it, but its alert_resolved webhook never reaches the relay.
    level.resolveAlert(missed.data.id);

    await must(harness, 'endMaintenanceWindow', { id: window.id });
    await ilert.waitFor(() => ilert.eventsFor(keyOf(firing)).length === 1, 10_000, 'the alert Level still reports');
    await witness(harness);
    assert.deepEqual(ilert.eventsFor(keyOf(missed)), [], 'Level said it was over: nobody is paged for it');
    // (Reconciliation at start may also have backfilled the alert: an ALERT more, held and dropped the same way.)
    const jobs = jobsFor(harness.relay, keyOf(missed));
    assert.deepEqual(new Set(jobs.map((job) => job.status)), new Set(['skipped']), 'everything held for it was dropped');
    assert.equal(jobs.at(-1)!.event_type, 'RESOLVE', 'by the resolve reconciliation made from Level’s answer');
    assert.ok(level.requestsTo(`/alerts/${missed.data.id}`).length > 0, 'Level was asked about the held alert');
    await stop(harness);
  } finally {
    await level.stop();
  }
});

test('kill -9 of a headless relay during a window: after the restart the same outcome', { timeout: 60_000 }, async () => {
  const dataDir = tempDataDir('relay-windows-kill-');
  const env = { RELAY_DATA_DIR: dataDir, LEVEL_WEBHOOK_SECRET: SECRET, ILERT_INTEGRATION_KEY: INTEGRATION_KEY, ILERT_API_URL: ilert.url };
  const first = await startChildRelay(env);
  const adminCall = async (child: ChildRelay, method: MethodName, input: unknown) => {
    const admin = new URL(child.adminUrl);
    const response = await fetch(`${admin.origin}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.searchParams.get('token')}` },
      body: JSON.stringify(input),
    });
    assert.equal(response.status, 200, await response.clone().text());
    return response.json() as Promise<WindowView>;
  };
  const sent = (event: { data: { id: string } }) => ilert.eventsFor(keyOf(event));
  try {
    const window = await adminCall(first, 'createMaintenanceWindow', windowFor(3_600_000, { scope: { device: 'dev-204' } }));
    const firing = alertEvent({ name: 'Still firing after the crash' });
    const flapped = alertEvent({ name: 'Fixed itself after the crash' });
    const sender = new LevelSender({ url: first.url, secret: SECRET, attempts: 1 });
    await sender.deliver(firing);
    await sender.deliver(flapped);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startChildRelay({ ...env, RELAY_PORT: new URL(first.url).port });
    try {
      await sender.deliver(resolveOf(flapped));
      const beforeEnd = alertEvent({ name: 'witness' });
      beforeEnd.data.device_id = 'dev-witness';
      await sender.deliver(beforeEnd);
      await ilert.waitFor(() => sent(beforeEnd).length === 1, 5000, 'the witness after the restart');
      assert.deepEqual(sent(firing), [], 'still held after the restart');

      await adminCall(second, 'endMaintenanceWindow', { id: window.id });
      await ilert.waitFor(() => sent(firing).length === 1, 5000, 'the held ALERT once the window ended');
      const afterEnd = alertEvent({ name: 'witness 2' });
      afterEnd.data.device_id = 'dev-witness';
      await sender.deliver(afterEnd);
      await ilert.waitFor(() => sent(afterEnd).length === 1, 5000, 'a second witness');
      assert.deepEqual(sent(flapped), [], 'resolved inside the window: nothing sent, before or after the crash');
    } finally {
      await stopChildRelay(second);
    }
  } finally {
    await stopChildRelay(first);
  }
});
