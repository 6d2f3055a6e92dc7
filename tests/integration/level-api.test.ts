import { test, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LevelApi, LevelApiError, operatingSystemName, type LevelApiOptions } from '../../electron/core/level/level-api.ts';
import { parseRetryAfter } from '../../electron/core/http/json-client.ts';
import { buildGroupTree, resolveRoute } from '../../electron/core/routing/group-tree.ts';
import { FakeLevelApi } from '../fakes/fake-level-api.ts';

const API_KEY = 'lvl_live_9c1f0e3a7b2d4e6f8a0b1c2d3e4f5a6b';
const level = await new FakeLevelApi({ apiKey: API_KEY }).start();
after(() => level.stop());

/** Records requested delays instead of waiting, so retry tests are instant. */
function recordingSleep(): { delays: number[]; sleep: (ms: number) => Promise<void> } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms) };
}

const client = (options: Partial<LevelApiOptions> = {}) => new LevelApi({ baseUrl: level.url, apiKey: API_KEY, ...options });

async function rejection(promise: Promise<unknown>): Promise<LevelApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LevelApiError, `expected a LevelApiError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

beforeEach(() => {
  level.groups.clear();
  level.devices.clear();
  level.alerts.clear();
  level.requests.length = 0;
  level.emptyPageWithHasMore = false;
  level.repeatCursor = false;
});

function addDevices(count: number): string[] {
  const group = level.addGroup({ name: 'Acme' });
  return Array.from({ length: count }, (_, index) => level.addDevice({ hostname: `PC-${index}`, group_id: group.id }).id);
}

test('250 devices come in 3 pages of at most 100, each cursor the last id of the page before', async () => {
  const ids = addDevices(250);
  const devices = await client().listDevices();
  assert.deepEqual(
    devices.map((device) => device.id),
    ids,
  );
  assert.equal(devices[0]!.group_name, 'Acme');
  const requests = level.requestsTo('/devices');
  assert.deepEqual(
    requests.map((request) => request.query),
    [
      { include_operating_system: 'true', limit: '100' },
      { include_operating_system: 'true', limit: '100', starting_after: ids[99] },
      { include_operating_system: 'true', limit: '100', starting_after: ids[199] },
    ],
  );
});

test('the generic list() pages lazily and keeps unknown fields', async () => {
  addDevices(150);
  const seen: Record<string, unknown>[] = [];
  for await (const device of client({ pageLimit: 50 }).list('/devices')) {
    seen.push(device);
    if (seen.length === 60) break;
  }
  assert.equal(level.requestsTo('/devices').length, 2, 'stopping early fetches no further page');
  assert.equal(seen[0]!.platform, 'Windows');
});

test('an empty page that claims more is an error, not an endless loop', async () => {
  addDevices(5);
  level.emptyPageWithHasMore = true;
  const error = await rejection(client().listDevices());
  assert.equal(error.kind, 'bad-answer');
  assert.match(error.message, /Level returned an empty page but said there is more/);
  assert.equal(level.requestsTo('/devices').length, 1);
});

test('a cursor that brings back the same page is an error, not an endless loop', async () => {
  addDevices(250);
  level.repeatCursor = true;
  const error = await rejection(client().listDevices());
  assert.equal(error.kind, 'bad-answer');
  assert.match(error.message, /Level returned the same page again/);
  assert.equal(level.requestsTo('/devices').length, 2);
});

test('a listing that never ends is cut off at maxPages', async () => {
  addDevices(30);
  const error = await rejection(client({ pageLimit: 10, maxPages: 2 }).listDevices());
  assert.equal(error.kind, 'bad-answer');
  assert.match(error.message, /still said there is more after 2 pages \(20 items\)/);
});

test('a 429 waits for Retry-After (seconds) and then succeeds', async () => {
  level.addGroup({ name: 'Acme' });
  level.failNext(1, { status: 429, retryAfter: '1' });
  const groups = await client().listGroups();
  assert.equal(groups.length, 1);
  const [limited, retried] = level.requestsTo('/groups');
  assert.ok(limited && retried);
  assert.ok(retried.at - limited.at >= 950, `retried after ${retried.at - limited.at} ms`);
});

test('Retry-After as an HTTP date, beyond the cap, or missing', async () => {
  level.addGroup({ name: 'Acme' });
  const { delays, sleep } = recordingSleep();
  level.failNext(1, { status: 429, retryAfter: '600' });
  level.failNext(1, { status: 429 });
  level.failNext(1, { status: 429, retryAfter: new Date(Date.now() + 30_000).toUTCString() });
  await client({ sleep, maxRetryAfterMs: 60_000 }).listGroups();
  assert.equal(delays.length, 3);
  assert.equal(delays[0], 60_000, 'capped');
  assert.equal(delays[1], 5_000, 'default when missing');
  assert.ok(delays[2]! > 25_000 && delays[2]! <= 30_000, `HTTP date gave ${delays[2]}`);
  assert.equal(parseRetryAfter('1.5'), 1500);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter('Thu, 01 Jan 1970 00:00:00 GMT'), 0);
});

test('429s beyond maxRetries fail as rate-limited with the wait Level asked for', async () => {
  const { delays, sleep } = recordingSleep();
  level.failNext(3, { status: 429, retryAfter: '7', error: 'Too many requests' });
  const error = await rejection(client({ sleep, maxRetries: 2 }).listGroups());
  assert.deepEqual([error.kind, error.status, error.retryAfterMs], ['rate-limited', 429, 7000]);
  assert.match(error.message, /rate limiting this API key \(429: Too many requests\) and still did after 3 tries; it asks to wait 7 s/);
  assert.deepEqual(delays, [7000, 7000]);
});

test('5xx answers are retried with backoff, and reported as server errors when they persist', async () => {
  level.addGroup({ name: 'Acme' });
  const first = recordingSleep();
  level.failNext(2, { status: 503 });
  assert.equal((await client({ sleep: first.sleep }).listGroups()).length, 1);
  assert.deepEqual(first.delays, [500, 1000]);

  const second = recordingSleep();
  level.failNext(4, { status: 500, error: 'internal error' });
  const error = await rejection(client({ sleep: second.sleep }).listGroups());
  assert.deepEqual([error.kind, error.status], ['server', 500]);
  assert.match(error.message, /Level’s API failed \(500: internal error\) on GET \/groups after 4 tries/);
  assert.equal(second.delays.length, 3);
});

test('dropped connections are retried; an unreachable Level is a network error', async () => {
  level.addGroup({ name: 'Acme' });
  const { sleep } = recordingSleep();
  level.failNext(1, { drop: true });
  assert.equal((await client({ sleep }).listGroups()).length, 1);

  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const error = await rejection(new LevelApi({ baseUrl: `http://127.0.0.1:${port}/v2`, apiKey: API_KEY, sleep }).testConnection());
  assert.equal(error.kind, 'network');
  assert.match(error.message, /could not reach Level at http:\/\/127\.0\.0\.1:\d+\/v2 \(ECONNREFUSED/);
  assert.ok(!error.message.includes(API_KEY));
});

test('a slow answer times out', async () => {
  const { sleep } = recordingSleep();
  level.failNext(2, { delayMs: 300 });
  const error = await rejection(client({ sleep, timeoutMs: 50, maxRetries: 1 }).listGroups());
  assert.equal(error.kind, 'timeout');
  assert.match(error.message, /no answer from Level within 0\.05 s on GET \/groups \(2 tries\)/);
});

test('401 and 403 say what to do and never contain the key', async () => {
  const wrong = await rejection(new LevelApi({ baseUrl: level.url, apiKey: `Bearer ${API_KEY}` }).listGroups());
  assert.deepEqual([wrong.kind, wrong.status], ['unauthorized', 401]);
  assert.equal(wrong.message, 'Level rejected the API key (401: Unauthorized): create one in Level under Settings → API keys and paste it without “Bearer”');
  level.failNext(1, { status: 403, error: `key ${API_KEY} belongs to another organization` });
  const forbidden = await rejection(client().listDevices());
  assert.deepEqual([forbidden.kind, forbidden.status], ['forbidden', 403]);
  assert.match(forbidden.message, /^the Level API key is not allowed to read \/devices \(403: key \[API key\] belongs to another organization\)/);
  for (const error of [wrong, forbidden]) assert.ok(!error.message.includes(API_KEY) && !String(error.stack).includes(API_KEY));
  assert.equal(level.requests.filter((request) => request.query.limit !== undefined).length, 2, '401/403 are not retried');
});

test('the raw key goes in Authorization, without “Bearer”', async () => {
  await client().listGroups();
  assert.equal(level.requests[0]!.authorization, API_KEY);
});

test('single objects: found, and deleted ones are undefined', async () => {
  const group = level.addGroup({ name: 'Acme' });
  const device = level.addDevice({ hostname: 'FRONTDESK-01', group_id: group.id, nickname: 'Front desk' });
  const alert = level.addAlert({ device_id: device.id, severity: 'critical', name: 'Low disk space' });
  const api = client();
  assert.deepEqual(await api.getDevice(device.id).then((found) => [found?.hostname, found?.nickname, found?.group_id, found?.group_name]), [
    'FRONTDESK-01',
    'Front desk',
    group.id,
    'Acme',
  ]);
  const fetchedGroup = await api.getGroup(group.id);
  assert.deepEqual([fetchedGroup?.name, fetchedGroup?.parent_id, fetchedGroup?.device_count], ['Acme', null, 1]);
  const fetchedAlert = await api.getAlert(alert.id);
  assert.deepEqual([fetchedAlert?.severity, fetchedAlert?.device_hostname, fetchedAlert?.is_resolved], ['critical', 'FRONTDESK-01', false]);

  level.deleteDevice(device.id);
  assert.equal(await api.getDevice(device.id), undefined);
  assert.equal(await api.getGroup('no-such-group'), undefined);
  assert.equal(await api.getAlert('no-such-alert'), undefined);
});

test('a moved device shows its new group, in the list and by id', async () => {
  const hq = level.addGroup({ name: 'HQ' });
  const lab = level.addGroup({ name: 'Lab' });
  const device = level.addDevice({ hostname: 'SRV-1', group_id: hq.id });
  const api = client();
  assert.equal((await api.getDevice(device.id))?.group_id, hq.id);
  level.moveDevice(device.id, lab.id);
  assert.deepEqual([(await api.getDevice(device.id))?.group_id, (await api.getDevice(device.id))?.group_name], [lab.id, 'Lab']);
  assert.deepEqual(
    (await api.listDevices({ group_id: lab.id })).map((each) => each.id),
    [device.id],
  );
  assert.deepEqual(await api.listDevices({ group_id: hq.id }), []);
});

test('a deleted group is gone from listGroups; a moved group changes the inherited route', async () => {
  const acme = level.addGroup({ name: 'Acme' });
  const beta = level.addGroup({ name: 'Beta' });
  const servers = level.addGroup({ name: 'Servers', parent_id: acme.id });
  const old = level.addGroup({ name: 'Old' });
  const api = client();
  assert.equal((await api.listGroups()).length, 4);
  level.deleteGroup(old.id);
  const groups = await api.listGroups();
  assert.deepEqual(
    groups.map((group) => group.name),
    ['Acme', 'Beta', 'Servers'],
  );
  assert.equal(await api.getGroup(old.id), undefined);
  assert.deepEqual(groups.find((group) => group.id === acme.id)?.child_ids, [servers.id]);

  const mappings = new Map([
    [acme.id, 'acme-team'],
    [beta.id, 'beta-team'],
  ]);
  assert.equal(resolveRoute(servers.id, buildGroupTree(groups), mappings, 'skip').route, 'acme-team');
  level.moveGroup(servers.id, beta.id);
  const moved = resolveRoute(servers.id, buildGroupTree(await api.listGroups()), mappings, 'skip');
  assert.equal(moved.route, 'beta-team');
  assert.equal(moved.reason, 'inherited from “Beta” (nearest mapped ancestor of “Beta / Servers”)');
});

test('devices of a whole subtree via ancestor_group_id', async () => {
  const acme = level.addGroup({ name: 'Acme' });
  const hq = level.addGroup({ name: 'HQ', parent_id: acme.id });
  const beta = level.addGroup({ name: 'Beta' });
  const inAcme = level.addDevice({ hostname: 'A', group_id: acme.id });
  const inHq = level.addDevice({ hostname: 'B', group_id: hq.id });
  level.addDevice({ hostname: 'C', group_id: beta.id });
  level.addDevice({ hostname: 'D' });
  assert.deepEqual(
    (await client().listDevices({ ancestor_group_id: acme.id })).map((device) => device.id),
    [inAcme.id, inHq.id],
  );
  assert.equal((await client().getGroup(acme.id))?.descendent_device_count, 2);
});

test('alerts by status, and a resolved one moves lists', async () => {
  const device = level.addDevice({ hostname: 'PC-1' });
  const other = level.addDevice({ hostname: 'PC-2' });
  const first = level.addAlert({ device_id: device.id, severity: 'emergency' });
  const second = level.addAlert({ device_id: other.id });
  const api = client();
  assert.deepEqual(
    (await api.listAlerts('active')).map((alert) => alert.id),
    [first.id, second.id],
  );
  assert.deepEqual(await api.listAlerts('resolved'), []);
  level.resolveAlert(first.id);
  const resolved = await api.listAlerts('resolved');
  assert.deepEqual(
    resolved.map((alert) => [alert.id, alert.is_resolved, typeof alert.resolved_at]),
    [[first.id, true, 'string']],
  );
  assert.deepEqual(
    (await api.listAlerts('active', { device_id: other.id })).map((alert) => alert.id),
    [second.id],
  );
  assert.deepEqual(level.requestsTo('/alerts').at(-1)!.query, { device_id: other.id, status: 'active', limit: '100' });
});

test('testConnection asks for one group and reports when', async () => {
  const before = Date.now();
  const result = await client().testConnection();
  assert.equal(result.ok, true);
  assert.ok(result.checkedAt >= before);
  assert.deepEqual(
    level.requests.map((request) => [request.path, request.query]),
    [['/groups', { limit: '1' }]],
  );
  const error = await rejection(new LevelApi({ baseUrl: level.url, apiKey: 'wrong-key' }).testConnection());
  assert.equal(error.kind, 'unauthorized');
});

test('answers that are not usable are bad-answer errors naming the problem', async () => {
  const api = client();
  level.failNext(1, { status: 200, body: '<html>maintenance</html>' });
  assert.match((await rejection(api.listGroups())).message, /Level’s answer to GET \/groups is unusable: it is not JSON \(200, starts with "<html>maintenance/);
  level.failNext(1, { status: 200, body: '{"groups": []}' });
  assert.match((await rejection(api.listGroups())).message, /page 1 is not a list \(data: /);
  level.failNext(1, { status: 200, body: '{"data": [{"name": "no id"}], "has_more": false}' });
  assert.match((await rejection(api.listGroups())).message, /item 1 of page 1 is unusable \(id: /);
  const wrongBase = await rejection(new LevelApi({ baseUrl: level.url.replace('/v2', '/v9'), apiKey: API_KEY }).listGroups());
  assert.deepEqual([wrongBase.kind, wrongBase.status], ['not-found', 404]);
  assert.match(wrongBase.message, /check the API URL/);
});

test('lenient parsing: numeric ids become text, odd details are dropped, unknown fields are kept', async () => {
  level.failNext(1, {
    status: 200,
    body: JSON.stringify({
      data: [{ id: 42, hostname: 7, online: 'yes', group_id: 9, extra: { cpu: 'x' } }],
      has_more: false,
    }),
  });
  const [device] = await client().listDevices();
  assert.deepEqual(JSON.parse(JSON.stringify(device)), { id: '42', group_id: '9', extra: { cpu: 'x' } });
  assert.equal(device!.hostname, undefined);
  assert.equal(device!.online, undefined);
});

test('the fake refuses a limit outside 1..100 like Level does', async () => {
  const answer = await fetch(`${level.url}/groups?limit=101`, { headers: { authorization: API_KEY } });
  assert.equal(answer.status, 422);
  assert.match(((await answer.json()) as { error: string }).error, /limit/);
  const defaulted = await fetch(`${level.url}/groups`, { headers: { authorization: API_KEY } });
  assert.deepEqual(await defaulted.json(), { data: [], has_more: false });
});

test('the device OS is asked for (include_operating_system=true) and read from full_operating_system', async () => {
  const group = level.addGroup({ name: 'Acme' });
  const device = level.addDevice({
    hostname: 'RACK1-SQL',
    group_id: group.id,
    operating_system: { full_operating_system: 'Microsoft Windows Server 2022 Standard', major_version: '10', minor_version: '20348', architecture: 'x64', end_of_life: false },
  });
  const bare = level.addDevice({ hostname: 'NEW-PC', group_id: group.id });
  const api = client();
  const byId = await api.getDevice(device.id);
  const listed = await api.listDevices();
  assert.equal(operatingSystemName(byId!), 'Microsoft Windows Server 2022 Standard');
  assert.equal(operatingSystemName(listed.find((each) => each.id === device.id)!), 'Microsoft Windows Server 2022 Standard');
  assert.equal(operatingSystemName(listed.find((each) => each.id === bare.id)!), undefined, 'no OS reported yet: none shown');
  for (const request of [...level.requestsTo(`/devices/${device.id}`), ...level.requestsTo('/devices')]) {
    assert.equal(request.query.include_operating_system, 'true', request.path);
  }
  // What Level answers without the flag: no OS at all, so the relay must never rely on it.
  const without = (await (await fetch(`${level.url}/devices/${device.id}`, { headers: { authorization: API_KEY } })).json()) as Record<string, unknown>;
  assert.equal('operating_system' in without, false);
});
