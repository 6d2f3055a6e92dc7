/**
 * Alert storms (issue 10): a deep backlog drains in priority order, each job exactly once, and the
 * status the tray and dashboards read comes from counters that follow every change.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, FAST_TUNING, startRelay, webhookDelivery, OWNER, answered } from '../helpers/relay-harness.ts';
import { waitForChange } from '../helpers/wait.ts';
import { resolveSettings } from '../../electron/core/settings.ts';
import { DueQueue } from '../../electron/core/forwarder/due-queue.ts';
import { RANK_STEP_MS, rankFor } from '../../electron/core/store/alert-ledger.ts';
import type { Relay } from '../../electron/core/relay.ts';
import { methods, type Severity } from '../../shared/contract.ts';
import { ingestParts } from '../helpers/parts.ts';

const ilert = await new FakeIlert({ perKeyLimit: 1_000_000 }).start();
after(() => ilert.stop());

/**
 * Appends signed-and-verified alert deliveries straight to the relay's inbound log (group commits),
 * as the receiver would after the signature check, and waits until the processor has applied them
 * with the relay's own policy. `receivedAt` backdates a delivery, as one that has waited in the backlog that long.
 */
async function ingestAll(relay: Relay, events: ReturnType<typeof alertEvent>[], receivedAt?: (event: ReturnType<typeof alertEvent>) => number): Promise<void> {
  const { ingest, processor } = ingestParts(relay);
  const answers = await Promise.all(
    events.map((event) => {
      const body = Buffer.from(JSON.stringify(event));
      const delivery = { ...webhookDelivery(body, 'valid'), ...(receivedAt ? { receivedAt: receivedAt(event) } : {}) };
      return ingest.authenticated(delivery);
    }),
  );
  assert.ok(answers.every((answer) => answer.statusCode === 202));
  await processor.idle();
}

test('a 10,000-job backlog drains in priority order, every job sent exactly once', { timeout: 120_000 }, async (t) => {
  const harness = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: '', ilertEventsPerMinute: 100_000 }, { ...FAST_TUNING, maxInFlight: 64 });
  t.after(() => harness.stop());
  const bySeverity = { information: 4_000, warning: 3_000, critical: 3_000 };
  // The least urgent arrive first, so arrival order alone would send them first.
  const events = Object.entries(bySeverity).flatMap(([severity, count]) => Array.from({ length: count }, () => alertEvent({ severity })));
  await ingestAll(harness.relay, events);
  assert.equal(harness.relay.status().queueDepth, 10_000, 'without a key the work waits, counted');
  assert.deepEqual(harness.relay.traySnapshot().alerts.counts, { emergency: 0, critical: 3_000, warning: 3_000, information: 4_000 });

  harness.relay.applySettings(resolveSettings({ ...harness.relay.settings, ilertIntegrationKey: INTEGRATION_KEY }, {}));
  const keys = new Set(events.map((event) => `level-alert-${event.data.id}`));
  // This file's fake ilert gets nothing else; the predicate runs after every request, so it stays O(1).
  await ilert.waitFor(() => ilert.events.length >= events.length, 50_000, 'the whole backlog');

  const sent = ilert.events.filter((event) => keys.has(event.alertKey!));
  assert.equal(sent.length, 10_000);
  assert.equal(new Set(sent.map((event) => event.alertKey)).size, 10_000, 'no job sent twice');
  const rank = (event: (typeof sent)[number]) => (event.summary.startsWith('[CRITICAL') ? 0 : event.summary.startsWith('[WARNING') ? 1 : 2);
  // Up to maxInFlight (64) requests are on the wire together and may land in any order among themselves.
  const lastCritical = sent.findLastIndex((event) => rank(event) === 0);
  const firstWarning = sent.findIndex((event) => rank(event) === 1);
  const lastWarning = sent.findLastIndex((event) => rank(event) === 1);
  const firstInformation = sent.findIndex((event) => rank(event) === 2);
  assert.ok(lastCritical < firstWarning + 64, `criticals first: last critical at ${lastCritical}, first warning at ${firstWarning}`);
  assert.ok(lastWarning < firstInformation + 64, `then warnings: last warning at ${lastWarning}, first information at ${firstInformation}`);
  assert.ok(
    sent.every((event) => event.body.priority === (rank(event) === 0 ? 'HIGH' : 'LOW')),
    'the default settings give critical alerts high priority, the rest low',
  );
  await waitForChange(harness.relay, () => harness.relay.status().queueDepth === 0, 5000, 'every outcome recorded');
  assert.equal(harness.relay.status().failedJobs, 0);
});

test('in a backlog, age outranks severity after long enough: nothing starves', async (t) => {
  const harness = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: '' }, { ...FAST_TUNING, maxInFlight: 1 });
  t.after(() => harness.stop());
  const now = Date.now();
  // Information ranks two steps of five minutes behind critical: eleven minutes of waiting is more, nine is less.
  const waited = new Map([
    [alertEvent({ severity: 'information', name: 'waited 11 min' }), 11 * 60_000],
    [alertEvent({ severity: 'information', name: 'waited 9 min' }), 9 * 60_000],
    [alertEvent({ severity: 'critical', name: 'just came' }), 0],
  ]);
  await ingestAll(harness.relay, [...waited.keys()], (event) => now - waited.get(event)!);
  const before = ilert.events.length;
  harness.relay.applySettings(resolveSettings({ ...harness.relay.settings, ilertIntegrationKey: INTEGRATION_KEY }, {}));
  await ilert.waitFor(() => ilert.events.length === before + 3, 5000, 'the backlog');
  assert.deepEqual(
    ilert.events.slice(before).map((event) => [event.body.summary, event.body.priority]),
    [
      ['[INFORMATION] waited 11 min on FRONTDESK-01', 'LOW'],
      ['[CRITICAL] just came on FRONTDESK-01', 'HIGH'],
      ['[INFORMATION] waited 9 min on FRONTDESK-01', 'LOW'],
    ],
    'sent by age and rank, each with the priority the default settings give its severity',
  );
});

test('in the in-memory queue, a RESOLVE never overtakes its ALERT, whatever its rank', () => {
  const queue = new DueQueue();
  const now = 1_000_000_000;
  const priorityAt = (createdAt: number, eventType: 'ALERT' | 'RESOLVE', severity: Severity) => createdAt + rankFor(eventType, severity) * RANK_STEP_MS;
  queue.queued({ id: 1, alertKey: 'pair', target: 'default', priorityAt: priorityAt(now, 'ALERT', 'information'), dueAt: 0 });
  queue.queued({ id: 2, alertKey: 'pair', target: 'default', priorityAt: priorityAt(now + 1000, 'RESOLVE', 'information'), dueAt: 0 });
  queue.queued({ id: 3, alertKey: 'other', target: 'default', priorityAt: priorityAt(now + 2000, 'ALERT', 'warning'), dueAt: 0 });
  assert.deepEqual(
    queue.takeDue('default', 1, 10).map((job) => job.id),
    [3, 1],
    'the warning before the information ALERT; its RESOLVE, ranked first, waits behind it',
  );
  queue.inFlight(1);
  assert.deepEqual(queue.takeDue('default', 1, 10), [], 'the RESOLVE waits while its ALERT is on the wire');
  queue.finished(1);
  assert.deepEqual(
    queue.takeDue('default', 1, 10).map((job) => job.id),
    [2],
  );
});

test('the alert board survives a storm: one name on many devices, or one device with many alerts, is one row with a count', async (t) => {
  const harness = await startRelay({ ilertIntegrationKey: '' });
  t.after(() => harness.stop());
  const outage = Array.from({ length: 1000 }, (_, index) => alertEvent({ severity: 'critical', name: 'Host unreachable', hostname: `WS-${index}` }));
  const server = Array.from({ length: 300 }, (_, index) => alertEvent({ severity: 'warning', name: `Service ${index} stopped`, hostname: 'SRV-01' }));
  await ingestAll(harness.relay, [...outage, ...server]);
  const page = (input: object) => answered(harness.api.listAlerts(methods.listAlerts.input.parse(input), OWNER));

  const byName = page({});
  assert.equal(byName.total, 301, 'one group for the outage, and the 300 single alerts');
  assert.equal(byName.rows.length, 100, 'one page, not the whole board');
  assert.deepEqual(byName.rows[0], {
    kind: 'group',
    by: 'name',
    key: 'Host unreachable',
    count: 1000,
    severity: 'critical',
    devices: 1000,
    names: 1,
    newestAt: byName.rows[0]!.kind === 'group' ? byName.rows[0]!.newestAt : 0,
  });
  assert.equal(byName.rows[1]!.kind, 'alert', 'a group of one is shown as its alert');
  assert.deepEqual(byName.counts, { emergency: 0, critical: 1000, warning: 300, information: 0 });

  const opened = page({ group: 'Host unreachable', offset: 900 });
  assert.equal(opened.total, 1000);
  assert.equal(opened.rows.length, 100);
  assert.ok(opened.rows.every((entry) => entry.kind === 'alert' && entry.alert.name === 'Host unreachable'));

  const byDevice = page({ groupBy: 'device', offset: 1000 });
  assert.equal(byDevice.total, 1001, 'the outage’s 1,000 devices one by one, then the server');
  assert.deepEqual(
    byDevice.rows.map((entry) => (entry.kind === 'group' ? [entry.key, entry.count, entry.names] : entry.kind)),
    [['SRV-01', 300, 300]],
  );
});
