/**
 * The ledger of what was held (issue 22, item 3): Alerts and Deliveries filter on "held", led by the
 * outbox's held indexes rather than a walk of the board or the log; and a job waiting for an ilert
 * target paused by hand counts as held, with its reason on the alert and in the delivery detail.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { DATABASE_FILE } from '../../electron/core/store/database.ts';
import { HELD_JOBS } from '../../electron/core/store/read-models.ts';
import type { AlertPage, AlertRow, MethodName } from '../../shared/contract.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { startRelay, tempDataDir, INTEGRATION_KEY, FAST_TUNING } from '../helpers/relay-harness.ts';
import { alertsById } from '../helpers/parts.ts';
import { waitForJob } from '../helpers/wait.ts';
import { contractCalls } from '../helpers/contract-calls.ts';

const NIGHT_KEY = 'il1api-held-ledger-night-01';
const ilert = await new FakeIlert().start();
ilert.acceptedKeys.add(NIGHT_KEY);
const harness = await startRelay(
  { ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY, ilertTargets: [{ name: 'Night', integrationKey: NIGHT_KEY }] },
  FAST_TUNING,
  tempDataDir('relay-held-ledger-'),
);
after(async () => {
  await harness.stop();
  await ilert.stop();
});

const operator = contractCalls('Tess', 'operator');
const must = <M extends MethodName>(method: M, input: unknown) => operator.must(harness, method, input);

const keyOf = (event: { data: { id: string } }) => `level-alert-${event.data.id}`;
const alertOn = (deviceId: string, name: string) => {
  const event = alertEvent({ name, severity: 'critical' });
  event.data.device_id = deviceId;
  return event;
};
const idsOf = (page: AlertPage) => page.rows.map((entry) => (entry.kind === 'alert' ? entry.alert.levelAlertId : entry.key)).sort();
const heldAlerts = async () => idsOf(await must('listAlerts', { groupBy: 'none', held: true }));
const heldDeliveries = async () => (await must('listDeliveries', { filter: { statuses: ['held'] } })).rows.map((row) => row.levelAlertId).sort();
const row = (event: { data: { id: string } }): AlertRow => alertsById(harness.relay, [event.data.id])[0]!;

const sent = alertOn('dev-sent', 'Sent at once');
const inWindow = alertOn('dev-patched', 'Reboot pending');
const waiting = alertOn('dev-waiting', 'Disk full');

test('Alerts and Deliveries filter on held: a window’s hold and a paused target’s, each with its reason', async () => {
  await harness.sender.deliver(sent);
  await waitForJob(harness.relay, keyOf(sent), 'delivered');
  const now = Date.now();
  await must('createMaintenanceWindow', {
    name: 'Patch night',
    scope: { device: 'dev-patched' },
    start: new Date(now - 60_000).toISOString(),
    end: new Date(now + 3_600_000).toISOString(),
  });
  await harness.sender.deliver(inWindow);
  await must('pauseTarget', { target: 'default' });
  await harness.sender.deliver(waiting);
  await waitForJob(harness.relay, keyOf(waiting), 'queued');

  const expected = [inWindow.data.id, waiting.data.id].sort();
  assert.deepEqual(await heldAlerts(), expected, 'the held filter on Alerts: the window’s and the paused target’s, not the one sent');
  assert.equal((await must('listAlerts', { groupBy: 'none' })).total, 3, 'without the filter, all three');
  assert.deepEqual(await heldDeliveries(), expected, 'the held filter on Deliveries');

  assert.deepEqual(row(waiting).forwarding?.held, { reason: 'held: target “default” paused', pausedTarget: 'default' });
  assert.equal(row(waiting).forwarding?.status, 'held');
  assert.equal(row(inWindow).forwarding?.held?.reason, 'held: maintenance window “Patch night”');
  const page = await must('listDeliveries', { filter: { statuses: ['held'] } });
  for (const [event, reason] of [
    [waiting, 'held: target “default” paused'],
    [inWindow, 'held: maintenance window “Patch night”'],
  ] as const) {
    const delivery = page.rows.find((entry) => entry.levelAlertId === event.data.id)!;
    assert.equal(delivery.status, 'held');
    const detail = await must('getDelivery', { id: delivery.id });
    assert.equal(detail.jobs[0]!.held?.reason, reason, 'the delivery detail says why');
  }
  // Combined with another status, held still counts its paused jobs (the lead is only an index shortcut).
  const either = (await must('listDeliveries', { filter: { statuses: ['held', 'delivered'] } })).rows.map((entry) => entry.levelAlertId).sort();
  assert.deepEqual(either, [sent.data.id, ...expected].sort());

  // Resuming the target sends what waited: it is no longer held, and nothing in its job was rewritten to get there.
  await must('resumeTarget', { target: 'default' });
  await ilert.waitFor(() => ilert.eventsFor(keyOf(waiting)).length === 1, 5000, 'the alert that waited for the paused target');
  await waitForJob(harness.relay, keyOf(waiting), 'delivered');
  assert.equal(row(waiting).forwarding?.held, undefined);
  assert.deepEqual(await heldAlerts(), [inWindow.data.id]);
  assert.deepEqual(await heldDeliveries(), [inWindow.data.id]);
});

test('the held filters are led by the held indexes, not a walk of the alerts or the delivery log', (t) => {
  // A second, read-only connection to the relay's own file: the plans SQLite makes for these queries.
  const db = new DatabaseSync(path.join(harness.dataDir, DATABASE_FILE), { readOnly: true });
  t.after(() => db.close());
  const plan = (query: string) => (db.prepare(`EXPLAIN QUERY PLAN ${query}`).all() as { detail: string }[]).map((step) => step.detail).join('\n');
  const alerts = plan(`SELECT a.level_alert_id FROM alerts a WHERE +a.state = 'active' AND a.alert_key IN (${HELD_JOBS('alert_key')}) ORDER BY a.updated_at DESC LIMIT 100`);
  assert.match(alerts, /SEARCH a USING INDEX alerts_by_alert_key/, alerts);
  assert.doesNotMatch(alerts, /SCAN a\b/, alerts);
  const deliveries = plan(
    `SELECT d.id FROM deliveries d LEFT JOIN outbox j ON j.delivery_id = d.id WHERE d.id <= coalesce(NULL, (SELECT max(id) FROM deliveries), 0) AND d.id IN (${HELD_JOBS('delivery_id')}) ORDER BY d.id DESC LIMIT 100`,
  );
  assert.match(deliveries, /SEARCH d USING INTEGER PRIMARY KEY \(rowid=\?\)/, deliveries);
  assert.doesNotMatch(deliveries, /SCAN d\b/, deliveries);
});
