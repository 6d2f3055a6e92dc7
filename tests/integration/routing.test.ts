/**
 * Group routing end to end: one Level webhook, many ilert alert sources. A fake Level API says
 * which group each device is in; the relay routes by the nearest mapped group and the fake ilert
 * shows which integration key each event carried.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi } from '../fakes/fake-level-api.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { FAST_TUNING, INTEGRATION_KEY, startRelay, OWNER } from '../helpers/relay-harness.ts';
import { waitForChange } from '../helpers/wait.ts';
import { alertKeyFor } from '../../electron/core/ilert/event-mapping.ts';
import type { LevelAlert } from '../../electron/core/level/envelope.ts';
import { alertsById, probe } from '../helpers/parts.ts';
import { callMethod } from '../../electron/core/api/handlers.ts';

const ACME_KEY = 'il1api-acme-0000000001';
const SERVERS_KEY = 'il1api-acme-servers-02';
const LEVEL_KEY = 'level-read-only-key';

const ids: Record<string, string> = {};

const [ilert, level] = await Promise.all([new FakeIlert().start(), new FakeLevelApi({ apiKey: LEVEL_KEY }).start()]);
for (const key of [ACME_KEY, SERVERS_KEY]) ilert.acceptedKeys.add(key);
// Acme / HQ / Servers / Rack 1, Acme / Branch, and Beta (unmapped)
const acme = level.addGroup({ name: 'Acme' });
const hq = level.addGroup({ name: 'HQ', parent_id: acme.id });
const servers = level.addGroup({ name: 'Servers', parent_id: hq.id });
const rack = level.addGroup({ name: 'Rack 1', parent_id: servers.id });
const branch = level.addGroup({ name: 'Branch', parent_id: acme.id });
const beta = level.addGroup({ name: 'Beta' });
Object.assign(ids, { acme: acme.id, hq: hq.id, servers: servers.id, rack: rack.id, branch: branch.id, beta: beta.id });
ids.rackDevice = level.addDevice({
  hostname: 'RACK1-SQL',
  group_id: rack.id,
  platform: 'Windows',
  operating_system: { full_operating_system: 'Microsoft Windows Server 2022 Standard', major_version: '10', minor_version: '20348', architecture: 'x64' },
  last_logged_in_user: 'ACME\\admin',
}).id;
ids.branchDevice = level.addDevice({ hostname: 'BRANCH-PC', group_id: branch.id }).id;
ids.betaDevice = level.addDevice({ hostname: 'BETA-PC', group_id: beta.id }).id;
const harness = await startRelay({
  ilertIntegrationKey: INTEGRATION_KEY,
  ilertApiUrl: ilert.url,
  ilertTargets: [
    { name: 'Acme', integrationKey: ACME_KEY },
    { name: 'Acme servers', integrationKey: SERVERS_KEY },
  ],
  levelApiUrl: level.url,
  levelApiKey: LEVEL_KEY,
});
await harness.api.syncLevel({}, OWNER);
await harness.api.setGroupRoute({ groupId: ids.acme!, route: { target: 'Acme' } }, OWNER);
await harness.api.setGroupRoute({ groupId: ids.servers!, route: { target: 'Acme servers', routingKey: 'acme-servers-oncall' } }, OWNER);

after(async () => {
  await harness?.stop();
  await Promise.all([ilert?.stop(), level?.stop()]);
});

function alertOn(deviceId: string, overrides: Parameters<typeof alertEvent>[0] = {}) {
  const event = alertEvent(overrides);
  event.data.device_id = deviceId;
  return event;
}

async function forwarded(event: { data: { id: string } }, eventType = 'ALERT') {
  const key = alertKeyFor(event.data.id);
  await ilert.waitFor(() => ilert.eventsFor(key).some((received) => received.eventType === eventType), 5000, `${eventType} for ${key}`);
  return ilert.eventsFor(key).find((received) => received.eventType === eventType)!;
}

test('the mapping table shows the tree with inheritance and device counts', async () => {
  const view = await harness.api.getRouting({}, OWNER);
  const row = (id: string) => view.rows.find((entry) => entry.groupId === id)!;
  assert.deepEqual(
    view.rows.map((entry) => `${'  '.repeat(entry.depth)}${entry.name}`),
    ['Acme', '  Branch', '  HQ', '    Servers', '      Rack 1', 'Beta'],
  );
  assert.equal(row(ids.acme!).effective.kind, 'mapped');
  assert.equal(row(ids.hq!).effective.kind, 'inherited');
  assert.equal(row(ids.hq!).effective.target, 'Acme');
  assert.equal(row(ids.rack!).effective.target, 'Acme servers', 'the deepest mapping wins');
  assert.equal(row(ids.beta!).effective.kind, 'default');
  assert.equal(row(ids.acme!).subtreeDevices, 2);
  assert.equal(row(ids.rack!).devices, 1);
  assert.deepEqual(view.summary, { groups: 6, mappedGroups: 2, devices: 3, devicesCovered: 2, activeAlerts: 0 });
});

test('an alert goes to the alert source of its device’s nearest mapped group, enriched and with the routing key', async () => {
  const event = alertOn(ids.rackDevice!);
  assert.equal((await harness.sender.deliver(event)).acknowledged, true);
  const sent = await forwarded(event);
  assert.equal(sent.integrationKey, SERVERS_KEY);
  assert.equal(sent.body.routingKey, 'acme-servers-oncall');
  assert.equal((sent.body.labels as Record<string, string>).group, 'Acme / HQ / Servers / Rack 1');
  assert.match(String(sent.body.details), /\*\*Group:\*\* Acme \/ HQ \/ Servers \/ Rack 1/);
  assert.match(String(sent.body.details), /\*\*OS:\*\* Microsoft Windows Server 2022 Standard \(Windows\)/);
  assert.match(String(sent.body.details), /\*\*Last user:\*\* ACME\\admin/);
  const alert = alertsById(harness.relay, [event.data.id])[0]!;
  assert.equal(alert.route?.target, 'Acme servers');
  assert.match(alert.route!.reason, /inherited from “Servers”/);
  assert.equal(alert.route?.groupPath, 'Acme / HQ / Servers / Rack 1');
  const [newest] = (await harness.api.listDeliveries({ filter: {}, offset: 0, limit: 1 }, OWNER)).rows;
  const detail = await harness.api.getDelivery({ id: newest!.id }, OWNER);
  assert.match(detail.jobs[0]!.routeReason!, /nearest mapped ancestor/, 'the decision is in the delivery detail too');

  const sibling = alertOn(ids.branchDevice!);
  await harness.sender.deliver(sibling);
  assert.equal((await forwarded(sibling)).integrationKey, ACME_KEY, 'a sibling subtree inherits the parent’s mapping');
  const unmapped = alertOn(ids.betaDevice!);
  await harness.sender.deliver(unmapped);
  assert.equal((await forwarded(unmapped)).integrationKey, INTEGRATION_KEY, 'an unmapped group takes the default route');
});

test('a device unknown to the relay is looked up when its alert arrives; a moved device routes by its new group', async () => {
  const newcomer = level.addDevice({ hostname: 'NEW-SQL', group_id: ids.servers! });
  const event = alertOn(newcomer.id);
  const lookups = level.requestsTo(`/devices/${newcomer.id}`).length;
  await harness.sender.deliver(event);
  assert.equal((await forwarded(event)).integrationKey, SERVERS_KEY);
  assert.equal(level.requestsTo(`/devices/${newcomer.id}`).length, lookups + 1, 'one look-up while the alert was received');

  // Level moves the device and says so with a device_updated webhook: the relay re-fetches it.
  level.moveDevice(newcomer.id, ids.branch!);
  const updated = { event_type: 'device_updated', event_id: crypto.randomUUID(), occurred_at: new Date().toISOString(), data: { id: newcomer.id, hostname: 'NEW-SQL' } };
  await harness.sender.deliver(updated);
  await waitForChange(harness.relay, () => probe(harness.relay).device(newcomer.id)?.group_id === ids.branch, 5000, 'the device re-fetched');
  const after = alertOn(newcomer.id);
  await harness.sender.deliver(after);
  assert.equal((await forwarded(after)).integrationKey, ACME_KEY);
});

test('a resolve goes where its alert went even if the mapping changed in between', async () => {
  const event = alertOn(ids.rackDevice!);
  await harness.sender.deliver(event);
  await forwarded(event);
  await harness.api.setGroupRoute({ groupId: ids.servers!, route: null }, OWNER);
  await harness.sender.deliver(alertOn(ids.rackDevice!, { alertId: event.data.id, eventType: 'alert_resolved' }));
  assert.equal((await forwarded(event, 'RESOLVE')).integrationKey, SERVERS_KEY);
  await harness.api.setGroupRoute({ groupId: ids.servers!, route: { target: 'Acme servers', routingKey: 'acme-servers-oncall' } }, OWNER);
});

test('minimum severity and the skip policy keep alerts out of ilert, saying why; once the routing lets them through, those still active are sent', async () => {
  await harness.api.setGroupRoute({ groupId: ids.branch!, route: { target: 'Acme', minSeverity: 'critical' } }, OWNER);
  const quiet = alertOn(ids.branchDevice!, { severity: 'warning' });
  await harness.sender.deliver(quiet);
  const job = await waitForChange(harness.relay, () => alertsById(harness.relay, [quiet.data.id])[0]?.forwarding, 5000, 'the job');
  assert.equal(job.status, 'skipped');
  assert.match(job.reason!, /warning is below the route’s minimum severity \(critical\)/);
  const quietOver = alertOn(ids.branchDevice!, { severity: 'warning' });
  await harness.sender.deliver(quietOver);
  await harness.sender.deliver(alertOn(ids.branchDevice!, { alertId: quietOver.data.id, eventType: 'alert_resolved', severity: 'warning' }));
  await harness.api.setGroupRoute({ groupId: ids.branch!, route: null }, OWNER);
  assert.equal((await forwarded(quiet)).integrationKey, ACME_KEY, 'still active, and Branch now inherits Acme’s route without a minimum');

  harness.relay.applySettings({ ...harness.relay.settings, unmappedGroups: 'skip' });
  const unmapped = alertOn(ids.betaDevice!);
  await harness.sender.deliver(unmapped);
  const skipped = await waitForChange(harness.relay, () => alertsById(harness.relay, [unmapped.data.id])[0]?.forwarding, 5000, 'the job');
  assert.equal(skipped.status, 'skipped');
  assert.match(skipped.reason!, /no mapping for “Beta” or its ancestors: skipped/);
  harness.relay.applySettings({ ...harness.relay.settings, unmappedGroups: 'default' });
  assert.equal((await forwarded(unmapped)).integrationKey, INTEGRATION_KEY, 'unmapped groups go to the default target again');
  assert.equal(ilert.eventsFor(alertKeyFor(quietOver.data.id)).length, 0, 'an alert that is over stays out of ilert');
  assert.equal(ilert.eventsFor(alertKeyFor(quiet.data.id)).length, 1, 'sent once');
});

test('a route to a target that does not exist is refused with a reason: not found, as a pause of it is', async () => {
  assert.throws(() => harness.api.setGroupRoute({ groupId: ids.beta!, route: { target: 'Nobody' } }, OWNER), /no ilert target named “Nobody”/);
  for (const [name, input] of [
    ['setGroupRoute', { groupId: ids.beta!, route: { target: 'Nobody' } }],
    ['pauseTarget', { target: 'Nobody' }],
  ] as const) {
    const refused = await callMethod(harness.api, name, input);
    assert.deepEqual(refused.ok ? 'allowed' : [refused.status, refused.error.code], [404, 'not_found'], name);
  }
});

test('a deleted group disappears from the table after a sync; its devices fall back', async () => {
  level.deleteGroup(ids.beta!);
  await harness.api.syncLevel({}, OWNER);
  const view = await harness.api.getRouting({}, OWNER);
  assert.equal(
    view.rows.some((row) => row.groupId === ids.beta),
    false,
  );
  const decision = probe(harness.relay).routeFor({ id: 'probe', device_id: ids.betaDevice! } as LevelAlert);
  assert.equal(decision.target, 'default');
  assert.match(decision.reason, /is unknown: default route/);
});

test('the rate limit applies to each integration key separately: a busy client does not hold up another', async (t) => {
  const limited = await startRelay(
    {
      ilertIntegrationKey: INTEGRATION_KEY,
      ilertApiUrl: ilert.url,
      ilertTargets: [{ name: 'Acme', integrationKey: ACME_KEY }],
      ilertEventsPerMinute: 2,
      levelApiUrl: level.url,
      levelApiKey: LEVEL_KEY,
    },
    { ...FAST_TUNING, rateWindowMs: 60_000 },
  );
  t.after(() => limited.stop());
  await limited.api.syncLevel({}, OWNER);
  await limited.api.setGroupRoute({ groupId: ids.acme!, route: { target: 'Acme' } }, OWNER);
  const busy = [alertOn(ids.branchDevice!), alertOn(ids.branchDevice!), alertOn(ids.branchDevice!)];
  for (const event of busy) await limited.sender.deliver(event);
  const other = alertOn(ids.betaDevice!);
  await limited.sender.deliver(other);
  assert.equal((await forwarded(other)).integrationKey, INTEGRATION_KEY, 'the default key has its own budget');
  const acmeSent = busy.filter((event) => ilert.eventsFor(alertKeyFor(event.data.id)).length > 0).length;
  assert.equal(acmeSent, 2, 'the third Acme alert waits for its key’s window');
  const third = harness.relay === limited.relay ? undefined : alertsById(limited.relay, [busy[2]!.data.id])[0]!.forwarding;
  assert.equal(third?.status, 'queued');
});

test('without a Level API key, an alert held back for an unknown device is sent by the next reconciliation tick once a webhook says where the device is', async (t) => {
  const relay = await startRelay({ ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: ilert.url, unmappedGroups: 'skip' }, { ...FAST_TUNING, reconcileIntervalMs: 100 });
  t.after(() => relay.stop());
  const groupId = `grp-${crypto.randomUUID()}`;
  const deviceId = `dev-${crypto.randomUUID()}`;
  await relay.api.setGroupRoute({ groupId, route: { target: 'default' } }, OWNER);
  const event = alertOn(deviceId);
  await relay.sender.deliver(event);
  const held = await waitForChange(relay.relay, () => alertsById(relay.relay, [event.data.id])[0]?.forwarding, 5000, 'the job');
  assert.match(held.reason!, /unknown to the relay \(no Level API key to look it up\) and unmapped groups are skipped/);

  const now = () => new Date().toISOString();
  const group = { event_type: 'group_created', event_id: crypto.randomUUID(), occurred_at: now(), data: { id: groupId, name: 'Clinic' } };
  const device = { event_type: 'device_created', event_id: crypto.randomUUID(), occurred_at: now(), data: { id: deviceId, hostname: 'CLINIC-PC', group_id: groupId } };
  await relay.sender.deliver(group);
  await relay.sender.deliver(device);
  const sent = await forwarded(event);
  assert.equal(sent.integrationKey, INTEGRATION_KEY);
});
