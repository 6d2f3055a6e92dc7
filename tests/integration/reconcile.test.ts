/**
 * Reconciliation with Level's API heals what webhooks missed: a resolve that never arrived, an
 * alert that fired while the laptop slept. Both against a fake Level API and the fake ilert.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi } from '../fakes/fake-level-api.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, startRelay, OWNER } from '../helpers/relay-harness.ts';
import { jobsFor } from '../helpers/wait.ts';
import { alertKeyFor } from '../../electron/core/ilert/event-mapping.ts';
import { alertsById, runNow } from '../helpers/parts.ts';

const LEVEL_KEY = 'level-read-only-key';

const [ilert, level] = await Promise.all([new FakeIlert().start(), new FakeLevelApi({ apiKey: LEVEL_KEY }).start()]);
const group = level.addGroup({ name: 'Acme' });
const deviceId = level.addDevice({ hostname: 'ACME-DC01', group_id: group.id }).id;
// Reconciliation runs on start too; the tests below run it by hand, one at a time.
const harness = await startRelay({ ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: ilert.url, levelApiUrl: level.url, levelApiKey: LEVEL_KEY });
await runNow(harness.relay).reconcile('manual');

after(async () => {
  await harness?.stop();
  await Promise.all([ilert?.stop(), level?.stop()]);
});

function webhookFor(alert: { id: string; name: string; started_at: string }, eventType: 'alert_active' | 'alert_resolved' = 'alert_active', occurredAt?: string) {
  const event = alertEvent({ alertId: alert.id, eventType, name: alert.name, occurredAt });
  event.data.device_id = deviceId;
  event.data.started_at = alert.started_at;
  return event;
}

test('a missed resolve is healed: Level no longer lists the alert, Level confirms it resolved, ilert ends RESOLVED', async () => {
  const alert = level.addAlert({ device_id: deviceId, severity: 'critical', name: 'Server down' });
  await harness.sender.deliver(webhookFor(alert));
  const key = alertKeyFor(alert.id);
  await ilert.waitFor(() => ilert.eventsFor(key).length === 1, 5000, 'the ALERT');

  level.resolveAlert(alert.id); // ...and its alert_resolved webhook never arrives (the laptop slept)
  const run = await runNow(harness.relay).reconcile('wake');
  assert.equal(run.outcome, 'ok');
  assert.deepEqual(
    run.changes.map((change) => [change.levelAlertId, change.action]),
    [[alert.id, 'resolved']],
  );
  assert.ok(level.requestsTo(`/alerts/${alert.id}`).length >= 1, 'confirmed with GET /alerts/{id} before resolving');
  await ilert.waitFor(() => ilert.eventsFor(key).some((event) => event.eventType === 'RESOLVE'), 5000, 'the RESOLVE');
  assert.equal(ilert.alertByKey(key)?.status, 'RESOLVED', 'the fake ilert ends with the alert resolved');

  const delivery = await harness.api.getDelivery({ id: run.changes[0]!.deliveryId! }, OWNER);
  assert.equal(delivery.source, 'reconciled', 'shown in the delivery log as its own source');
  assert.equal(alertsById(harness.relay, [alert.id])[0]!.state, 'resolved');

  // The late webhook, should it come after all, changes nothing.
  await harness.sender.deliver(webhookFor(alert, 'alert_resolved'));
  const jobs = jobsFor(harness.relay, key);
  assert.deepEqual(
    jobs.map((job) => [job.event_type, job.status]),
    [
      ['ALERT', 'delivered'],
      ['RESOLVE', 'delivered'],
      ['RESOLVE', 'skipped'],
    ],
  );
  assert.equal(ilert.eventsFor(key).length, 2);
});

test('a missed active alert is backfilled once, not twice, when its webhook arrives late', async () => {
  const alert = level.addAlert({ device_id: deviceId, severity: 'warning', name: 'Backup failed' });
  const key = alertKeyFor(alert.id);
  const run = await runNow(harness.relay).reconcile('manual');
  assert.deepEqual(
    run.changes.map((change) => [change.levelAlertId, change.action]),
    [[alert.id, 'backfilled']],
  );
  await ilert.waitFor(() => ilert.eventsFor(key).length === 1, 5000, 'the backfilled ALERT');

  await harness.sender.deliver(webhookFor(alert)); // Level's own delivery, hours late
  const again = await runNow(harness.relay).reconcile('schedule');
  assert.deepEqual(again.changes, [], 'a second run finds nothing to do');
  const jobs = jobsFor(harness.relay, key);
  assert.deepEqual(
    jobs.map((job) => [job.event_type, job.status]),
    [
      ['ALERT', 'delivered'],
      ['ALERT', 'skipped'],
    ],
  );
  assert.match(String(jobs[1]!.reason), /already sent to ilert when reconciliation backfilled it/);
  assert.equal(ilert.eventsFor(key).length, 1, 'ilert saw one ALERT');
});

test('reconciliation racing the webhook for the same new alert sends it once: the webhook lands while the run waits on Level', async () => {
  const alert = level.addAlert({ device_id: deviceId, severity: 'critical', name: 'Racing' });
  const key = alertKeyFor(alert.id);
  const held = level.holdNext('/alerts');
  const run = runNow(harness.relay).reconcile('manual');
  await held.reached;
  assert.equal((await harness.sender.deliver(webhookFor(alert))).acknowledged, true);
  held.release();
  await run;
  await ilert.waitFor(() => ilert.eventsFor(key).length >= 1, 5000, 'the ALERT');
  const sent = jobsFor(harness.relay, key).filter((job) => job.status !== 'skipped');
  assert.equal(sent.length, 1, `one ALERT job sent, got ${JSON.stringify(jobsFor(harness.relay, key))}`);
});

test('an alert Level has deleted (404 on its own page) is resolved too', async () => {
  const deleted = level.addAlert({ device_id: deviceId, name: 'Deleted in Level' });
  await harness.sender.deliver(webhookFor(deleted));
  level.alerts.delete(deleted.id);
  const result = await runNow(harness.relay).reconcile('manual');
  assert.deepEqual(
    result.changes.map((change) => [change.name, change.action]),
    [['Deleted in Level', 'resolved']],
  );
  assert.equal(alertsById(harness.relay, [deleted.id])[0]!.state, 'resolved');
});

test('every run is recorded; a failing Level API is recorded as failed with its message', async () => {
  level.failNext(1, { status: 401 });
  await assert.rejects(runNow(harness.relay).reconcile('manual'));
  const runs = await harness.api.listReconciliations({}, OWNER);
  assert.equal(runs[0]!.outcome, 'failed');
  assert.match(runs[0]!.error!, /Level rejected the API key \(401/);
  assert.ok(runs.some((run) => run.changes.some((change) => change.action === 'backfilled')));
});

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

test('Level’s page overrides a stale verdict: held resolved by a resolve dated ahead, listed active by Level, the alert is reopened in ilert', async () => {
  const alert = level.addAlert({ device_id: deviceId, severity: 'critical', name: 'Clock ahead: resolve' });
  const key = alertKeyFor(alert.id);
  await harness.sender.deliver(webhookFor(alert, 'alert_active', inMinutes(-1)));
  await ilert.waitFor(() => ilert.eventsFor(key).length === 1, 5000, 'the ALERT');
  // A resolve four minutes ahead still counts as dated; the real activation after it looks stale.
  await harness.sender.deliver(webhookFor(alert, 'alert_resolved', inMinutes(4)));
  await ilert.waitFor(() => ilert.eventsFor(key).length === 2, 5000, 'the RESOLVE');
  await harness.sender.deliver(webhookFor(alert, 'alert_active', inMinutes(0)));
  assert.match(String(jobsFor(harness.relay, key).at(-1)!.reason), /stale/);

  const run = await runNow(harness.relay).reconcile('manual');
  assert.deepEqual(
    run.changes.map((change) => [change.levelAlertId, change.action]),
    [[alert.id, 'backfilled']],
  );
  assert.ok(level.requestsTo(`/alerts/${alert.id}`).length >= 1, 'confirmed with GET /alerts/{id} first');
  await ilert.waitFor(() => ilert.eventsFor(key).length === 3, 5000, 'the ALERT that reopens it');
  assert.deepEqual(ilert.eventTypesFor(key), ['ALERT', 'RESOLVE', 'ALERT']);
  assert.notEqual(ilert.alertByKey(key)?.status, 'RESOLVED');
  assert.equal(alertsById(harness.relay, [alert.id])[0]!.state, 'active');
  assert.deepEqual((await runNow(harness.relay).reconcile('schedule')).changes, [], 'a second run finds nothing to do');

  // And Level's own resolve, when it comes, closes it.
  level.resolveAlert(alert.id);
  await harness.sender.deliver(webhookFor(alert, 'alert_resolved', inMinutes(0)));
  await ilert.waitFor(() => ilert.alertByKey(key)?.status === 'RESOLVED', 5000, 'the RESOLVE');
});

test('Level’s page overrides a stale verdict: held active by an activation dated ahead, resolved in Level, the alert is resolved in ilert', async () => {
  const alert = level.addAlert({ device_id: deviceId, severity: 'critical', name: 'Clock ahead: activation' });
  const key = alertKeyFor(alert.id);
  await harness.sender.deliver(webhookFor(alert, 'alert_active', inMinutes(4)));
  await ilert.waitFor(() => ilert.eventsFor(key).length === 1, 5000, 'the ALERT');
  level.resolveAlert(alert.id);
  await harness.sender.deliver(webhookFor(alert, 'alert_resolved', inMinutes(0)));
  assert.match(String(jobsFor(harness.relay, key).at(-1)!.reason), /stale/, 'the real resolve looks older than the activation');

  const run = await runNow(harness.relay).reconcile('manual');
  assert.deepEqual(
    run.changes.map((change) => [change.levelAlertId, change.action]),
    [[alert.id, 'resolved']],
  );
  await ilert.waitFor(() => ilert.alertByKey(key)?.status === 'RESOLVED', 5000, 'the RESOLVE');
  assert.equal(alertsById(harness.relay, [alert.id])[0]!.state, 'resolved');
});

test('an alert a minimum severity held back is reported as skipped, never as delivered, and the next run sends it once its route lets it through', async (t) => {
  const quiet = level.addGroup({ name: 'Quiet' });
  const loud = level.addGroup({ name: 'Loud' });
  const device = level.addDevice({ hostname: 'QUIET-01', group_id: quiet.id });
  await harness.api.syncLevel({}, OWNER);
  await harness.api.setGroupRoute({ groupId: quiet.id, route: { target: 'default', minSeverity: 'critical' } }, OWNER);
  t.after(() => harness.api.setGroupRoute({ groupId: quiet.id, route: null }, OWNER));
  const alert = level.addAlert({ device_id: device.id, severity: 'warning', name: 'Disk almost full' });
  const key = alertKeyFor(alert.id);
  const event = alertEvent({ alertId: alert.id, name: alert.name, severity: 'warning' });
  event.data.device_id = device.id;
  await harness.sender.deliver(event);
  assert.match(String(jobsFor(harness.relay, key)[0]!.reason), /warning is below the route’s minimum severity \(critical\)/);

  const held = await runNow(harness.relay).reconcile('manual');
  assert.deepEqual(
    held.changes.map((change) => [change.levelAlertId, change.action]),
    [[alert.id, 'skipped']],
    'ilert does not have it, and the run says so',
  );
  assert.match(held.changes[0]!.reason!, /below the route’s minimum severity/);
  assert.equal(ilert.eventsFor(key).length, 0);

  // Level moves the device to a group without a minimum: no routing change in the relay, only the mirror.
  level.moveDevice(device.id, loud.id);
  await harness.api.syncLevel({}, OWNER);
  const released = await runNow(harness.relay).reconcile('schedule');
  assert.deepEqual(
    released.changes.map((change) => [change.levelAlertId, change.action]),
    [[alert.id, 'backfilled']],
  );
  await ilert.waitFor(() => ilert.eventsFor(key).length === 1, 5000, 'the held ALERT');
  assert.deepEqual((await runNow(harness.relay).reconcile('schedule')).changes, [], 'sent once');
  assert.equal(ilert.eventsFor(key).length, 1);
});
