/**
 * Memory bounded by what a forwarding pass needs (issue 24): with 20,000 queued jobs the forwarder
 * holds a window of its backlog, read from the store's index in backlog order, and still sends every
 * job once, in priority order, each alert's RESOLVE after its ALERT.
 */
import fs from 'node:fs';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FAST_TUNING, INTEGRATION_KEY, startRelay, tempDataDir } from '../helpers/relay-harness.ts';
import { probe } from '../helpers/parts.ts';
import { Store } from '../../electron/core/store/store.ts';
import { Outbox } from '../../electron/core/store/outbox.ts';
import { DueQueue, BACKLOG_WINDOW, type PendingJob } from '../../electron/core/forwarder/due-queue.ts';
import type { StoredPendingJob } from '../../electron/core/store/outbox.ts';
import type { Severity } from '../../shared/contract.ts';

const BACKLOG = 20_000;
/** Jobs created this long ago: the first half information (ranked behind), the second half critical. */
const CREATED_AT = Date.now() - 3_600_000;

/**
 * Queues 20,000 jobs for the default target in one transaction, as the processor writes them:
 * 10,000 information ALERTs, then 10,000 critical ones (arrival order is not backlog order), and
 * one alert "pair" whose information ALERT came first and whose RESOLVE came among the criticals,
 * so the RESOLVE's place in the backlog is near the front and its ALERT's near the end.
 */
function fillBacklog(store: Store): void {
  const insert = (alertKey: string, eventType: 'ALERT' | 'RESOLVE', severity: Severity, now: number) =>
    store.ledger.insertJob({
      alertKey,
      levelAlertId: alertKey,
      eventId: `${alertKey}:${eventType}`,
      deliveryId: null,
      target: 'default',
      routeReason: null,
      body: { eventType, summary: `[${severity.toUpperCase()}] ${alertKey}`, alertKey },
      severity,
      status: 'queued',
      reason: null,
      now,
    });
  store.transaction(() => {
    insert('pair', 'ALERT', 'information', CREATED_AT - 1);
    for (let index = 0; index < BACKLOG; index++) insert(`alert-${index}`, 'ALERT', index < BACKLOG / 2 ? 'information' : 'critical', CREATED_AT + index);
    insert('pair', 'RESOLVE', 'information', CREATED_AT + BACKLOG / 2);
  });
}

const ilert = await new FakeIlert({ perKeyLimit: 1_000_000 }).start();
after(() => ilert.stop());

/** Closes the store (or stops the relay) on it, then removes its data directory: each holds 20,000 jobs. */
async function removeAfter(dataDir: string, close: () => Promise<void>): Promise<void> {
  await close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

/** A queue reading the outbox as the forwarder's does, on the wall clock (due at next_attempt_at). */
function queueOver(outbox: Outbox, window?: number): DueQueue {
  const scheduled = (jobs: StoredPendingJob[]) =>
    jobs.map((job) => ({ id: job.id, alertKey: job.alertKey, target: job.target, priorityAt: job.priorityAt, dueAt: job.nextAttemptAt, inFlight: job.status === 'in_flight' }));
  return new DueQueue({
    source: { page: (target, place, limit) => scheduled(outbox.backlogPage(target, place, limit)), olderPending: (alertKey, id) => scheduled(outbox.olderPending(alertKey, id)) },
    ...(window ? { window } : {}),
  });
}

const attempt = (statusCode: number) => ({
  startedAt: Date.now(),
  latencyMs: 1,
  url: 'http://127.0.0.1/api/events',
  keyFingerprint: 'test',
  requestBody: '{}',
  statusCode,
  error: statusCode === 202 ? null : 'ilert is down',
  responseBody: null,
  manual: false,
});

test('with 20,000 queued jobs the queue holds a window of them, and hands out every job once, in backlog order', { timeout: 120_000 }, (t) => {
  const dataDir = tempDataDir('relay-backlog-memory-');
  const store = new Store(dataDir);
  t.after(() => removeAfter(dataDir, () => store.close()));
  fillBacklog(store);
  const outbox = new Outbox(store);
  const queue = queueOver(outbox);
  queue.loadBacklog(outbox.backlogTargets());

  const sent: PendingJob[] = [];
  let mostHeld = queue.size;
  for (;;) {
    // What a pass does: find the targets with due work, take theirs, mark them in flight, record the
    // outcome (a commit each: large takes keep the test's fsyncs few).
    const taken = queue.dueTargets(Date.now()).flatMap((target) => queue.takeDue(target, Date.now(), 500));
    if (taken.length === 0) break;
    const claimed = outbox.claim(
      taken.map((job) => job.id),
      Date.now(),
    );
    for (const job of claimed) queue.inFlight(job.id);
    mostHeld = Math.max(mostHeld, queue.size);
    outbox.completeAll(
      claimed.map((job) => ({
        job,
        attempt: {
          startedAt: Date.now(),
          latencyMs: 1,
          url: 'http://127.0.0.1/api/events',
          keyFingerprint: 'test',
          requestBody: '{}',
          statusCode: 202,
          error: null,
          responseBody: null,
          manual: false,
        },
        verdict: { kind: 'delivered' },
      })),
    );
    for (const job of claimed) queue.finished(job.id);
    sent.push(...taken);
  }

  assert.equal(sent.length, BACKLOG + 2, 'every job handed out');
  assert.equal(new Set(sent.map((job) => job.id)).size, BACKLOG + 2, 'each once');
  assert.ok(mostHeld <= 2 * BACKLOG_WINDOW, `at most two windows held at a time, not the backlog: ${mostHeld}`);
  const keys = sent.map((job) => job.alertKey);
  assert.deepEqual(keys.slice(0, 3), ['alert-10000', 'alert-10001', 'alert-10002'], 'criticals first, although they came last');
  assert.ok(keys.indexOf('pair') < keys.lastIndexOf('pair') && sent[keys.indexOf('pair')]!.id < sent[keys.lastIndexOf('pair')]!.id, 'the RESOLVE after its ALERT');
  // Backlog order throughout, but for the RESOLVE, which had to wait for its ALERT far behind it.
  const others = sent.filter((job) => job.alertKey !== 'pair' || job.id === sent[keys.indexOf('pair')]!.id);
  assert.ok(
    others.every((job, at) => at === 0 || others[at - 1]!.priorityAt < job.priorityAt || (others[at - 1]!.priorityAt === job.priorityAt && others[at - 1]!.id < job.id)),
    'in backlog order',
  );
});

test('after a restart during an outage, the jobs further on go while the front of the backlog sleeps out its backoff', (t) => {
  const dataDir = tempDataDir('relay-backlog-memory-');
  const store = new Store(dataDir);
  t.after(() => removeAfter(dataDir, () => store.close()));
  const now = Date.now();
  store.transaction(() => {
    for (let index = 0; index < 20; index++) {
      store.ledger.insertJob({
        alertKey: `alert-${index}`,
        levelAlertId: `alert-${index}`,
        eventId: `event-${index}`,
        deliveryId: null,
        target: 'default',
        routeReason: null,
        body: { eventType: 'ALERT', summary: `alert ${index}`, alertKey: `alert-${index}` },
        severity: 'critical',
        status: 'queued',
        reason: null,
        now: now + index,
      });
    }
  });
  const outbox = new Outbox(store);
  // The previous process tried the first four while ilert was down: they wait ten minutes.
  const tried = outbox.claim([1, 2, 3, 4], now);
  outbox.completeAll(tried.map((job) => ({ job, attempt: attempt(503), verdict: { kind: 'retry', at: now + 600_000, maybeDelivered: false, reason: 'ilert is down' } })));

  const queue = queueOver(outbox, 4);
  queue.loadBacklog(outbox.backlogTargets());
  assert.deepEqual(
    queue.dueTargets(now + 1000).flatMap((target) => queue.takeDue(target, now + 1000, 2).map((job) => job.id)),
    [5, 6],
    'the next due jobs in backlog order, read from the store although the window held was all asleep',
  );
});

test('a relay started on 20,000 queued jobs holds a window of them and sends the front of the backlog first', { timeout: 120_000 }, async (t) => {
  const dataDir = tempDataDir('relay-backlog-memory-');
  const store = new Store(dataDir);
  fillBacklog(store);
  await store.close();

  const harness = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY, ilertEventsPerMinute: 1000 }, { ...FAST_TUNING, maxInFlight: 64 }, dataDir);
  t.after(() => removeAfter(dataDir, () => harness.stop()));
  assert.ok(probe(harness.relay).heldJobs() <= 2 * BACKLOG_WINDOW, `a window held on start, not the backlog: ${probe(harness.relay).heldJobs()}`);

  // The rate limit lets the first 1,000 go: the front of the backlog, the criticals that came last.
  await ilert.waitFor(() => ilert.events.length >= 1000, 60_000, 'the first 1,000 events');
  const front = new Set(Array.from({ length: 1000 }, (_, index) => `alert-${BACKLOG / 2 + index}`));
  assert.deepEqual(
    ilert.events.filter((event) => !front.has(event.alertKey!)).map((event) => event.alertKey),
    [],
    'only the front of the backlog; the RESOLVE there waits for its ALERT',
  );
  assert.ok(probe(harness.relay).heldJobs() <= 2 * BACKLOG_WINDOW, `still a window after sending: ${probe(harness.relay).heldJobs()}`);
});
