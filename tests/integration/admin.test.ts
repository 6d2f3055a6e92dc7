import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { AdminServer } from '../../electron/core/admin/admin-server.ts';
import { BATCH_INTERVAL_MS } from '../../electron/core/change-batcher.ts';
import { methods } from '../../shared/contract.ts';
import { startRelay, tempDataDir, OWNER } from '../helpers/relay-harness.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { processed } from '../helpers/parts.ts';
import { waitForEvent } from '../helpers/wait.ts';
import { inspect } from '../helpers/inspect.ts';
import { createLogger } from '../../electron/core/logger.ts';

const rendererDir = tempDataDir('renderer-');
fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>dashboard</title>');
fs.writeFileSync(path.join(tempDataDir(), 'secret.txt'), 'not for you');

const harness = await startRelay();
const admin = new AdminServer({ handlers: harness.api, rendererDir });
const { port } = await admin.listen(0);
const base = `http://127.0.0.1:${port}`;
const auth = { authorization: `Bearer ${admin.token}` };
after(async () => {
  await admin.close();
  await harness.stop();
});

/** A raw request, so Host can be set the way a DNS-rebinding page would. */
function rawRequest(options: {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path: options.path, method: options.method ?? 'GET', headers: options.headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body, headers: response.headers }));
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

const call = (method: string, input: unknown = {}, headers: Record<string, string> = auth) =>
  fetch(`${base}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(input) });

test('the contract’s method list (review changes here on purpose)', () => {
  assert.deepEqual(Object.keys(methods).sort(), [
    'acceptAlert',
    'backfillAlerts',
    'cancelIntegrationTest',
    'changeMemberRole',
    'checkIlertSource',
    'checkReachability',
    'createMaintenanceWindow',
    'createMember',
    'createSource',
    'deleteSource',
    'dryRunRules',
    'endMaintenanceWindow',
    'getDelivery',
    'getIntegrationTest',
    'getRouting',
    'getSettings',
    'getSettingsMetadata',
    'getSetup',
    'getStatus',
    'lastSourceBody',
    'listAlerts',
    'listAudit',
    'listDeliveries',
    'listMaintenanceWindows',
    'listMembers',
    'listReconciliations',
    'listRules',
    'listSources',
    'pauseTarget',
    'previewLevelTemplates',
    'previewSourceTemplates',
    'replayDelivery',
    'rerunDelivery',
    'rerunJob',
    'resumeTarget',
    'retryAllFailed',
    'revokeMember',
    'rotateAdminToken',
    'saveRules',
    'sendHeldNow',
    'sendJobNow',
    'setGroupRoute',
    'startIntegrationTest',
    'startTunnel',
    'stopTunnel',
    'syncLevel',
    'testLevelConnection',
    'testSource',
    'updateSettings',
    'updateSource',
    'whoAmI',
  ]);
});

test('without the token everything is 401, with a message saying where the token is', async () => {
  for (const pathname of ['/', '/index.html', '/api/events']) {
    const response = await fetch(`${base}${pathname}`);
    assert.equal(response.status, 401, pathname);
  }
  const response = await call('getStatus', {}, {});
  assert.equal(response.status, 401);
  assert.match(((await response.json()) as { error: { message: string } }).error.message, /open the URL the relay printed/);
  assert.equal((await call('getStatus', {}, { authorization: 'Bearer wrong' })).status, 401);
  const browser = await fetch(`${base}/`, { headers: { accept: 'text/html,application/xhtml+xml' } });
  assert.equal(browser.status, 401);
  const page = await browser.text();
  assert.match(page, /Open the link the relay printed/, 'a person in a browser is told what to do');
  assert.match(page, /This browser has no access token for this relay yet/);
  assert.doesNotMatch(page, /rotated or revoked/, 'a browser that never had a token is not told its token was rotated');
  const stale = await fetch(`${base}/`, { headers: { accept: 'text/html', cookie: 'relay_admin=an-old-token' } });
  assert.match(await stale.text(), /its token was rotated or revoked/, 'a browser whose token stopped working is told so');
});

test('the printed URL sets an HttpOnly SameSite=Strict cookie and drops the token from the address', async () => {
  const response = await fetch(admin.url, { redirect: 'manual' });
  assert.equal(response.status, 303);
  assert.equal(response.headers.get('location'), '/');
  const cookie = response.headers.get('set-cookie')!;
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const page = await fetch(`${base}/`, { headers: { cookie: cookie.split(';')[0]! } });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /dashboard/);
  assert.match(page.headers.get('content-security-policy')!, /default-src 'self'/);
  assert.equal((await fetch(`${base}/?token=wrong`, { redirect: 'manual' })).status, 401);
});

test('foreign Host headers (DNS rebinding) and foreign Origins (CSRF) are refused even with the token', async () => {
  const rebinding = await rawRequest({
    path: '/api/getStatus',
    method: 'POST',
    headers: { host: `evil.example:${port}`, ...auth, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(rebinding.status, 421);
  const csrf = await call('retryAllFailed', {}, { ...auth, origin: 'https://evil.example' });
  assert.equal(csrf.status, 403);
  const sameOrigin = await call('getStatus', {}, { ...auth, origin: `http://127.0.0.1:${port}` });
  assert.equal(sameOrigin.status, 200);
});

test('the admin API is not on the public listener', async () => {
  const publicBase = harness.url.replace('/webhooks/level', '');
  for (const pathname of ['/api/getStatus', '/', '/api/events', `/?token=${admin.token}`]) {
    const response = await fetch(`${publicBase}${pathname}`, { method: pathname === '/api/getStatus' ? 'POST' : 'GET', headers: auth });
    assert.equal(response.status, 404, pathname);
  }
});

test('it listens on loopback only', () => {
  assert.equal((admin.server.address() as { address: string }).address, '127.0.0.1');
});

test('methods validate their input and answer with clear errors', async () => {
  const bad = await call('rerunJob', { id: 'seven' });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: { message: string } }).error.message, /id/);
  const missing = await call('rerunJob', { id: 424242 });
  assert.equal(missing.status, 404);
  assert.equal((await call('noSuchMethod')).status, 404);
  assert.equal((await fetch(`${base}/api/getStatus`, { headers: auth })).status, 405);
  const notJson = await fetch(`${base}/api/getStatus`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{' });
  assert.equal(notJson.status, 400);
});

test('getStatus and rerunDelivery work over HTTP', async () => {
  const event = alertEvent();
  await harness.sender.postRaw(JSON.stringify(event));
  const status = (await (await call('getStatus')).json()) as { receiverListening: boolean; lastDeliveryAt: number };
  assert.equal(status.receiverListening, true);
  assert.ok(status.lastDeliveryAt > 0);
  const { id } = inspect(harness.relay).row('SELECT id FROM deliveries ORDER BY id DESC LIMIT 1') as { id: number };
  const rerun = await call('rerunDelivery', { id });
  assert.equal(rerun.status, 200);
  assert.deepEqual(await rerun.json(), { statusCode: 200, body: { duplicate: true, event_id: event.event_id } });
});

test('replay with edits: the edited body goes through the receiver signed as Level signs, recorded as a manual replay of the original', async () => {
  const original = alertEvent({ name: 'Disk almost full', hostname: 'NAS-01' });
  await harness.sender.postRaw(JSON.stringify(original));
  const db = inspect(harness.relay);
  const newest = () => db.row('SELECT id, source, rerun_of, signature, outcome, alert_name FROM deliveries ORDER BY id DESC LIMIT 1') as { id: number };
  const { id } = newest();

  const edited = { ...original, event_id: `${original.event_id}-edited`, data: { ...original.data, name: 'Disk full' } };
  const replay = await call('replayDelivery', { id, body: JSON.stringify(edited, null, 2) });
  assert.equal(replay.status, 200);
  assert.equal(((await replay.json()) as { statusCode: number }).statusCode, 202);
  const { id: replayId, ...recorded } = newest();
  assert.ok(replayId > id);
  assert.deepEqual({ ...recorded }, { source: 'replay', rerun_of: id, signature: 'valid', outcome: 'accepted', alert_name: 'Disk full' });
  const audit = (await (await call('listAudit', { limit: 5 })).json()) as { detail: string }[];
  assert.ok(audit.some((entry) => entry.detail.startsWith(`replayed delivery ${id} with edits (HTTP 202) as alert_active`)));

  const refused = async (body: string, reason: RegExp) => {
    const response = await call('replayDelivery', { id, body });
    assert.equal(response.status, 409);
    assert.match(((await response.json()) as { error: { message: string } }).error.message, reason);
  };
  await refused('{"event_id": ', /the body is not JSON/);
  // The receiver's limit, not the admin door's: the request carrying it is let in.
  await refused(JSON.stringify({ padding: 'x'.repeat(1024 * 1024) }), /body too large: \d+ bytes, the receiver's limit is 1048576/);
  const settingsNow = harness.relay.settings;
  harness.relay.applySettings({ ...settingsNow, levelWebhookSecret: undefined });
  try {
    await refused(JSON.stringify(edited), /no webhook secret is set/);
  } finally {
    harness.relay.applySettings(settingsNow);
  }
  assert.equal(newest().id, replayId, 'nothing refused is recorded as a delivery');
});

test('static files cannot escape the renderer directory', async () => {
  for (const attempt of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2e%2e%2f%2e%2e%2fetc%2fpasswd']) {
    const response = await rawRequest({ path: attempt, headers: { host: `127.0.0.1:${port}`, ...auth } });
    assert.equal(response.status, 404, attempt);
    assert.doesNotMatch(response.body, /not for you|root:/);
  }
});

test('pushed changes are batched: a burst of 1,000 deliveries arrives as a handful of messages', async (t) => {
  const messages: { deliveries: number[] }[] = [];
  const delivered = new Set<number>();
  // Earlier tests' deliveries may still be in a pending batch: only the burst's (newer) ids count.
  const before = (await harness.api.listDeliveries({ filter: {}, offset: 0, limit: 1 }, OWNER)).anchorId;
  const listener = (changes: { deliveries: number[] }) => {
    const burst = changes.deliveries.filter((id) => id > before);
    if (burst.length === 0) return;
    messages.push(changes);
    for (const id of burst) delivered.add(id);
  };
  harness.relay.events.on('changes', listener);
  t.after(() => harness.relay.events.off('changes', listener));
  const burst = Array.from({ length: 1000 }, () => ({ event_type: 'device_updated', event_id: crypto.randomUUID(), occurred_at: new Date().toISOString(), data: { id: 'd1' } }));
  const started = performance.now();
  await Promise.all(burst.map((event) => harness.sender.postRaw(JSON.stringify(event))));
  // The burst lasts until the processor has applied what was acknowledged: each delivery changes twice (received, then applied).
  await processed(harness.relay);
  const elapsed = performance.now() - started;
  await waitForEvent(harness.relay.events as EventEmitter, 'changes', () => delivered.size >= 1000, 5000, 'all 1,000 deliveries in the pushed changes');
  assert.equal(delivered.size, 1000);
  // At most one message per batch interval while the burst lasted (however long a loaded machine makes it), plus the last batch.
  assert.ok(messages.length <= Math.ceil(elapsed / BATCH_INTERVAL_MS) + 1, `${messages.length} messages for 1,000 deliveries in ${Math.round(elapsed)} ms`);
  assert.ok(messages.length < 100, `${messages.length} messages for 1,000 deliveries`);
  console.log(`1,000 deliveries reached the UI as ${messages.length} batched messages`);
});

test('the SSE stream carries batched changes to the browser', async () => {
  const controller = new AbortController();
  const giveUp = setTimeout(() => controller.abort(new Error('no changes event within 5 s')), 5000);
  const response = await fetch(`${base}/api/events`, { headers: auth, signal: controller.signal });
  assert.equal(response.headers.get('content-type'), 'text/event-stream');
  const reader = response.body!.getReader();
  admin.push({ deliveries: [1, 2], jobs: [3], alerts: ['a'] });
  let text = '';
  while (!text.includes('event: changes')) {
    const { value, done } = await reader.read();
    if (done) assert.fail(`the stream ended before a changes event: ${text}`);
    text += new TextDecoder().decode(value);
  }
  clearTimeout(giveUp);
  assert.match(text, /data: \{"deliveries":\[1,2\],"jobs":\[3\],"alerts":\["a"\]\}/);
  controller.abort();
});

test('a handler’s unexpected failure is a 500 with no stack, and the stack goes to the log the host gave the door', async (t) => {
  const lines: string[] = [];
  const log = createLogger((level, line) => lines.push(`${level} ${line}`)).child('admin door');
  const failing = new AdminServer({
    handlers: { ...harness.api, getStatus: () => Promise.reject(new Error('the disk fell out')) },
    rendererDir,
    log,
  });
  const { port: failingPort } = await failing.listen(0);
  t.after(() => failing.close());
  const response = await fetch(`http://127.0.0.1:${failingPort}/api/getStatus`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${failing.token}` },
    body: '{}',
  });
  assert.equal(response.status, 500);
  const body = (await response.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'internal');
  assert.doesNotMatch(body.error.message, /at /);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, /^error admin door: api: getStatus: Error: the disk fell out\n\s+at /);
  assert.doesNotMatch(lines[0]!, new RegExp(failing.token));
});
