import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import type { AlertRow, DeliveryDetail, PushedEvent, Role, RuleInput } from '../../shared/contract.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi } from '../fakes/fake-level-api.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { startRelay, tempDataDir, INTEGRATION_KEY, FAST_TUNING, type InProcessRelay, OWNER } from '../helpers/relay-harness.ts';
import { alertsById } from '../helpers/parts.ts';
import { jobsFor, waitForEvent } from '../helpers/wait.ts';
import { contractCalls } from '../helpers/contract-calls.ts';

const { call, must } = contractCalls('Ada', 'admin');

// Issue 22's rules against the fake ilert, through the real receiver (signed as Level signs) and a
// real SQLite file: what each action does to what ilert gets, and how a list is checked when saved.
const ilert = await new FakeIlert().start();
const NIGHT_KEY = 'il1api-rules-night-target-01';
ilert.acceptedKeys.add(NIGHT_KEY);
const running: InProcessRelay[] = [];
after(async () => {
  await Promise.all(running.map((harness) => harness.stop()));
  await ilert.stop();
});

async function relay(settings: Record<string, unknown> = {}): Promise<InProcessRelay> {
  const harness = await startRelay(
    { ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY, ilertTargets: [{ name: 'Night', integrationKey: NIGHT_KEY }], ...settings },
    FAST_TUNING,
    tempDataDir('relay-rules-'),
  );
  running.push(harness);
  return harness;
}

async function stop(harness: InProcessRelay): Promise<void> {
  await harness.stop();
  running.splice(running.indexOf(harness), 1);
}

const keyOf = (event: { data: { id: string } }) => `level-alert-${event.data.id}`;
const alertRow = (harness: InProcessRelay, levelAlertId: string): AlertRow => alertsById(harness.relay, [levelAlertId])[0]!;

/** Delivers the alert and waits until ilert has its ALERT; returns what ilert got. */
async function sent(harness: InProcessRelay, event: ReturnType<typeof alertEvent>) {
  await harness.sender.deliver(event);
  await ilert.waitFor(() => ilert.eventsFor(keyOf(event)).length === 1, 5000, `ilert to get ${event.data.name}`);
  return ilert.eventsFor(keyOf(event))[0]!;
}

/** An alert no rule drops, sent and seen by ilert: every pass that could have sent something earlier has run. */
async function witness(harness: InProcessRelay): Promise<void> {
  await sent(harness, alertEvent({ name: 'witness', severity: 'warning' }));
}

test('a list is checked whole when saved: a bad regex with its position, an unknown target as routes say it, roles; saved ones are audited and pushed', async () => {
  const harness = await relay();
  const pushed: PushedEvent<'changes'>[] = [];
  harness.relay.events.on('changes', (changes) => pushed.push(changes));
  const good: RuleInput = { name: 'Disks at night', conditions: { nameContains: 'disk' }, actions: { priority: 'LOW' } };
  const refused = async (rules: unknown[], status: number, message: RegExp, role: Role = 'admin') => {
    const result = await call(harness, 'saveRules', { rules }, role);
    assert.equal(result.ok, false, JSON.stringify(rules));
    if (!result.ok) {
      assert.equal(result.status, status, result.error.message);
      assert.match(result.error.message, message);
    }
  };
  await refused([good], 403, /Changing the rules needs an admin of this relay; you \(Ada \(viewer\)\) are a viewer/, 'viewer');
  await refused([good], 403, /Changing the rules needs an admin/, 'operator');
  await refused(
    [good, { name: 'Broken', conditions: { nameRegex: 'disk (C|D' }, actions: { drop: true } }],
    400,
    /^rule 2 “Broken”: the name pattern is not a valid regular expression at position 6 \(“\(”\): Unterminated group$/,
  );
  await refused([{ name: 'Star', conditions: { nameRegex: 'a**' }, actions: { drop: true } }], 400, /at position 3 \(“\*”\): Nothing to repeat/);
  await refused([{ name: 'Slow', conditions: { nameRegex: '^(\\w+\\s?)+$' }, actions: { drop: true } }], 400, /repeats a group that itself repeats, at position 2/);
  await refused([{ name: 'Long', conditions: { nameRegex: 'x'.repeat(201) }, actions: { drop: true } }], 400, /nameRegex/);
  // The same refusal as a route to a target nobody added (Router.setRoute).
  await refused(
    [{ name: 'Typo', conditions: {}, actions: { target: 'Nihgt' } }],
    404,
    /^rule 1 “Typo”: there is no ilert target named “Nihgt”: add it in Settings → ilert targets first$/,
  );
  await refused([{ name: 'Nothing', conditions: {}, actions: {} }], 400, /a rule needs an action/);
  await refused([{ name: 'Both', conditions: {}, actions: { drop: true, priority: 'HIGH' } }], 400, /a rule that drops does nothing else/);
  assert.deepEqual((await must(harness, 'listRules', {}, 'viewer')).rules, [], 'nothing refused was saved');

  const saved = await must(harness, 'saveRules', {
    rules: [good, { name: 'Night servers', conditions: { hostname: 'srv-*', severities: ['critical', 'emergency'] }, actions: { target: 'Night', holdDownSeconds: 300 } }],
  });
  assert.deepEqual(
    saved.rules.map((rule) => rule.name),
    ['Disks at night', 'Night servers'],
  );
  assert.equal(saved.updatedBy, 'Ada (admin)');
  await waitForEvent(harness.relay.events as EventEmitter, 'changes', () => pushed.some((changes) => changes.setup), 5000, 'a pushed change for the saved rules');
  // Saved again reordered, ids kept: what a rule dropped keeps naming it.
  const reordered = await must(harness, 'saveRules', { rules: [saved.rules[1], saved.rules[0]] });
  assert.deepEqual(
    reordered.rules.map((rule) => [rule.id, rule.name]),
    [
      [saved.rules[1]!.id, 'Night servers'],
      [saved.rules[0]!.id, 'Disks at night'],
    ],
  );
  const audit = (await must(harness, 'listAudit', { limit: 5 })).map((entry) => `${entry.actor} ${entry.action}: ${entry.detail}`);
  assert.ok(audit.includes('Ada (admin) rules: saved 2 rule(s): 1. “Disks at night”: priority LOW; 2. “Night servers”: to Night, hold-down 300 s'), audit.join('\n'));
  assert.ok(audit.includes('Ada (admin) rules: saved 2 rule(s): 1. “Night servers”: to Night, hold-down 300 s; 2. “Disks at night”: priority LOW'), audit.join('\n'));
  await stop(harness);
});

test('drop: the ALERT is held by the rule, never sent, named on the alert and in the delivery; Send now still sends it', async () => {
  const harness = await relay();
  await must(harness, 'saveRules', { rules: [{ name: 'Reboots', conditions: { nameRegex: '^host (re)?boot' }, actions: { drop: true } }] });
  const reboot = alertEvent({ name: 'Host rebooted' });
  const later = alertEvent({ name: 'Host reboot pending' });
  await harness.sender.deliver(reboot);
  await harness.sender.deliver(later);

  const [held] = jobsFor(harness.relay, keyOf(reboot));
  assert.deepEqual([held!.status, held!.reason], ['held', 'dropped by rule “Reboots”']);
  const row = alertRow(harness, reboot.data.id);
  assert.equal(row.forwarding?.held?.reason, 'dropped by rule “Reboots”');
  assert.equal(row.forwarding?.held?.until, undefined, 'a rule holds until someone sends it');
  assert.match(row.route?.reason ?? '', /^rule “Reboots”: drop; routing: /, 'the alert names the rule');
  const delivery = (await must(harness, 'listDeliveries', { filter: { statuses: ['held'] } })).rows.find((entry) => entry.levelAlertId === reboot.data.id)!;
  const detail: DeliveryDetail = await must(harness, 'getDelivery', { id: delivery.id });
  assert.equal(detail.jobs[0]!.held?.reason, 'dropped by rule “Reboots”');
  assert.match(detail.jobs[0]!.routeReason ?? '', /^rule “Reboots”/);

  await witness(harness);
  assert.deepEqual(ilert.eventsFor(keyOf(reboot)), [], 'ilert never heard of the reboot');
  assert.deepEqual(await must(harness, 'sendHeldNow', { alertId: later.data.id }, 'operator'), { released: 1 });
  await ilert.waitFor(() => ilert.eventsFor(keyOf(later)).length === 1, 5000, 'the dropped alert sent by hand');

  // Its RESOLVE settles what was dropped: nothing goes for it either.
  await harness.sender.deliver(alertEvent({ eventType: 'alert_resolved', alertId: reboot.data.id, name: 'Host rebooted' }));
  assert.deepEqual(
    jobsFor(harness.relay, keyOf(reboot)).map((job) => [job.event_type, job.status]),
    [
      ['ALERT', 'skipped'],
      ['RESOLVE', 'skipped'],
    ],
  );
  await witness(harness);
  assert.deepEqual(ilert.eventsFor(keyOf(reboot)), []);
  await stop(harness);
});

test('route, priority, first match and catch-all: each alert gets what the first matching rule says', async () => {
  const harness = await relay();
  await must(harness, 'saveRules', {
    rules: [
      { name: 'Backups to night', conditions: { nameContains: 'BACKUP', severities: ['critical'] }, actions: { target: 'Night', routingKey: 'backups' } },
      // Also matches "Backup failed"; the rule above comes first and wins.
      { name: 'Critical low', conditions: { severities: ['critical'] }, actions: { priority: 'LOW' } },
      { name: 'Servers high', conditions: { hostname: 'SRV-??' }, actions: { priority: 'HIGH' } },
      { name: 'Everything else', conditions: {}, actions: { routingKey: 'catch-all' } },
    ],
  });
  const backup = await sent(harness, alertEvent({ name: 'Backup failed', severity: 'critical' }));
  assert.equal(backup.integrationKey, NIGHT_KEY, 'routed to the rule’s target');
  assert.equal(backup.body.routingKey, 'backups');
  assert.equal(backup.body.priority, 'HIGH', 'the first match decided: “Critical low” was not applied');

  const cpu = await sent(harness, alertEvent({ name: 'CPU high', severity: 'critical' }));
  assert.equal(cpu.integrationKey, INTEGRATION_KEY);
  assert.equal(cpu.body.priority, 'LOW', 'critical is HIGH by default; the rule set LOW');

  const server = await sent(harness, alertEvent({ name: 'Service stopped', severity: 'warning', hostname: 'srv-01' }));
  assert.equal(server.body.priority, 'HIGH', 'warning is LOW by default; the rule set HIGH');
  const notServer = await sent(harness, alertEvent({ name: 'Service stopped', severity: 'warning', hostname: 'srv-100' }));
  assert.equal(notServer.body.routingKey, 'catch-all', 'a rule without conditions catches what no other rule matched');
  assert.equal(notServer.body.priority, 'LOW');
  assert.match(alertRow(harness, notServer.alertKey!.replace('level-alert-', '')).route?.reason ?? '', /^rule “Everything else”: routing key catch-all; routing: /);
  await stop(harness);
});

test('group (inherited by subgroups), tags, role and platform come from the Level mirror; the dry run counts last week’s alerts per rule', async () => {
  const LEVEL_KEY = 'level-read-only-key';
  const level = await new FakeLevelApi({ apiKey: LEVEL_KEY }).start();
  try {
    const acme = level.addGroup({ name: 'Acme' });
    const hq = level.addGroup({ name: 'HQ', parent_id: acme.id });
    const other = level.addGroup({ name: 'Other' });
    const hqServer = level.addDevice({ hostname: 'HQ-SRV-01', group_id: hq.id, role: 'Server', platform: 'Linux' });
    const tagged = level.addDevice({ hostname: 'OTHER-PC', group_id: other.id, tags: ['vip', 'finance'], platform: 'Windows', role: 'Workstation' });
    const plain = level.addDevice({ hostname: 'PLAIN-PC', group_id: other.id, platform: 'Mac', role: 'Workstation' });
    const harness = await relay({ levelApiUrl: level.url, levelApiKey: LEVEL_KEY });
    await harness.api.syncLevel({}, OWNER);
    const onDevice = (deviceId: string, hostname: string) => {
      const event = alertEvent({ name: `on ${hostname}`, severity: 'warning', hostname });
      event.data.device_id = deviceId;
      level.addAlert({ ...event.data, severity: 'warning' });
      return event;
    };
    const draft: RuleInput[] = [
      { name: 'Acme to night', conditions: { group: acme.id }, actions: { target: 'Night' } },
      { name: 'VIPs high', conditions: { tags: ['VIP'] }, actions: { priority: 'HIGH' } },
      { name: 'Mac workstations', conditions: { role: 'workstation', platform: 'mac' }, actions: { routingKey: 'macs' } },
    ];
    // Last week's alerts, before the rules exist: each goes as routing says.
    for (const [device, times] of [
      [hqServer, 3],
      [tagged, 2],
      [plain, 1],
    ] as const) {
      for (let i = 0; i < times; i++) await sent(harness, onDevice(device.id, device.hostname));
    }
    const dry = await must(harness, 'dryRunRules', { rules: draft }, 'operator');
    assert.deepEqual([dry.matched, dry.unmatched, dry.looked, dry.capped], [[3, 2, 1], 0, 6, false]);
    const viewerDry = await call(harness, 'dryRunRules', { rules: draft }, 'viewer');
    assert.equal(viewerDry.ok ? 200 : viewerDry.status, 403);
    const badDry = await call(harness, 'dryRunRules', { rules: [{ name: 'Bad', conditions: { nameRegex: '[a-' }, actions: { drop: true } }] }, 'operator');
    assert.equal(badDry.ok ? 200 : badDry.status, 400, 'a dry run checks the draft as saving would');
    assert.deepEqual((await must(harness, 'listRules', {})).rules, [], 'a dry run saves nothing');

    await must(harness, 'saveRules', { rules: draft });
    const inHq = await sent(harness, onDevice(hqServer.id, hqServer.hostname));
    assert.equal(inHq.integrationKey, NIGHT_KEY, 'HQ inherits the rule on Acme');
    const vip = await sent(harness, onDevice(tagged.id, tagged.hostname));
    assert.deepEqual([vip.integrationKey, vip.body.priority], [INTEGRATION_KEY, 'HIGH']);
    const mac = await sent(harness, onDevice(plain.id, plain.hostname));
    assert.deepEqual([mac.body.routingKey, mac.body.priority], ['macs', 'LOW']);
    await stop(harness);
  } finally {
    await level.stop();
  }
});

test('rules survive a restart: saved rules are read back and compiled when the relay starts', async () => {
  const dataDir = tempDataDir('relay-rules-restart-');
  const first = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY }, FAST_TUNING, dataDir);
  running.push(first);
  await must(first, 'saveRules', { rules: [{ name: 'Quiet info', conditions: { severities: ['information'] }, actions: { drop: true } }] });
  await stop(first);
  const second = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY }, FAST_TUNING, dataDir);
  running.push(second);
  const info = alertEvent({ name: 'FYI', severity: 'information' });
  await second.sender.deliver(info);
  assert.equal(jobsFor(second.relay, keyOf(info))[0]!.reason, 'dropped by rule “Quiet info”');
  await stop(second);
});
