/**
 * The alert board found by what technicians think in: a client (the Level group path), a Level
 * alert id or device id pasted from Level, a severity; and the severity counts leave out alerts
 * routing skipped, since those never page anyone.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { callMethod } from '../../electron/core/api/handlers.ts';
import type { AlertPage, AlertPageInput } from '../../shared/contract.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi } from '../fakes/fake-level-api.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, startRelay, OWNER } from '../helpers/relay-harness.ts';
import { waitForChange } from '../helpers/wait.ts';
import { alertsById } from '../helpers/parts.ts';

const LEVEL_KEY = 'level-read-only-key';
const [ilert, level] = await Promise.all([new FakeIlert().start(), new FakeLevelApi({ apiKey: LEVEL_KEY }).start()]);
const acme = level.addGroup({ name: 'Acme' });
const hq = level.addGroup({ name: 'HQ', parent_id: acme.id });
const acmeBeta = level.addGroup({ name: 'Acme Beta' });
const acmeOld = level.addGroup({ name: 'Acme (old)' }); // sorts between "Acme" and "Acme / …"
const oldDevice = level.addDevice({ hostname: 'OLD-PC', group_id: acmeOld.id });
const hqDevice = level.addDevice({ hostname: 'HQ-SQL', group_id: hq.id });
const betaDevice = level.addDevice({ hostname: 'BETA-PC', group_id: acmeBeta.id });
const harness = await startRelay({ ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: ilert.url, levelApiUrl: level.url, levelApiKey: LEVEL_KEY });
await harness.api.syncLevel({}, OWNER);
await harness.api.setGroupRoute({ groupId: acme.id, route: { target: 'default', minSeverity: 'critical' } }, OWNER);
after(async () => {
  await harness?.stop();
  await Promise.all([ilert?.stop(), level?.stop()]);
});

function alertOn(deviceId: string, severity: string) {
  const event = alertEvent({ severity });
  event.data.device_id = deviceId;
  return event;
}

const critical = alertOn(hqDevice.id, 'critical');
const skipped = alertOn(hqDevice.id, 'warning');
const warning = alertOn(betaDevice.id, 'warning');
const old = alertOn(oldDevice.id, 'information');
for (const event of [critical, skipped, warning, old]) await harness.sender.deliver(event);
await waitForChange(
  harness.relay,
  () => alertsById(harness.relay, [critical.data.id, skipped.data.id, warning.data.id, old.data.id]).every((alert) => alert.forwarding),
  5000,
  'four routed alerts',
);

async function page(input: Partial<AlertPageInput>): Promise<AlertPage> {
  const result = await callMethod(harness.api, 'listAlerts', { groupBy: 'none', ...input });
  if (!result.ok) throw new Error(result.error.message);
  return result.value as AlertPage;
}
const ids = async (input: Partial<AlertPageInput>) => (await page(input)).rows.map((entry) => (entry.kind === 'alert' ? entry.alert.levelAlertId : entry.key)).sort();

test('the severity counts leave out an alert routing skipped (under its route’s minimum severity)', async () => {
  assert.equal(alertsById(harness.relay, [skipped.data.id])[0]!.forwarding!.status, 'skipped');
  const { counts } = await page({});
  assert.equal(counts.critical, 1);
  assert.equal(counts.warning, 1, 'two warnings are active, one of them skipped');
});

test('a client filter takes the group and the groups under it, not a client whose name merely starts the same', async () => {
  assert.deepEqual(await ids({ client: 'Acme' }), [critical.data.id, skipped.data.id].sort());
  assert.deepEqual(await ids({ client: 'Acme / HQ' }), [critical.data.id, skipped.data.id].sort());
  assert.deepEqual(await ids({ client: 'Acme Beta' }), [warning.data.id]);
  assert.deepEqual(await ids({ client: 'Ac' }), []);
  assert.deepEqual(await ids({ client: 'Acme (old)' }), [old.data.id]);
  const grouped = await page({ client: 'Acme Beta', groupBy: 'name' });
  assert.equal(grouped.total, 1);
});

test('a Level alert id or a device id finds its alerts exactly', async () => {
  assert.deepEqual(await ids({ find: warning.data.id }), [warning.data.id]);
  assert.deepEqual(await ids({ find: hqDevice.id }), [critical.data.id, skipped.data.id].sort());
  assert.deepEqual(await ids({ find: warning.data.id.slice(0, -1) }), [], 'exact, not a prefix');
});

test('a severity filter lists that severity only, skipped alerts included (they are still active)', async () => {
  assert.deepEqual(await ids({ severity: 'warning' }), [skipped.data.id, warning.data.id].sort());
  assert.deepEqual(await ids({ severity: 'warning', client: 'Acme Beta' }), [warning.data.id]);
  assert.equal((await page({ severity: 'emergency' })).total, 0);
});

test('filters are bounded and checked', async () => {
  const refused = await callMethod(harness.api, 'listAlerts', { severity: 'loud' });
  assert.equal(refused.ok, false);
  const tooLong = await callMethod(harness.api, 'listAlerts', { find: 'x'.repeat(1001) });
  assert.equal(tooLong.ok, false);
});
