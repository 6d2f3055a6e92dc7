import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { IngestPipeline } from '../../electron/core/ingest/pipeline.ts';
import { Processor } from '../../electron/core/ingest/processor.ts';
import { sign } from '../../electron/core/level/signature.ts';
import { Store } from '../../electron/core/store/store.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { inspect } from '../helpers/inspect.ts';
import { jobsFor } from '../helpers/wait.ts';
import { tempDataDir, webhookDelivery } from '../helpers/relay-harness.ts';
import { consoleLogger } from '../../electron/core/logger.ts';

const SECRET = 'pipeline-secret-0123456789abcdef';
const store = new Store(tempDataDir('relay-ingest-'));
after(() => store.close());
const processor = new Processor({
  log: consoleLogger(),
  store,
  sources: () => ({ sources: [], targetProblem: () => undefined }),
  policy: () => ({ highPrioritySeverities: ['critical'], routeFor: () => ({ target: 'default', reason: 'test route' }) }),
});
after(() => processor.stop());
const pipeline = new IngestPipeline({
  log: consoleLogger(),
  store,
  secrets: () => ({ current: SECRET }),
  sources: () => ({ sources: [], targetProblem: () => undefined }),
  processor,
});

/** Bytes and headers as the HTTP receiver hands them over; returns the answer once what it acknowledged is applied. */
async function receive(event: object, signature: string | undefined = undefined) {
  const body = Buffer.from(JSON.stringify(event));
  const answer = await pipeline.webhook(webhookDelivery(body, 'not-checked', { 'content-type': 'application/json' }), signature ?? sign(SECRET, body));
  await processor.idle();
  return answer;
}

const lastDelivery = () =>
  inspect(store).row<{ outcome: string; status_code: number; signature: string; reason: string | null }>(
    'SELECT outcome, status_code, signature, reason FROM deliveries ORDER BY id DESC LIMIT 1',
  );

test('a signed alert is stored with its ALERT queued; a bad signature is refused and recorded', async () => {
  const event = alertEvent();
  assert.deepEqual(await receive(event), { statusCode: 202, body: { accepted: true, event_id: event.event_id } });
  assert.deepEqual(
    jobsFor(store, `level-alert-${event.data.id}`).map((job) => [job.event_type, job.status]),
    [['ALERT', 'queued']],
  );

  const forged = alertEvent();
  const refused = await receive(forged, sign('another-secret', JSON.stringify(forged)));
  assert.equal(refused.statusCode, 401);
  assert.match(String(refused.body.error), /bad signature/);
  assert.deepEqual({ ...lastDelivery() }, { outcome: 'rejected', status_code: 401, signature: 'invalid', reason: refused.body.error });
  assert.deepEqual(jobsFor(store, `level-alert-${forged.data.id}`), [], 'nothing for ilert');
  assert.equal((await receive(alertEvent(), '')).statusCode, 401, 'a missing signature too');
});

test('a repeated delivery is answered 200 as a duplicate and never makes a second ilert event', async () => {
  const event = alertEvent();
  await receive(event);
  assert.deepEqual(await receive(event), { statusCode: 200, body: { duplicate: true, event_id: event.event_id } });
  assert.equal(lastDelivery()?.outcome, 'duplicate');
  assert.equal(jobsFor(store, `level-alert-${event.data.id}`).length, 1);
});

test('a resolve before its activation is sent, and the late activation does not reopen the alert', async () => {
  const alertId = `early-${randomUUID()}`;
  await receive(alertEvent({ alertId, eventType: 'alert_resolved', occurredAt: '2026-03-13T18:40:00Z' }));
  await receive(alertEvent({ alertId, eventType: 'alert_active', occurredAt: '2026-03-13T18:30:00Z' }));
  assert.deepEqual(
    jobsFor(store, `level-alert-${alertId}`).map((job) => [job.event_type, job.status, job.reason]),
    [
      ['RESOLVE', 'queued', null],
      ['ALERT', 'skipped', 'skipped: stale — the alert was resolved at 2026-03-13T18:40:00.000Z'],
    ],
  );
  assert.equal(inspect(store).row<{ state: string }>('SELECT state FROM alerts WHERE level_alert_id = ?', alertId)?.state, 'resolved');
});

test('an out-of-order resolve from an earlier episode leaves the alert active', async () => {
  const alertId = `episode-${randomUUID()}`;
  await receive(alertEvent({ alertId, occurredAt: '2026-03-13T19:00:00Z' }));
  await receive(alertEvent({ alertId, eventType: 'alert_resolved', occurredAt: '2026-03-13T18:50:00Z' }));
  assert.deepEqual(
    jobsFor(store, `level-alert-${alertId}`).map((job) => [job.event_type, job.status, job.reason]),
    [
      ['ALERT', 'queued', null],
      ['RESOLVE', 'skipped', 'skipped: stale — the alert became active again later'],
    ],
  );
  assert.equal(inspect(store).row<{ state: string }>('SELECT state FROM alerts WHERE level_alert_id = ?', alertId)?.state, 'active');
});

test('an ALERT and its RESOLVE both still waiting are skipped together: nobody is paged for a problem that is over', async () => {
  const alertId = `over-${randomUUID()}`;
  await receive(alertEvent({ alertId, occurredAt: '2026-03-13T18:30:00Z' }));
  await receive(alertEvent({ alertId, eventType: 'alert_resolved', occurredAt: '2026-03-13T18:31:00Z' }));
  assert.deepEqual(
    jobsFor(store, `level-alert-${alertId}`).map((job) => [job.event_type, job.status]),
    [
      ['ALERT', 'skipped'],
      ['RESOLVE', 'skipped'],
    ],
  );
});

test('a device event updates the device mirror and makes no ilert work', async () => {
  const deviceId = `dev-${randomUUID()}`;
  const event = { event_type: 'device_updated', event_id: randomUUID(), occurred_at: new Date().toISOString(), data: { id: deviceId, hostname: 'ACME-DC02', group_id: 'g1' } };
  assert.equal((await receive(event)).statusCode, 202);
  assert.equal(inspect(store).row<{ hostname: string }>('SELECT hostname FROM devices WHERE id = ?', deviceId)?.hostname, 'ACME-DC02');
  assert.equal(inspect(store).row<{ n: number }>('SELECT count(*) AS n FROM outbox WHERE event_id = ?', event.event_id)?.n, 0);
});
