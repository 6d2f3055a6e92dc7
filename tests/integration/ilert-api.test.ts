import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { IlertApi, IlertApiError, alertSourceProblem, describeAlertSource } from '../../electron/core/ilert/ilert-api.ts';
import type { IlertApiErrorKind } from '../../electron/core/ilert/ilert-api.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { alertEvent } from '../fakes/level-sender.ts';

// Alerts are built through the Events API, so the per-integration-key limit must not get in the way.
const ilert = await new FakeIlert({ perKeyLimit: 100_000 }).start();
after(() => ilert.stop());

let keys = 0;
/** A fresh user API key, so that tests do not share the client's per-key budget. */
function apiKeyFor(fake: FakeIlert): string {
  const key = `user-api-key-${process.pid}-${++keys}-secret`;
  fake.apiKeys.add(key);
  return key;
}

async function sendEvent(fake: FakeIlert, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${fake.url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 202, await response.text());
}

async function rejection(promise: Promise<unknown>, kind: IlertApiErrorKind): Promise<IlertApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof IlertApiError, `expected an IlertApiError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    return error;
  }
  assert.fail(`expected a '${kind}' error`);
}

test('getAlertSource finds a source by integration key and by id, with its escalation policy', async () => {
  const source = ilert.addAlertSource({
    integrationKey: 'il1apiLOOKUP001',
    name: 'Level alerts',
    escalationPolicy: { id: 77, name: 'MSP on-call', routingKey: 'msp' },
  });
  const native = ilert.addAlertSource({ integrationKey: 'il1lvlLOOKUP002', name: 'Level native', integrationType: 'LEVELIO' });
  const api = new IlertApi({ apiUrl: `${ilert.url}/`, apiKey: apiKeyFor(ilert) });

  const byKey = await api.getAlertSource('il1apiLOOKUP001');
  assert.deepEqual(byKey, {
    id: source.id,
    name: 'Level alerts',
    integrationType: 'API',
    active: true,
    status: 'ALL_RESOLVED',
    escalationPolicy: { id: 77, name: 'MSP on-call', routingKey: 'msp' },
  });
  assert.deepEqual(await api.getAlertSource(String(source.id)), byKey);
  assert.equal(describeAlertSource(byKey), '“Level alerts” (API source) → escalation policy “MSP on-call”');
  assert.equal(alertSourceProblem(byKey), undefined);

  const levelio = await api.getAlertSource('il1lvlLOOKUP002');
  assert.equal(levelio.id, native.id);
  assert.equal(levelio.integrationUrl, `${ilert.url}/api/v1/events/levelio/il1lvlLOOKUP002`);
  assert.equal(describeAlertSource(levelio), '“Level native” (Level.io source) → escalation policy “Default”');
  const request = ilert.restRequests.at(-1);
  assert.equal(request?.path, '/api/alert-sources/il1lvlLOOKUP002');
});

test('a disabled source or one in maintenance is reported as a problem', async () => {
  ilert.addAlertSource({ integrationKey: 'il1apiDISABLED01', name: 'Old Level source', active: false });
  ilert.addAlertSource({ integrationKey: 'il1apiMAINT00001', name: 'Level in maintenance', status: 'IN_MAINTENANCE' });
  const api = new IlertApi({ apiUrl: ilert.url, apiKey: apiKeyFor(ilert) });

  const disabled = await api.getAlertSource('il1apiDISABLED01');
  assert.equal(disabled.active, false);
  assert.equal(disabled.status, 'DISABLED');
  assert.equal(alertSourceProblem(disabled), 'the alert source “Old Level source” is disabled in ilert: enable it under Alert sources');
  assert.equal(alertSourceProblem({ ...disabled, active: true }), alertSourceProblem(disabled), 'status DISABLED alone counts too');

  const maintenance = await api.getAlertSource('il1apiMAINT00001');
  assert.match(alertSourceProblem(maintenance) ?? '', /“Level in maintenance” is in a maintenance window/);
});

test('401, 403 and 404 become actionable errors that never show the keys', async () => {
  const integrationKey = 'il1apiNOSUCHKEY9';
  const apiKey = apiKeyFor(ilert);
  const unknownKey = 'not-a-real-user-api-key-123';
  const messages: string[] = [];

  const missing = await rejection(new IlertApi({ apiUrl: ilert.url, apiKey: '' }).getAlertSource(integrationKey), 'unauthorized');
  assert.equal(missing.status, 401);
  assert.match(missing.message, /^ilert rejected the API key \(401\): create a user API key in ilert under Profile → API keys/);
  messages.push(missing.message);

  const forbidden = await rejection(new IlertApi({ apiUrl: ilert.url, apiKey: unknownKey }).getAlertSource(integrationKey), 'forbidden');
  assert.equal(forbidden.status, 403);
  assert.match(forbidden.message, /^the ilert API key lacks permission \(403 KEY_ERROR\): /);
  assert.equal(ilert.restRequests.at(-1)?.apiKey, unknownKey, 'the key travels as a Bearer token');
  messages.push(forbidden.message);

  const api = new IlertApi({ apiUrl: ilert.url, apiKey });
  const notFound = await rejection(api.getAlertSource(integrationKey), 'not-found');
  assert.equal(notFound.status, 404);
  assert.equal(
    notFound.message,
    'ilert knows no alert source with this integration key, or this API key cannot see it (404): check the key in ilert under Alert sources → <source> → Integration key',
  );
  messages.push(notFound.message);
  const noId = await rejection(api.getAlertSource('999999'), 'not-found');
  assert.match(noId.message, /no alert source with id 999999/);
  messages.push(noId.message);

  for (const message of messages) {
    for (const secret of [apiKey, unknownKey, integrationKey]) assert.ok(!message.includes(secret), `"${message}" shows a key`);
  }
});

test('network trouble, timeouts, server errors and unexpected answers each have their kind', async (t) => {
  const apiKey = apiKeyFor(ilert);
  t.after(() => {
    ilert.restMode = { kind: 'ok' };
  });

  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const network = await rejection(new IlertApi({ apiUrl: closedUrl, apiKey }).getAlertSource('il1apiANY0000001'), 'network');
  assert.match(network.message, /^could not reach ilert at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);

  const api = new IlertApi({ apiUrl: ilert.url, apiKey, timeoutMs: 200 });
  ilert.restMode = { kind: 'hang' };
  const timeout = await rejection(api.getAlertSource('il1apiANY0000001'), 'timeout');
  assert.match(timeout.message, /no answer from ilert at 127\.0\.0\.1:\d+ within 0\.2 s/);

  ilert.restMode = { kind: 'status', status: 503, body: JSON.stringify({ status: 503, message: `maintenance for ${apiKey}` }) };
  const server = await rejection(api.getAlertSource('il1apiANY0000001'), 'server');
  assert.equal(server.status, 503);
  assert.ok(!server.message.includes(apiKey), 'a key echoed by ilert is masked');

  ilert.restMode = { kind: 'status', status: 200, body: JSON.stringify({ id: 5, integrationType: 'API', escalationPolicy: { id: 1, name: 'x', escalationRules: [] } }) };
  const lacksName = await rejection(api.getAlertSource('il1apiANY0000001'), 'bad-answer');
  assert.match(lacksName.message, /field name: /);

  ilert.restMode = { kind: 'status', status: 200, body: JSON.stringify({ alerts: [] }) };
  const notAList = await rejection(api.listAlerts(), 'bad-answer');
  assert.match(notAList.message, /the alert list does not look like ilert's API/);

  ilert.restMode = { kind: 'status', status: 200, body: '<html>login</html>' };
  const html = await rejection(api.listAlerts(), 'bad-answer');
  assert.match(html.message, /not JSON/);
});

test('listAlerts pages through more than 100 alerts and filters by state and source', async (t) => {
  const fake = await new FakeIlert({ perKeyLimit: 100_000 }).start();
  t.after(() => fake.stop());
  const first = fake.addAlertSource({ integrationKey: 'il1apiPAGING0001', name: 'Level A' });
  const second = fake.addAlertSource({ integrationKey: 'il1apiPAGING0002', name: 'Level B' });
  for (let index = 0; index < 230; index++) {
    await sendEvent(fake, { integrationKey: first.integrationKey, eventType: 'ALERT', summary: `Alert ${index}`, alertKey: `page-${index}` });
  }
  for (let index = 0; index < 5; index++) {
    await sendEvent(fake, { integrationKey: second.integrationKey, eventType: 'ALERT', summary: `Other ${index}`, alertKey: `other-${index}` });
  }
  fake.acceptAlert('page-3', 'Dana Scully');
  await sendEvent(fake, { integrationKey: first.integrationKey, eventType: 'RESOLVE', summary: 'cleared', alertKey: 'page-4' });
  await sendEvent(fake, { integrationKey: second.integrationKey, eventType: 'RESOLVE', summary: 'cleared', alertKey: 'other-0' });

  const api = new IlertApi({ apiUrl: fake.url, apiKey: apiKeyFor(fake) });
  const listing = await api.listAlerts({ sources: [first.id] });
  const all = listing.alerts;
  assert.equal(all.length, 230);
  assert.equal(listing.complete, true);
  assert.equal(new Set(all.map((alert) => alert.alertKey)).size, 230);
  const paths = fake.restRequests.map((request) => request.path.replace(/until=[^&]+/, 'until=T'));
  assert.deepEqual(paths, [
    `/api/alerts?sources=${first.id}&max-results=100&start-index=0`,
    `/api/alerts/count?sources=${first.id}`,
    ...[0, 100, 200].map((start) => `/api/alerts?sources=${first.id}&until=T&max-results=100&start-index=${start}`),
    `/api/alerts/count?sources=${first.id}&until=T`,
  ]);
  const accepted = all.find((alert) => alert.alertKey === 'page-3');
  assert.equal(accepted?.status, 'ACCEPTED');
  assert.equal(accepted?.acceptedBy, 'Dana Scully');
  assert.ok(accepted?.acceptedAt);
  assert.deepEqual(accepted?.alertSource, { id: first.id, name: 'Level A' });

  const open = await api.listAlerts({ states: ['PENDING', 'ACCEPTED'] });
  assert.equal(open.alerts.length, 229 + 4);
  assert.ok(fake.restRequests.at(-1)?.path.startsWith('/api/alerts/count?states=PENDING&states=ACCEPTED&'));
  const resolved = await api.listAlerts({ states: ['RESOLVED'], sources: [first.id, second.id] });
  assert.deepEqual(resolved.alerts.map((alert) => alert.alertKey).sort(), ['other-0', 'page-4']);
  assert.equal(resolved.complete, true, 'one short page is complete by itself');
  assert.ok(resolved.alerts.every((alert) => alert.resolvedOn));

  const capped = await api.listAlerts({ maxPages: 2 });
  assert.equal(capped.alerts.length, 200, 'maxPages stops paging');
  assert.equal(capped.complete, false, 'and says the listing may miss alerts');
});

test('the client-side limit keeps a burst from two clients with one key under ilert’s limit', async (t) => {
  const fake = await new FakeIlert({ userKeyLimit: 5, userKeyWindowMs: 400 }).start();
  t.after(() => fake.stop());
  fake.addAlertSource({ integrationKey: 'il1apiBURST00001', name: 'Level' });
  const apiKey = apiKeyFor(fake);
  const options = { apiUrl: fake.url, apiKey, requestsPerMinute: 5, windowMs: 400 };
  const clients = [new IlertApi(options), new IlertApi(options)];
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: 14 }, (_, index) => clients[index % 2]!.getAlertSource('il1apiBURST00001')));
  assert.equal(results.length, 14);
  assert.deepEqual(
    fake.restRequests.filter((request) => request.status !== 200),
    [],
    'no request was refused',
  );
  assert.equal(fake.restRequests.length, 14);
  // 14 requests at 5 per window need at least two full windows.
  assert.ok(Date.now() - started >= 800, `took only ${Date.now() - started} ms`);
});

test('a 429 from ilert is reported as rate-limited and holds the next request back', async (t) => {
  const fake = await new FakeIlert({ userKeyLimit: 2, userKeyWindowMs: 200 }).start();
  t.after(() => fake.stop());
  fake.addAlertSource({ integrationKey: 'il1apiLIMIT00001', name: 'Level' });
  const apiKey = apiKeyFor(fake);
  const api = new IlertApi({ apiUrl: fake.url, apiKey, requestsPerMinute: 100, rateLimitPauseMs: 300 });
  await api.getAlertSource('il1apiLIMIT00001');
  await api.getAlertSource('il1apiLIMIT00001');
  const limited = await rejection(api.getAlertSource('il1apiLIMIT00001'), 'rate-limited');
  assert.equal(limited.status, 429);
  assert.match(limited.message, /rate-limiting this API key \(429/);
  assert.ok(!limited.message.includes(apiKey));

  await api.getAlertSource('il1apiLIMIT00001');
  const [, , refused, next] = fake.restRequests;
  assert.equal(refused?.status, 429);
  assert.equal(next?.status, 200);
  assert.ok(next!.at - refused!.at >= 300, `the next request came ${next!.at - refused!.at} ms after the 429`);
});

test('alerts follow ilert’s alertKey semantics: append, accept, resolve, never reopen', async () => {
  const source = ilert.addAlertSource({ integrationKey: 'il1apiSEMANTIC01', name: 'Level semantics' });
  const other = ilert.addAlertSource({ integrationKey: 'il1apiSEMANTIC02', name: 'Other source' });
  const base = { integrationKey: source.integrationKey, summary: 'Low disk space on FRONTDESK-01' };

  await sendEvent(ilert, { ...base, eventType: 'ALERT', alertKey: 'Level-Alert-1' });
  const alert = ilert.alertByKey('level-alert-1');
  assert.equal(alert?.status, 'PENDING');
  const count = ilert.alerts.length;

  await sendEvent(ilert, { ...base, eventType: 'ALERT', alertKey: '  LEVEL-ALERT-1 ', summary: 'again' });
  assert.equal(ilert.alerts.length, count, 'an ALERT for an open alert appends to it');
  assert.equal(alert?.eventCount, 2);
  assert.equal(alert?.summary, 'Low disk space on FRONTDESK-01');

  await sendEvent(ilert, { ...base, integrationKey: other.integrationKey, eventType: 'ALERT', alertKey: 'level-alert-1' });
  assert.equal(ilert.alerts.length, count + 1, 'another source’s alert with the same key is its own');
  assert.equal(alert?.eventCount, 2);

  await sendEvent(ilert, { ...base, eventType: 'ACCEPT', alertKey: 'level-alert-1' });
  assert.equal(alert?.status, 'ACCEPTED');
  await sendEvent(ilert, { ...base, eventType: 'RESOLVE', alertKey: 'Level-Alert-1' });
  assert.equal(alert?.status, 'RESOLVED');
  assert.ok(alert?.resolvedOn);
  const otherAlert = ilert.alerts.find((entry) => entry.sourceId === other.id);
  assert.equal(otherAlert?.status, 'PENDING', 'ACCEPT and RESOLVE act within their source');

  await sendEvent(ilert, { ...base, eventType: 'ALERT', alertKey: 'Level-Alert-1' });
  assert.equal(alert?.status, 'RESOLVED', 'a resolved alert never reopens');
  const fresh = ilert.alertByKey('Level-Alert-1');
  assert.notEqual(fresh?.id, alert?.id);
  assert.equal(fresh?.status, 'PENDING');
  await sendEvent(ilert, { ...base, eventType: 'RESOLVE', alertKey: 'no-such-alert' });

  // People act on alerts in ilert's app, or through the REST API.
  ilert.acceptAlert('level-alert-1', 'Fox Mulder');
  assert.equal(fresh?.status, 'ACCEPTED');
  ilert.resolveAlert('level-alert-1');
  assert.equal(fresh?.status, 'RESOLVED');
  await sendEvent(ilert, { ...base, integrationKey: other.integrationKey, eventType: 'RESOLVE', alertKey: 'level-alert-1' });
  assert.equal(otherAlert?.status, 'RESOLVED');
  assert.throws(() => ilert.resolveAlert('level-alert-1'), /no open alert/);

  await sendEvent(ilert, { ...base, eventType: 'ALERT', alertKey: 'rest-accept' });
  const viaRest = ilert.alertByKey('rest-accept')!;
  const apiKey = apiKeyFor(ilert);
  const put = (action: string) =>
    fetch(`${ilert.url}/api/alerts/${viaRest.id}/${action}`, { method: 'PUT', headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' } });
  const accepted = await put('accept');
  assert.equal(accepted.status, 200);
  assert.equal(((await accepted.json()) as { status: string }).status, 'ACCEPTED');
  const api = new IlertApi({ apiUrl: ilert.url, apiKey });
  const [listed] = (await api.listAlerts({ sources: [source.id], states: ['ACCEPTED'] })).alerts.filter((entry) => entry.id === viaRest.id);
  assert.equal(listed?.acceptedBy, 'API User');
  assert.equal((await put('resolve')).status, 200);
  assert.equal(viaRest.status, 'RESOLVED');
  assert.equal((await put('accept')).status, 400, 'a resolved alert cannot be accepted');

  const disabled = ilert.addAlertSource({ integrationKey: 'il1apiSEMANTIC03', name: 'Disabled', active: false });
  const before = ilert.alerts.length;
  await sendEvent(ilert, { ...base, integrationKey: disabled.integrationKey, eventType: 'ALERT', alertKey: 'filtered' });
  assert.equal(ilert.alerts.length, before, 'a disabled source takes the event (202) but makes no alert');
});

test('ilert’s native Level.io intake records bodies byte for byte and makes alerts of them', async () => {
  const source = ilert.addAlertSource({ integrationKey: 'il1lvlPASS000001', name: 'Level native', integrationType: 'LEVELIO' });
  ilert.addAlertSource({ integrationKey: 'il1apiPASS000002', name: 'API source' });
  const url = `${ilert.url}/api/v1/events/levelio/${source.integrationKey}`;
  const active = alertEvent({ name: 'CPU über 95 % — “hot”' });
  // Odd spacing and key order must survive: a pass-through relay must not re-serialise.
  const raw = `{ "data" : ${JSON.stringify(active.data, null, 3)},\n\t"event_type":"alert_active", "event_id": "${active.event_id}", "occurred_at": "${active.occurred_at}" }`;
  const posted = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-level-signature': 'sha256=abc' }, body: raw });
  assert.equal(posted.status, 202);
  const recorded = ilert.passThrough.at(-1);
  assert.equal(recorded?.body, raw);
  assert.deepEqual(recorded?.bytes, Buffer.from(raw, 'utf8'));
  assert.equal(recorded?.integrationKey, source.integrationKey);
  assert.equal(recorded?.headers['x-level-signature'], 'sha256=abc');

  const alert = ilert.alertByKey(active.data.id);
  assert.equal(alert?.status, 'PENDING');
  assert.equal(alert?.summary, 'CPU über 95 % — “hot” on FRONTDESK-01');
  assert.equal(alert?.sourceId, source.id);

  const resolved = alertEvent({ eventType: 'alert_resolved', alertId: active.data.id });
  assert.equal((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(resolved) })).status, 202);
  assert.equal(alert?.status, 'RESOLVED');

  for (const key of ['il1apiPASS000002', 'il1lvlUNKNOWN001']) {
    const refused = await fetch(`${ilert.url}/api/v1/events/levelio/${key}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
    assert.equal(refused.status, 404, `${key} is not a Level.io source`);
  }
});

/** A stand-in for an ilert that ignores start-index: the same full page for every page. */
async function startIndexIgnoringIlert(apiKey: string): Promise<{ url: string; pages: number; close: () => Promise<void> }> {
  const page = Array.from({ length: 100 }, (_, index) => ({ id: index + 1, summary: 's', status: 'PENDING' }));
  const state = { url: '', pages: 0, close: async () => undefined as void };
  const server = http.createServer((request, response) => {
    if (request.headers.authorization !== `Bearer ${apiKey}`) return response.writeHead(401).end();
    const isCount = request.url?.startsWith('/api/alerts/count');
    if (!isCount) state.pages++;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(isCount ? { count: 100 } : page));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

test('a listing ilert answers with the same full page forever ends, and is not taken as complete', async (t) => {
  const apiKey = `user-api-key-${process.pid}-loop-secret`;
  const looping = await startIndexIgnoringIlert(apiKey);
  t.after(() => looping.close());
  const listing = await new IlertApi({ apiUrl: looping.url, apiKey }).listAlerts();
  assert.equal(listing.alerts.length, 100);
  assert.equal(listing.complete, false);
  assert.equal(looping.pages, 3, 'the first look, then one page with nothing new ends the paging');
});

test('alerts resolved while paging cannot hide another alert: the listing says it is incomplete', async (t) => {
  const fake = await new FakeIlert({ perKeyLimit: 100_000 }).start();
  t.after(() => fake.stop());
  const source = fake.addAlertSource({ integrationKey: 'il1apiSHIFT00001', name: 'Level' });
  for (let index = 0; index < 150; index++) {
    await sendEvent(fake, { integrationKey: source.integrationKey, eventType: 'ALERT', summary: `Alert ${index}`, alertKey: `shift-${index}` });
  }
  const api = new IlertApi({ apiUrl: fake.url, apiKey: apiKeyFor(fake) });
  // Between the first and the second page, two alerts on the first page are resolved in ilert:
  // every later alert moves two places up, and a plain start-index walk skips two of them.
  fake.afterRestAnswer = (request) => {
    if (!/until=.*start-index=0$/.test(request.path)) return;
    fake.afterRestAnswer = undefined;
    fake.resolveAlert('shift-149');
    fake.resolveAlert('shift-148');
  };
  const listing = await api.listAlerts({ states: ['PENDING', 'ACCEPTED'], sources: [source.id] });
  const listed = new Set(listing.alerts.map((alert) => alert.alertKey));
  const missed = Array.from({ length: 148 }, (_, index) => `shift-${index}`).filter((key) => !listed.has(key));
  assert.ok(missed.length > 0, 'the shift really hides alerts that are still open');
  assert.equal(listing.complete, false, `${missed.join(', ')} missing: the listing must not count as complete`);

  const settled = await api.listAlerts({ states: ['PENDING', 'ACCEPTED'], sources: [source.id] });
  assert.equal(settled.complete, true);
  assert.equal(settled.alerts.length, 148);
});

test('one malformed ilert alert is skipped and counted; the others are still read', async (t) => {
  const apiKey = apiKeyFor(ilert);
  t.after(() => {
    ilert.restMode = { kind: 'ok' };
  });
  // ilert's spec marks id, summary and status optional: an alert may lack any of them.
  const answer = [
    { id: 1, summary: 'Disk full', status: 'PENDING', alertKey: 'level-alert-1' },
    { id: 2, status: 'ACCEPTED', alertKey: 'level-alert-2', responders: 'n/a' },
    { summary: 'no id', status: 'PENDING' },
    { id: 4, summary: 'unknown status', status: 'SNOOZED' },
    { id: 5, summary: 42, status: 'PENDING', reportTime: 7 },
    'not an alert',
  ];
  ilert.restMode = { kind: 'status', status: 200, body: JSON.stringify(answer) };
  const listing = await new IlertApi({ apiUrl: ilert.url, apiKey }).listAlerts();
  assert.deepEqual(
    listing.alerts.map((alert) => [alert.id, alert.status, alert.summary]),
    [
      [1, 'PENDING', 'Disk full'],
      [2, 'ACCEPTED', ''],
      [5, 'PENDING', ''],
    ],
  );
  assert.equal(listing.skipped, 3);
  assert.equal(listing.complete, true);
});
