/**
 * The wizard's "test the integration" step against the real core: hop by hop from a signed
 * alert posted through a Host-rewriting reverse proxy (the "tunnel") to the alert in the fake
 * ilert and back. The browser version of the whole wizard is tests/e2e/wizard.test.ts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { startReverseProxy } from '../fakes/reverse-proxy.ts';
import { INTEGRATION_KEY, SECRET, startRelay, FAST_TUNING, OWNER, answered } from '../helpers/relay-harness.ts';
import { waitForEvent } from '../helpers/wait.ts';
import type { IntegrationTest } from '../../shared/contract.ts';
import { alertKeyFor } from '../../electron/core/ilert/event-mapping.ts';
import { inspect } from '../helpers/inspect.ts';
import { runNow } from '../helpers/parts.ts';

const API_KEY = 'ilert-user-key-setup';

const ilert = await new FakeIlert().start();
ilert.apiKeys.add(API_KEY);
ilert.addAlertSource({ integrationKey: INTEGRATION_KEY, name: 'Level alerts', escalationPolicy: { id: 3, name: 'MSP on-call' } });
const harness = await startRelay(
  { ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: ilert.url, ilertApiKey: API_KEY },
  { ...FAST_TUNING, testPollMs: 50, testHopTimeoutMs: 5000 },
);
const proxy = await startReverseProxy(new URL(harness.url).origin);
// A URL proven to reach the relay is saved as the one Level calls.
const reach = await harness.api.checkReachability({ url: proxy.url }, OWNER);
assert.equal(reach.ok, true, reach.ok ? '' : reach.message);

after(async () => {
  await harness?.stop();
  await proxy?.stop();
  await ilert?.stop();
});

function finished(): Promise<IntegrationTest> {
  return waitForEvent(
    harness.relay.events,
    'change',
    () => {
      const current = answered(harness.api.getIntegrationTest({}, OWNER));
      return current && current.outcome !== 'running' ? current : undefined;
    },
    15_000,
    'the integration test to finish',
  );
}

test('the ilert check names the source and its escalation policy', async () => {
  const check = await harness.api.checkIlertSource({ integrationKey: ` ${INTEGRATION_KEY} `, apiKey: API_KEY }, OWNER);
  assert.equal(check.ok, true);
  assert.equal(check.ok && check.summary, '“Level alerts” (API source) → escalation policy “MSP on-call”');
  const unknown = await harness.api.checkIlertSource({ integrationKey: 'il1api-unknown-key-0000', apiKey: API_KEY }, OWNER);
  assert.equal(unknown.ok, false);
  assert.match(!unknown.ok ? unknown.message : '', /404/);
});

test('the ilert check warns when the alert source is neither API nor Level.io', async () => {
  const prometheus = ilert.addAlertSource({ integrationKey: 'il1prom0123456789abcdef', name: 'Cluster alerts', integrationType: 'PROMETHEUS' });
  const check = await harness.api.checkIlertSource({ integrationKey: prometheus.integrationKey, apiKey: API_KEY }, OWNER);
  assert.equal(check.ok, true, 'the key is valid, so it can still be saved');
  assert.match(check.ok ? (check.warning ?? '') : '', /“Cluster alerts” is a PROMETHEUS alert source, neither API nor Level\.io/);
  for (const integrationType of ['API', 'LEVELIO']) {
    const fine = ilert.addAlertSource({ integrationKey: `il1${integrationType.toLowerCase()}0123456789abc`, name: integrationType, integrationType });
    const result = await harness.api.checkIlertSource({ integrationKey: fine.integrationKey, apiKey: API_KEY }, OWNER);
    assert.equal(result.ok && result.warning, undefined, integrationType);
  }
});

test('a synthetic test alert goes through the public URL and passes every hop', async () => {
  await harness.api.startIntegrationTest({ mode: 'synthetic' }, OWNER);
  const result = await finished();
  assert.equal(result.outcome, 'passed', JSON.stringify(result.hops));
  assert.deepEqual(
    result.hops.map((hop) => [hop.id, hop.status]),
    [
      ['received', 'ok'],
      ['signature', 'ok'],
      ['sent', 'ok'],
      ['ilert-alert', 'ok'],
      ['resolve-sent', 'ok'],
      ['ilert-resolved', 'ok'],
    ],
  );
  assert.ok(
    proxy.requests.some((request) => request.xff),
    'it went through the proxy, as Level would',
  );
  const alert = ilert.alertByKey(alertKeyFor(result.levelAlertId!))!;
  assert.equal(alert.status, 'RESOLVED');
  assert.match(alert.summary, /TEST — synthetic alert/, 'a synthetic test alert says so');
});

test('a maintenance window over everything does not hold the setup test’s alert: the test is a person asking for a page', async () => {
  const now = Date.now();
  const window = await harness.api.createMaintenanceWindow(
    { name: 'Everything quiet', scope: { all: true }, start: new Date(now - 60_000).toISOString(), end: new Date(now + 3_600_000).toISOString() },
    OWNER,
  );
  try {
    await harness.api.startIntegrationTest({ mode: 'synthetic' }, OWNER);
    const result = await finished();
    assert.equal(result.outcome, 'passed', JSON.stringify(result.hops));
  } finally {
    await harness.api.endMaintenanceWindow({ id: window.id }, OWNER);
  }
});

test('waiting for Level: a real test alert from Level is followed through to RESOLVED', async () => {
  await harness.api.startIntegrationTest({ mode: 'wait' }, OWNER);
  assert.match(answered(harness.api.getIntegrationTest({}, OWNER))!.message!, /waiting for Level/);
  const sender = new LevelSender({ url: `${proxy.url}/webhooks/level`, secret: SECRET, attempts: 1 });
  const event = alertEvent({ name: 'Level test alert' });
  await sender.deliver(event);
  await waitForEvent(
    harness.relay.events,
    'change',
    () => answered(harness.api.getIntegrationTest({}, OWNER))?.hops.find((hop) => hop.id === 'ilert-alert')?.status === 'ok',
    10_000,
    'the alert in ilert',
  );
  await sender.deliver(alertEvent({ alertId: event.data.id, eventType: 'alert_resolved' }));
  const result = await finished();
  assert.equal(result.outcome, 'passed', JSON.stringify(result.hops));
  assert.equal(result.levelAlertId, event.data.id);
});

test('a failing hop stops the test with the reason: ilert refuses the key', async (t) => {
  ilert.removeAlertSource(INTEGRATION_KEY);
  t.after(() => ilert.addAlertSource({ integrationKey: INTEGRATION_KEY, name: 'Level alerts', escalationPolicy: { id: 3, name: 'MSP on-call' } }));
  await harness.api.startIntegrationTest({ mode: 'synthetic' }, OWNER);
  const result = await finished();
  assert.equal(result.outcome, 'failed');
  const sent = result.hops.find((hop) => hop.id === 'sent')!;
  assert.equal(sent.status, 'failed');
  assert.match(sent.detail!, /ilert answered 404/);
  assert.match(result.message!, /^Sent to ilert: /);
});

test('a synthetic test cancelled after its ALERT reached ilert still resolves it, through the outbox, across an ilert outage', async (t) => {
  t.after(() => {
    ilert.restMode = { kind: 'ok' };
    ilert.mode = { kind: 'ok' };
  });
  // ilert lists nothing, so the test waits at "Alert visible in ilert" until it is cancelled.
  ilert.restMode = { kind: 'status', status: 200, body: '[]' };
  const started = await harness.api.startIntegrationTest({ mode: 'synthetic' }, OWNER);
  const key = await runningTestAlertInIlert('the test ALERT in ilert');
  assert.equal(ilert.alertByKey(key)?.status, 'PENDING');
  ilert.mode = { kind: 'status', status: 503 };
  await harness.api.cancelIntegrationTest({}, OWNER);
  const result = await finished();
  assert.equal(result.id, started.id);
  assert.equal(result.outcome, 'cancelled');

  const resolve = await waitForEvent(
    harness.relay.events,
    'change',
    () => inspect(harness.relay).row(`SELECT status, attempts FROM outbox WHERE alert_key = ? AND event_type = 'RESOLVE'`, key) as { status: string; attempts: number } | undefined,
    5000,
    'the RESOLVE in the outbox',
  );
  assert.notEqual(resolve.status, 'skipped', 'the ALERT reached ilert: its RESOLVE must be sent');
  await waitForEvent(
    harness.relay.events,
    'change',
    () => (inspect(harness.relay).row(`SELECT attempts FROM outbox WHERE alert_key = ? AND event_type = 'RESOLVE'`, key) as { attempts: number }).attempts > 0 || undefined,
    5000,
    'a failed attempt during the outage',
  );
  assert.equal(ilert.alertByKey(key)?.status, 'PENDING', 'still open while ilert is down');
  ilert.mode = { kind: 'ok' };
  await ilert.waitFor(() => ilert.alertByKey(key)?.status === 'RESOLVED', 5000, 'the test alert resolved in ilert');
  assert.deepEqual(ilert.eventTypesFor(key), ['ALERT', 'RESOLVE']);
});

test('the reconciler resolves a test alert left open by a relay that stopped mid-test, and never the running one', async (t) => {
  t.after(() => {
    ilert.restMode = { kind: 'ok' };
  });
  const leftover = alertEvent({ alertId: `relay-test-left${process.pid}`, severity: 'warning' });
  assert.equal((await harness.sender.deliver(leftover)).acknowledged, true);
  const key = alertKeyFor(leftover.data.id);
  await ilert.waitFor(() => ilert.alertByKey(key)?.status === 'PENDING', 5000, 'the leftover test ALERT in ilert');

  ilert.restMode = { kind: 'status', status: 200, body: '[]' };
  await harness.api.startIntegrationTest({ mode: 'synthetic' }, OWNER);
  const runningKey = await runningTestAlertInIlert('the running test’s ALERT in ilert');

  // No Level API key here: the run fails as a reconciliation, but test alerts are the relay's own.
  await assert.rejects(runNow(harness.relay).reconcile('manual'), /no Level API key/);
  const [run] = await harness.api.listReconciliations({}, OWNER);
  assert.deepEqual(
    run!.changes.map((change) => [change.levelAlertId, change.action]),
    [[leftover.data.id, 'resolved']],
  );
  await ilert.waitFor(() => ilert.alertByKey(key)?.status === 'RESOLVED', 5000, 'the leftover resolved in ilert');
  assert.equal(ilert.alertByKey(runningKey)?.status, 'PENDING', 'the running test’s alert is left alone');

  await assert.rejects(runNow(harness.relay).reconcile('manual'));
  assert.deepEqual((await harness.api.listReconciliations({}, OWNER))[0]!.changes, [], 'resolved once');
  assert.equal(ilert.eventsFor(key).filter((event) => event.eventType === 'RESOLVE').length, 1);

  await harness.api.cancelIntegrationTest({}, OWNER);
  assert.equal((await finished()).outcome, 'cancelled');
  await ilert.waitFor(() => ilert.alertByKey(runningKey)?.status === 'RESOLVED', 5000, 'the cancelled test’s alert resolved');
});

/** The alert key of the running integration test, once its ALERT reached the fake ilert. */
function runningTestAlertInIlert(what: string): Promise<string> {
  return waitForEvent(
    harness.relay.events,
    'change',
    () => {
      const id = answered(harness.api.getIntegrationTest({}, OWNER))?.levelAlertId;
      return id && ilert.eventsFor(alertKeyFor(id)).length === 1 ? alertKeyFor(id) : undefined;
    },
    5000,
    what,
  );
}
