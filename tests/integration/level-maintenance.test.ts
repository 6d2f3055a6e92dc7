import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { callMethod } from '../../electron/core/api/handlers.ts';
import type { AlertRow, MethodName } from '../../shared/contract.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi } from '../fakes/fake-level-api.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { startRelay, startChildRelay, stopChildRelay, tempDataDir, INTEGRATION_KEY, FAST_TUNING, SECRET, type InProcessRelay } from '../helpers/relay-harness.ts';
import { diagnosesAt } from '../helpers/parts.ts';
import { contractCalls } from '../helpers/contract-calls.ts';

const { must } = contractCalls('Tess', 'admin');

// Issue 22, item 6: Level's own per-device maintenance mode, mirrored from device webhooks and from
// Level's API, shown on the device's alerts and in Routing, warned about by Health when it lasts,
// and pushed to every open dashboard.
const LEVEL_KEY = 'level-api-key-maintenance';
const [ilert, level] = await Promise.all([new FakeIlert().start(), new FakeLevelApi({ apiKey: LEVEL_KEY }).start()]);
const running: InProcessRelay[] = [];
after(async () => {
  await Promise.all(running.map((harness) => harness.stop()));
  await Promise.all([ilert.stop(), level.stop()]);
});

async function relay(settings: Record<string, unknown> = {}): Promise<InProcessRelay> {
  const harness = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY, ...settings }, FAST_TUNING, tempDataDir('relay-level-maint-'));
  running.push(harness);
  return harness;
}

/** A device_* (or group_*) webhook as Level sends it. */
function deviceEvent(data: Record<string, unknown>, eventType = 'device_updated') {
  return { event_type: eventType, event_id: randomUUID(), occurred_at: new Date().toISOString(), data };
}

async function alertRow(harness: InProcessRelay, levelAlertId: string): Promise<AlertRow> {
  const page = await must(harness, 'listAlerts', { levelAlertId }, 'viewer');
  const entry = page.rows[0];
  assert.equal(entry?.kind, 'alert', `alert ${levelAlertId} is listed`);
  return (entry as { kind: 'alert'; alert: AlertRow }).alert;
}

const HOUR = 3_600_000;
const maintenanceWarnings = (harness: InProcessRelay, now: number) => diagnosesAt(harness.relay, now).filter((finding) => finding.id.startsWith('level-maintenance-long:'));

test('a device webhook turns maintenance mode on and off: the alert and Routing show it, and Health warns once it lasts', async () => {
  const harness = await relay();
  await harness.sender.deliver(deviceEvent({ id: 'grp-acme', name: 'Acme', parent_id: null }, 'group_created'));
  await harness.sender.deliver(deviceEvent({ id: 'dev-204', hostname: 'FRONTDESK-01', group_id: 'grp-acme', maintenance_mode: false }, 'device_created'));
  const disk = alertEvent({ name: 'Low disk space' });
  await harness.sender.deliver(disk);
  assert.equal((await alertRow(harness, disk.data.id)).deviceMaintenanceSince, undefined, 'not in maintenance yet');

  const before = Date.now();
  await harness.sender.deliver(deviceEvent({ id: 'dev-204', hostname: 'FRONTDESK-01', group_id: 'grp-acme', maintenance_mode: true }));
  const since = (await alertRow(harness, disk.data.id)).deviceMaintenanceSince;
  assert.ok(since !== undefined && since >= before && since <= Date.now(), `the alert row says since when the device is in maintenance (${since})`);
  const routing = await must(harness, 'getRouting', {}, 'viewer');
  assert.equal(routing.rows.find((row) => row.groupId === 'grp-acme')?.devicesInMaintenance, 1, 'Routing counts it on its group');
  assert.equal(routing.summary.devicesInMaintenance, 1);

  // A partial webhook without the field keeps what is known, and the time it was first seen on.
  await harness.sender.deliver(deviceEvent({ id: 'dev-204', hostname: 'FRONTDESK-01' }));
  assert.equal((await alertRow(harness, disk.data.id)).deviceMaintenanceSince, since);

  // Health: nothing within the set time (default 24 h), one warning naming the device after it.
  assert.deepEqual(maintenanceWarnings(harness, since! + 23 * HOUR), []);
  const [warning, ...more] = maintenanceWarnings(harness, since! + 25 * HOUR);
  assert.equal(more.length, 0);
  assert.equal(warning?.id, 'level-maintenance-long:dev-204');
  assert.equal(warning?.level, 'warning');
  assert.match(warning!.title, /FRONTDESK-01 has been in Level’s maintenance mode for 25 h/);
  assert.match(warning!.detail, /never ends it by itself/);
  await must(harness, 'updateSettings', { levelMaintenanceWarnHours: 48 });
  assert.deepEqual(maintenanceWarnings(harness, since! + 25 * HOUR), [], 'the threshold is a setting');
  assert.equal(maintenanceWarnings(harness, since! + 49 * HOUR).length, 1);

  await harness.sender.deliver(deviceEvent({ id: 'dev-204', hostname: 'FRONTDESK-01', group_id: 'grp-acme', maintenance_mode: false }));
  assert.equal((await alertRow(harness, disk.data.id)).deviceMaintenanceSince, undefined, 'turned off in Level: the badge goes');
  assert.deepEqual(maintenanceWarnings(harness, since! + 49 * HOUR), [], 'and so does the warning');
  assert.equal((await must(harness, 'getRouting', {}, 'viewer')).summary.devicesInMaintenance, undefined, 'none in maintenance: no count to show');
});

test('a bad threshold is refused with its reason', async () => {
  const harness = await relay();
  const result = await callMethod(harness.api, 'updateSettings', { levelMaintenanceWarnHours: 0 }, { name: 'Tess', role: 'admin' });
  assert.ok(result.ok, 'updateSettings answers with the field errors');
  const value = result.value as { ok: boolean; errors?: Record<string, string> };
  assert.equal(value.ok, false);
  assert.match(value.errors?.levelMaintenanceWarnHours ?? '', /at least 1 hour/);
});

test('a sync from Level’s API mirrors maintenance_mode; a device that leaves Level no longer counts', async () => {
  const group = level.addGroup({ name: 'Contoso' });
  const device = level.addDevice({ hostname: 'CONTOSO-DC1', group_id: group.id, maintenance_mode: true });
  // The relay syncs at start too: the first sync that sees the device on is the time kept.
  const before = Date.now();
  const harness = await relay({ levelApiUrl: level.url, levelApiKey: LEVEL_KEY });
  const synced = await must(harness, 'syncLevel', {}, 'operator');
  assert.equal(synced.ok, true, JSON.stringify(synced));
  const event = alertEvent({ name: 'Service stopped', hostname: 'CONTOSO-DC1' });
  event.data.device_id = device.id;
  await harness.sender.deliver(event);
  const since = (await alertRow(harness, event.data.id)).deviceMaintenanceSince;
  assert.ok(since !== undefined && since >= before, 'in maintenance since the sync that first saw it on');
  assert.equal((await must(harness, 'getRouting', {}, 'viewer')).rows.find((row) => row.groupId === group.id)?.devicesInMaintenance, 1);
  assert.equal(maintenanceWarnings(harness, since! + 25 * HOUR)[0]?.id, `level-maintenance-long:${device.id}`);

  // A second sync while it stays on keeps the first time: Health counts from when it was turned on.
  await must(harness, 'syncLevel', {}, 'operator');
  assert.equal((await alertRow(harness, event.data.id)).deviceMaintenanceSince, since);

  level.devices.delete(device.id);
  await must(harness, 'syncLevel', {}, 'operator');
  assert.deepEqual(maintenanceWarnings(harness, since! + 25 * HOUR), [], 'a deleted device is nobody’s maintenance');
});

test('many devices in maintenance: five are named and the rest counted in one line', async () => {
  const harness = await relay();
  for (let n = 0; n < 8; n++) await harness.sender.deliver(deviceEvent({ id: `dev-m${n}`, hostname: `HOST-${n}`, maintenance_mode: true }));
  for (let n = 0; n < 50; n++) await harness.sender.deliver(deviceEvent({ id: `dev-ok${n}`, hostname: `OK-${n}`, maintenance_mode: false }));
  const found = maintenanceWarnings(harness, Date.now() + 25 * HOUR);
  assert.equal(found.length, 6);
  assert.equal(found.at(-1)?.id, 'level-maintenance-long:more');
  assert.match(found.at(-1)!.title, /^3 more devices/);
});

test('a second dashboard sees maintenance changes pushed: a window made elsewhere, and a device entering Level maintenance', { timeout: 60_000 }, async () => {
  const dataDir = tempDataDir('relay-level-maint-push-');
  const child = await startChildRelay({ RELAY_DATA_DIR: dataDir, LEVEL_WEBHOOK_SECRET: SECRET, ILERT_INTEGRATION_KEY: INTEGRATION_KEY, ILERT_API_URL: ilert.url });
  const admin = new URL(child.adminUrl);
  const auth = { authorization: `Bearer ${admin.searchParams.get('token')}` };
  const controller = new AbortController();
  try {
    const sender = new LevelSender({ url: child.url, secret: SECRET, attempts: 1 });
    const disk = alertEvent({ name: 'Disk on a device about to be patched' });
    await sender.deliver(disk);

    // The second dashboard: its own live-update stream, as an open browser tab or an attached tray app holds one.
    const stream = await fetch(`${admin.origin}/api/events`, { headers: auth, signal: controller.signal });
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    let seen = '';
    const nextChanges = async (what: string, predicate: (changes: { setup?: boolean; alerts: string[] }) => boolean) => {
      const timer = setTimeout(() => controller.abort(new Error(`no pushed change for ${what} within 10 s:\n${seen}`)), 10_000);
      try {
        for (;;) {
          for (const frame of seen.split('\n\n').slice(0, -1)) {
            const data = /^event: changes\ndata: (.*)$/m.exec(frame)?.[1];
            if (data && predicate(JSON.parse(data) as { setup?: boolean; alerts: string[] })) {
              seen = seen.slice(seen.indexOf(frame) + frame.length + 2);
              return;
            }
          }
          seen = seen.slice(seen.lastIndexOf('\n\n') + 2);
          const { value, done } = await reader.read();
          if (done) assert.fail(`the stream ended while waiting for ${what}`);
          seen += new TextDecoder().decode(value);
        }
      } finally {
        clearTimeout(timer);
      }
    };
    const adminCall = async (method: MethodName, input: unknown) => {
      const response = await fetch(`${admin.origin}/api/${method}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(input) });
      assert.equal(response.status, 200, await response.clone().text());
      return response.json() as Promise<{ id: number }>;
    };

    const window = await adminCall('createMaintenanceWindow', {
      name: 'Patch night',
      scope: { all: true },
      start: new Date().toISOString(),
      end: new Date(Date.now() + HOUR).toISOString(),
    });
    await nextChanges('the window made by another dashboard', (changes) => changes.setup === true);
    await adminCall('endMaintenanceWindow', { id: window.id });
    await nextChanges('the window ended by another dashboard', (changes) => changes.setup === true);

    await sender.deliver(deviceEvent({ id: 'dev-204', hostname: 'FRONTDESK-01', maintenance_mode: true }));
    await nextChanges('the device’s alert, now in Level maintenance', (changes) => changes.alerts.includes(disk.data.id));
  } finally {
    controller.abort();
    await stopChildRelay(child);
  }
});
