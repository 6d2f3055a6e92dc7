/**
 * Alert storms (issue 10): a deep backlog drains in priority order, each job exactly once, and the
 * status the tray and dashboards read comes from counters that follow every change.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, FAST_TUNING, startRelay, forTests, webhookDelivery } from '../helpers/relay-harness.ts';
import { waitForChange } from '../helpers/wait.ts';
import { parseDelivery } from '../../electron/core/level/envelope.ts';
import { resolveSettings } from '../../electron/core/settings.ts';
import type { Store } from '../../electron/core/store/store.ts';
import { persist, type IngestPolicy } from '../../electron/core/ingest/pipeline.ts';
import { DueQueue } from '../../electron/core/forwarder/due-queue.ts';
import { RANK_STEP_MS } from '../../electron/core/store/alert-ledger.ts';
import { methods } from '../../shared/contract.ts';

const ilert = await new FakeIlert({ perKeyLimit: 1_000_000 }).start();
after(() => ilert.stop());

const POLICY: IngestPolicy = { highPrioritySeverities: ['critical', 'emergency'], routeFor: () => ({ target: 'default', reason: 'test' }) };

/** Stores signed-and-verified alert deliveries straight through the ingest's persist step (one group commit), as the receiver would. */
async function ingestAll(store: Store, events: ReturnType<typeof alertEvent>[]): Promise<void> {
  await Promise.all(
    events.map((event) => {
      const body = Buffer.from(JSON.stringify(event));
      const parsed = parseDelivery(body);
      if (!parsed.ok) throw new Error(parsed.reason);
      return persist(store, { ...webhookDelivery(body, 'valid'), envelope: parsed.envelope, alert: parsed.alert }, POLICY);
    }),
  );
}

test('a 20,000-job backlog drains in priority order, every job sent exactly once', { timeout: 60_000 }, async (t) => {
  const harness = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: '', ilertEventsPerMinute: 100_000 }, { ...FAST_TUNING, maxInFlight: 64 });
  t.after(() => harness.stop());
  const bySeverity = { information: 8_000, warning: 6_000, critical: 6_000 };
  // The least urgent arrive first, so arrival order alone would send them first.
  const events = Object.entries(bySeverity).flatMap(([severity, count]) => Array.from({ length: count }, () => alertEvent({ severity })));
  await ingestAll(harness.relay[forTests].store, events);
  assert.equal(harness.relay.status().queueDepth, 20_000, 'without a key the work waits, counted');
  assert.deepEqual(harness.relay.traySnapshot().alerts.counts, { emergency: 0, critical: 6_000, warning: 6_000, information: 8_000 });

  harness.relay.applySettings(resolveSettings({ ...harness.relay.settings, ilertIntegrationKey: INTEGRATION_KEY }, {}));
  const keys = new Set(events.map((event) => `level-alert-${event.data.id}`));
  // This file's fake ilert gets nothing else; the predicate runs after every request, so it stays O(1).
  await ilert.waitFor(() => ilert.events.length >= events.length, 50_000, 'the whole backlog');

  const sent = ilert.events.filter((event) => keys.has(event.alertKey!));
  assert.equal(sent.length, 20_000);
  assert.equal(new Set(sent.map((event) => event.alertKey)).size, 20_000, 'no job sent twice');
  const rank = (event: (typeof sent)[number]) => (event.summary.startsWith('[CRITICAL') ? 0 : event.summary.startsWith('[WARNING') ? 1 : 2);
  // Up to maxInFlight (64) requests are on the wire together and may land in any order among themselves.
  const lastCritical = sent.findLastIndex((event) => rank(event) === 0);
  const firstWarning = sent.findIndex((event) => rank(event) === 1);
  const lastWarning = sent.findLastIndex((event) => rank(event) === 1);
  const firstInformation = sent.findIndex((event) => rank(event) === 2);
  assert.ok(lastCritical < firstWarning + 64, `criticals first: last critical at ${lastCritical}, first warning at ${firstWarning}`);
  assert.ok(lastWarning < firstInformation + 64, `then warnings: last warning at ${lastWarning}, first information at ${firstInformation}`);
  await waitForChange(harness.relay, () => harness.relay.status().queueDepth === 0, 5000, 'every outcome recorded');
  assert.equal(harness.relay.status().failedJobs, 0);
});

test('in the in-memory queue, age outranks severity after long enough: nothing starves', () => {
  const queue = new DueQueue();
  const now = 1_000_000_000;
  // An information alert (rank 2) waiting 11 minutes beats a critical one (rank 0) that just came.
  queue.queued({ id: 1, alertKey: 'old-info', target: 'default', priorityAt: now - 11 * 60_000 + 2 * RANK_STEP_MS, dueAt: 0 });
  queue.queued({ id: 2, alertKey: 'new-critical', target: 'default', priorityAt: now, dueAt: 0 });
  // A RESOLVE never overtakes its ALERT, whatever its rank.
  queue.queued({ id: 3, alertKey: 'pair', target: 'default', priorityAt: now + 2 * RANK_STEP_MS, dueAt: 0 });
  queue.queued({ id: 4, alertKey: 'pair', target: 'default', priorityAt: now - 60 * 60_000, dueAt: 0 });
  assert.deepEqual(
    queue.takeDue('default', 1, 10).map((job) => job.id),
    [1, 2, 3],
  );
  queue.inFlight(3);
  assert.deepEqual(queue.takeDue('default', 1, 10), [], 'the RESOLVE waits while its ALERT is on the wire');
  queue.finished(3);
  assert.deepEqual(
    queue.takeDue('default', 1, 10).map((job) => job.id),
    [4],
  );
});

test('the alert board survives a storm: one name on many devices, or one device with many alerts, is one row with a count', async (t) => {
  const harness = await startRelay({ ilertIntegrationKey: '' });
  t.after(() => harness.stop());
  const outage = Array.from({ length: 1000 }, (_, index) => alertEvent({ severity: 'critical', name: 'Host unreachable', hostname: `WS-${index}` }));
  const server = Array.from({ length: 300 }, (_, index) => alertEvent({ severity: 'warning', name: `Service ${index} stopped`, hostname: 'SRV-01' }));
  await ingestAll(harness.relay[forTests].store, [...outage, ...server]);
  const page = (input: object) => harness.relay[forTests].read.alertPage(methods.listAlerts.input.parse(input), Date.now());

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
