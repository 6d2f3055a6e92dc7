/**
 * Every troubleshooting line of the seed guide, triggered for real and answered with its specific
 * diagnosis: what the Health page and the tray show instead of leaving the technician to guess.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi } from '../fakes/fake-level-api.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { startReverseProxy } from '../fakes/reverse-proxy.ts';
import { FAST_TUNING, freePort, INTEGRATION_KEY, OWNER, ROOT, SECRET, startRelay, tempDataDir, type InProcessRelay, answered } from '../helpers/relay-harness.ts';
import { waitForEvent, waitForChange } from '../helpers/wait.ts';
import type { Clock } from '../../electron/core/forwarder/clock.ts';
import { trayState } from '../../electron/core/desktop/tray-state.ts';
import type { Diagnosis } from '../../shared/contract.ts';
import { diagnosesAt, runNow, probe, processed } from '../helpers/parts.ts';

const FAKE_CLOUDFLARED = path.join(ROOT, 'tests/fakes/fake-cloudflared.mjs');
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function relayWith(settings: Parameters<typeof startRelay>[0] = {}, tuning?: Parameters<typeof startRelay>[1]): Promise<InProcessRelay> {
  const harness = await startRelay(settings, tuning);
  cleanups.push(() => harness.stop());
  return harness;
}

async function fakeIlert(): Promise<FakeIlert> {
  const ilert = await new FakeIlert().start();
  cleanups.push(() => ilert.stop());
  return ilert;
}

function find(harness: InProcessRelay, id: string, now?: number): Diagnosis {
  const ids = diagnosesAt(harness.relay, now).map((diagnosis) => diagnosis.id);
  assert.deepEqual(ids, [...new Set(ids)], 'every diagnosis has an id of its own (the dashboard keys its cards by id)');
  const found = diagnosesAt(harness.relay, now).find((diagnosis) => diagnosis.id === id);
  assert.ok(found, `diagnosis ${id} expected, got ${JSON.stringify(diagnosesAt(harness.relay, now).map((diagnosis) => diagnosis.id))}`);
  return found;
}

test('nothing arrives: the tunnel is down (cloudflared died, or is not installed)', async () => {
  const harness = await relayWith({ tunnel: 'quick', cloudflaredPath: path.join(ROOT, 'tests/fakes/no-such-cloudflared') });
  await waitForEvent(harness.relay.events, 'change', () => harness.relay.status().tunnel?.status === 'not-installed', 5000, 'not-installed');
  const diagnosis = find(harness, 'tunnel-down');
  assert.equal(diagnosis.level, 'error');
  assert.match(diagnosis.title, /The tunnel is not installed/);
  assert.match(diagnosis.fix!, /Install cloudflared/);
  const status = harness.relay.status();
  assert.equal(trayState({ status, alerts: { counts: {} }, notificationsPausedUntil: undefined, now: Date.now() }).icon, 'problem', 'the tray shows it');

  harness.relay.applySettings({ ...harness.relay.settings, cloudflaredPath: FAKE_CLOUDFLARED });
  await harness.api.startTunnel({ kind: 'quick' }, OWNER);
  await waitForEvent(harness.relay.events, 'change', () => harness.relay.status().tunnel?.status === 'running', 5000, 'running');
  assert.equal(
    diagnosesAt(harness.relay).some((diagnosis) => diagnosis.id === 'tunnel-down'),
    false,
  );
  await harness.api.stopTunnel({}, OWNER);
});

test('nothing arrives: the public URL does not reach this relay, or nothing ever came', async () => {
  const harness = await relayWith();
  const other = await relayWith();
  const proxy = await startReverseProxy(new URL(other.url).origin);
  cleanups.push(() => proxy.stop());
  harness.relay.applySettings({ ...harness.relay.settings, publicUrl: proxy.url });
  const result = await harness.api.checkReachability({}, OWNER);
  assert.equal(result.ok, false);
  assert.match(find(harness, 'public-url-unreachable').detail, /another relay answers at this URL/);

  const reached = await harness.api.checkReachability({ url: (await startProxyFor(harness)).url }, OWNER);
  assert.equal(reached.ok, true);
  harness.relay.applySettings({ ...harness.relay.settings, publicUrl: 'https://relay.example.com' });
  assert.ok(!diagnosesAt(harness.relay).some((diagnosis) => diagnosis.id === 'public-url-unreachable'), 'a check of another URL than the one in use is no finding');
  const later = Date.now() + 11 * 60_000;
  const quiet = find(harness, 'nothing-arrives', later);
  assert.match(quiet.detail, /https:\/\/relay\.example\.com\/webhooks\/level/, 'says exactly what Level must call');
});

test('a failed check of a URL that was never saved is no standing problem; a check or the setup test through the saved URL clears one', async () => {
  const ilert = await fakeIlert();
  const port = await freePort();
  const harness = await relayWith({ port, ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: ilert.url }, { ...FAST_TUNING, testPollMs: 50, testHopTimeoutMs: 2000 });
  const saved = await startProxyFor(harness);
  harness.relay.applySettings({ ...harness.relay.settings, publicUrl: saved.url });
  const check = (url?: string) => harness.api.checkReachability(url === undefined ? {} : { url }, OWNER);
  const unreachable = () => diagnosesAt(harness.relay).some((diagnosis) => diagnosis.id === 'public-url-unreachable');

  // A URL tried in the wizard, never saved.
  const other = await relayWith();
  const elsewhere = await startProxyFor(other);
  assert.equal((await check(elsewhere.url)).ok, false);
  assert.equal(unreachable(), false, 'Level does not post there');

  // The saved URL fails while the receiver is down, then passes once it listens again.
  const receiver = probe(harness.relay);
  const downAndUp = async (recover: () => Promise<unknown>) => {
    await receiver.receiverDown();
    assert.equal((await check()).ok, false);
    assert.equal(unreachable(), true, 'the saved URL failed');
    await receiver.receiverUp(port, '127.0.0.1');
    await recover();
  };
  await downAndUp(async () => check());
  assert.equal(unreachable(), false, 'a passing check of the saved URL clears it');

  await downAndUp(async () => {
    await harness.api.startIntegrationTest({ mode: 'synthetic' }, OWNER);
    await waitForEvent(
      harness.relay.events,
      'change',
      () => answered(harness.api.getIntegrationTest({}, OWNER))?.hops.find((hop) => hop.id === 'received')?.status === 'ok',
      5000,
      'the test webhook received',
    );
  });
  assert.equal(unreachable(), false, 'the setup test reached the relay through the saved URL');
  harness.api.cancelIntegrationTest({}, OWNER);
});

async function startProxyFor(harness: InProcessRelay) {
  const proxy = await startReverseProxy(new URL(harness.url).origin);
  cleanups.push(() => proxy.stop());
  return proxy;
}

test('nothing arrives: Level calls the URL with a trailing space, or a wrong path', async () => {
  const harness = await relayWith({ publicUrl: 'https://relay.example.com' });
  const base = new URL(harness.url).origin;
  await fetch(`${base}/webhooks/level%20`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const spaces = find(harness, 'wrong-path:/webhooks/level ');
  assert.equal(spaces.title, 'The webhook URL in Level has extra spaces');
  assert.match(spaces.fix!, /exactly https:\/\/relay\.example\.com\/webhooks\/level \(no spaces/);

  const other = await relayWith();
  await fetch(`${new URL(other.url).origin}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await fetch(`${new URL(other.url).origin}/webhooks/levels`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const wrong = find(other, 'wrong-path:/webhook');
  const ids = diagnosesAt(other.relay).map((diagnosis) => diagnosis.id);
  assert.deepEqual(ids, [...new Set(ids)], 'two wrong URLs are two problems with ids of their own (the dashboard keys its cards by id)');
  assert.ok(ids.includes('wrong-path:/webhooks/levels'), JSON.stringify(ids));
  assert.equal(wrong.title, 'Level calls a URL the relay does not serve');
  assert.match(wrong.detail, /^1 request in the last day went to "\/webhook"; the relay serves "\/webhooks\/level"/);
  assert.equal(wrong.level, 'error', 'nothing correct has arrived: this may be why');

  // Once Level's own deliveries arrive, a stray request is a warning, not a red error for a day.
  await new LevelSender({ url: other.url, secret: SECRET, attempts: 1 }).deliver(alertEvent());
  assert.equal(find(other, 'wrong-path:/webhook').level, 'warning');
});

test('one list of problems: configuration is in it, and the status says what ilert answered', async () => {
  const bare = await relayWith({ levelWebhookSecret: undefined });
  const status = bare.relay.status();
  assert.deepEqual(status.diagnoses.map((diagnosis) => diagnosis.id).sort(), ['configuration:0', 'ilert-not-configured'], 'nothing configured is a problem, not “no fault found”');
  assert.equal(find(bare, 'ilert-not-configured').level, 'error');
  assert.match(find(bare, 'configuration:0').title, /^No Level webhook secret/);
  assert.deepEqual(status.ilert, { tone: 'muted', text: 'no attempts yet' });
  assert.equal(
    trayState({ status, alerts: { counts: {} }, notificationsPausedUntil: undefined, now: Date.now() }).tooltip,
    `Level → ilert Relay: no active alerts · 2 problems: ${status.diagnoses.map((diagnosis) => diagnosis.title).join(', ')}`,
  );

  const ilert = await fakeIlert();
  ilert.mode = { kind: 'status', status: 503 };
  const harness = await relayWith({ ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: ilert.url });
  await new LevelSender({ url: harness.url, secret: SECRET, attempts: 1 }).deliver(alertEvent());
  await waitForChange(harness.relay, () => harness.relay.status().ilert.text === '503, retrying', 5000, 'the 503 in the status');
  assert.equal(harness.relay.status().ilert.tone, 'warn');
  assert.match(find(harness, 'ilert-unavailable:default').title, /^ilert answers 503/);
  ilert.mode = { kind: 'ok' };
  await waitForChange(harness.relay, () => harness.relay.status().ilert.text === 'reachable', 5000, 'reachable again');
  assert.deepEqual(diagnosesAt(harness.relay), []);

  ilert.acceptedKeys = new Set(['il1api-some-other-key']);
  await new LevelSender({ url: harness.url, secret: SECRET, attempts: 1 }).deliver(alertEvent());
  await waitForChange(harness.relay, () => harness.relay.status().ilert.text === '404 key not found', 5000, 'the 404 in the status');
  assert.equal(harness.relay.status().ilert.tone, 'bad');
  assert.deepEqual(
    diagnosesAt(harness.relay)
      .map((diagnosis) => diagnosis.id)
      .sort(),
    ['failed-jobs', 'ilert-key-rejected:default'],
  );
});

test('“503, retrying” is said only while something waits: a day of retries ends as “gave up”, an empty queue clears it, a restart does not bring it back', async () => {
  const ilert = await fakeIlert();
  ilert.mode = { kind: 'status', status: 503 };
  // The forwarder's wall clock, moved on by the test instead of waiting a day (FAST_TUNING gives up after a minute).
  let aheadMs = 0;
  const clock: Clock = { now: () => Date.now() + aheadMs, monotonic: () => performance.now() };
  const dataDir = tempDataDir();
  const harness = await startRelay({ ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: ilert.url }, { ...FAST_TUNING, clock }, dataDir);
  let stopped = false;
  cleanups.push(async () => {
    if (!stopped) await harness.stop();
  });
  const given = alertEvent();
  await harness.sender.deliver(given);
  await waitForChange(harness.relay, () => harness.relay.status().ilert.text === '503, retrying', 5000, 'the 503 in the status');
  aheadMs = 61_000;
  await waitForChange(harness.relay, () => harness.relay.status().failedJobs === 1, 5000, 'the give-up');
  assert.deepEqual(harness.relay.status().ilert, { tone: 'bad', text: '503, gave up', target: 'default' });
  const ids = diagnosesAt(harness.relay).map((diagnosis) => diagnosis.id);
  assert.ok(!ids.includes('ilert-unavailable:default'), `nothing is retried any more: ${ids.join(', ')}`);
  assert.ok(ids.includes('failed-jobs'));

  // An ALERT still retrying when its RESOLVE arrives is skipped with it: the queue empties, and the 503 is history.
  aheadMs = 0;
  await harness.api.retryAllFailed({}, OWNER);
  await waitForChange(harness.relay, () => harness.relay.status().ilert.text === '503, retrying', 5000, 'retrying again');
  const alertKey = `level-alert-${given.data.id}`;
  await harness.sender.deliver(alertEvent({ eventType: 'alert_resolved', alertId: given.data.id, occurredAt: new Date(Date.parse(given.occurred_at) + 60_000).toISOString() }));
  await waitForChange(harness.relay, () => harness.relay.status().queueDepth === 0, 5000, `the queue of ${alertKey} to empty`);
  assert.deepEqual(harness.relay.status().ilert, { tone: 'muted', text: 'nothing waiting', target: 'default' });
  assert.deepEqual(diagnosesAt(harness.relay), []);
  // Held by a pause: nothing is retried, whatever waits.
  await harness.api.pauseTarget({ target: 'default' }, OWNER);
  await harness.sender.deliver(alertEvent());
  assert.deepEqual(harness.relay.status().ilert, { tone: 'muted', text: 'waiting to send', target: 'default' });
  await harness.stop();
  stopped = true;

  // Restarted, resumed, but without a key: the event waits, and the 503 stored before is not restored.
  const restarted = await startRelay({ ilertIntegrationKey: '', ilertApiUrl: ilert.url }, FAST_TUNING, dataDir);
  cleanups.push(() => restarted.stop());
  await restarted.api.resumeTarget({ target: 'default' }, OWNER);
  assert.deepEqual(restarted.relay.status().ilert, { tone: 'muted', text: 'waiting to send', target: 'default' });
  assert.deepEqual(
    diagnosesAt(restarted.relay).map((diagnosis) => diagnosis.id),
    ['target-not-configured:default'],
  );
  const other = await fakeIlert();
  restarted.relay.applySettings({ ...restarted.relay.settings, ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: other.url });
  await waitForChange(restarted.relay, () => restarted.relay.status().ilert.text === 'reachable', 5000, 'reachable');
});

test('401s: Level signs with a different secret, or sends no signature', async () => {
  const harness = await relayWith();
  await new LevelSender({ url: harness.url, secret: 'the-secret-in-level-is-another', attempts: 1 }).deliver(alertEvent());
  const mismatch = find(harness, 'signature-mismatch');
  assert.equal(mismatch.title, 'Level signs with a different secret than the one saved here');
  assert.equal(mismatch.level, 'error');
  await new LevelSender({ url: harness.url, attempts: 1 }).deliver(alertEvent());
  assert.equal(find(harness, 'signature-missing').title, 'Level sends no signature, but a secret is set here');
  await new LevelSender({ url: harness.url, secret: SECRET, attempts: 1 }).deliver(alertEvent());
  assert.equal(
    diagnosesAt(harness.relay).some((diagnosis) => diagnosis.id.startsWith('signature')),
    false,
    'a good delivery clears it',
  );
});

test('alerts become active but never resolve: “Alert resolved” is probably not selected', async () => {
  const harness = await relayWith();
  await new LevelSender({ url: harness.url, secret: SECRET, attempts: 1 }).deliver(alertEvent());
  assert.equal(
    diagnosesAt(harness.relay).some((diagnosis) => diagnosis.id === 'never-resolves'),
    false,
    'not while the alert is young',
  );
  const diagnosis = find(harness, 'never-resolves', Date.now() + 3 * 86_400_000);
  assert.equal(diagnosis.title, '“Alert resolved” is probably not selected in Level');
});

test('ilert refuses the integration key (404/403), or the alert source is disabled', async () => {
  const ilert = await fakeIlert();
  ilert.acceptedKeys = new Set(['il1api-some-other-key']);
  const harness = await relayWith({ ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: ilert.url });
  await new LevelSender({ url: harness.url, secret: SECRET, attempts: 1 }).deliver(alertEvent());
  await waitForChange(harness.relay, () => harness.relay.status().failedJobs === 1, 5000, 'the job failed');
  const refused = find(harness, 'ilert-key-rejected:default');
  assert.match(refused.title, /ilert refuses the integration key of target “default” \(404\)/);
  assert.match(refused.detail, /wrong, or the alert source was deleted/);

  const disabledIlert = await fakeIlert();
  disabledIlert.apiKeys.add('user-key');
  disabledIlert.addAlertSource({ integrationKey: INTEGRATION_KEY, name: 'Level alerts', active: false });
  const withApiKey = await relayWith({ ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: disabledIlert.url, ilertApiKey: 'user-key' });
  const disabled = await waitForEvent(
    withApiKey.relay.events,
    'change',
    () => diagnosesAt(withApiKey.relay).find((diagnosis) => diagnosis.id === 'alert-source:default'),
    5000,
    'the source check',
  );
  assert.match(disabled.detail, /“Level alerts” is disabled in ilert/);
});

test('ilert’s rate limit is reached: queue depth and expected drain time', async () => {
  const ilert = await fakeIlert();
  ilert.perKeyLimit = 2;
  const harness = await relayWith({ ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: ilert.url, ilertEventsPerMinute: 3 }, { rateLimitPauseMs: () => 60_000 });
  for (let index = 0; index < 8; index++) await harness.sender.deliver(alertEvent());
  await ilert.waitFor(() => ilert.rateLimited.length > 0, 5000, 'a 429');
  await waitForChange(harness.relay, () => diagnosesAt(harness.relay).find((diagnosis) => diagnosis.id === 'rate-limited'), 5000, 'diagnosed');
  const diagnosis = find(harness, 'rate-limited');
  assert.match(diagnosis.detail, /\d+ events? queued; at 3 per minute per integration key that takes about \d+ min\. ilert answered 429/);
});

test('work waits for a target without a key; the heartbeat fails; Level’s API refuses the key', async () => {
  const level = new FakeLevelApi({ apiKey: 'right-key' });
  await level.start();
  cleanups.push(() => level.stop());
  const harness = await relayWith({ ilertHeartbeatUrl: 'http://127.0.0.1:1/api/pings/il1hbt-x', levelApiUrl: level.url, levelApiKey: 'wrong-key' });
  await new LevelSender({ url: harness.url, secret: SECRET, attempts: 1 }).deliver(alertEvent());
  await processed(harness.relay);
  assert.match(find(harness, 'target-not-configured:default').title, /1 event waits for ilert target “default”, which has no integration key/);
  await waitForEvent(harness.relay.events, 'change', () => answered(harness.api.getRouting({}, OWNER)).lastSyncError, 5000, 'the failed sync');
  assert.match(find(harness, 'level-api').detail, /Level rejected the API key/);
  await runNow(harness.relay).heartbeat();
  assert.match(find(harness, 'heartbeat-failing').detail, /heartbeat ping failed/);
});
