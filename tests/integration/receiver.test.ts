import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { startRelay, SECRET, tempDataDir, FAST_TUNING, type InProcessRelay } from '../helpers/relay-harness.ts';
import { waitForChange } from '../helpers/wait.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { sign } from '../../electron/core/level/signature.ts';
import { inspect } from '../helpers/inspect.ts';
import { pruneAsOf, probe } from '../helpers/parts.ts';

const harness = await startRelay({ levelWebhookSecretPrevious: 'previous-secret-0123456789abcdef' });
after(() => harness.stop());
const base = harness.url.replace('/webhooks/level', '');

function lastDelivery() {
  return inspect(harness.relay).row('SELECT d.*, b.body FROM deliveries d LEFT JOIN delivery_bodies b ON b.delivery_id = d.id ORDER BY d.id DESC LIMIT 1') as Record<
    string,
    unknown
  >;
}

test('GET /healthz answers ok and nothing else', async () => {
  const response = await fetch(`${base}/healthz`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: 'ok' });
});

test('unknown paths are 404 and wrong methods 405; only POSTs to a wrong path are recorded (for the Health page)', async () => {
  const before = lastDelivery()?.id;
  for (const pathname of ['/', '/admin', '/api/events']) {
    assert.equal((await fetch(`${base}${pathname}`)).status, 404, pathname);
  }
  const wrongMethod = await fetch(harness.url);
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get('allow'), 'POST');
  assert.equal((await fetch(`${base}/healthz`, { method: 'DELETE' })).status, 405);
  assert.equal(lastDelivery()?.id, before, 'GETs and wrong methods leave no trace');

  for (const pathname of ['/', '/admin', '/api/events', '/webhooks/level/../../etc']) {
    assert.equal((await fetch(`${base}${pathname}`, { method: 'POST' })).status, 404, pathname);
  }
  const misdirected = lastDelivery();
  assert.equal(misdirected.status_code, 404);
  assert.equal(misdirected.outcome, 'rejected');
  assert.match(String(misdirected.reason), /the URL must end in \/webhooks\/level/);
});

test('a signed alert is accepted with 202 and stored with its event', async () => {
  const event = alertEvent();
  const response = await harness.sender.postRaw(JSON.stringify(event));
  assert.equal(response.status, 202);
  assert.deepEqual(JSON.parse(response.body), { accepted: true, event_id: event.event_id });
  const delivery = lastDelivery();
  assert.equal(delivery.outcome, 'accepted');
  assert.equal(delivery.signature, 'valid');
  assert.equal(Buffer.from(delivery.body as Uint8Array).toString(), JSON.stringify(event));
  const alert = inspect(harness.relay).row('SELECT state, severity FROM alerts WHERE level_alert_id = ?', event.data.id);
  assert.deepEqual({ ...alert }, { state: 'active', severity: 'critical' });
});

test('a delivery signed with the previous secret is accepted during rotation', async () => {
  const raw = JSON.stringify(alertEvent());
  const response = await harness.sender.postRaw(raw, { 'x-level-signature': sign('previous-secret-0123456789abcdef', raw) });
  assert.equal(response.status, 202);
  assert.equal(lastDelivery().signature, 'valid-previous');
});

test('exotic raw bodies verify byte for byte', async () => {
  const event = alertEvent({ name: 'Speicherplatz knapp — ÄÖÜ ✓ 日本語', hostname: 'CAFÉ-01' });
  for (const raw of [JSON.stringify(event, null, 2), `${JSON.stringify({ ...event, event_id: `${event.event_id}-nl` })}\n`]) {
    const response = await harness.sender.postRaw(raw);
    assert.equal(response.status, 202, response.body);
    assert.equal(Buffer.from(lastDelivery().body as Uint8Array).toString('utf8'), raw);
  }
});

test('every rejection has its status code and a one-line reason, and is recorded', async () => {
  const good = JSON.stringify(alertEvent());
  const cases: { name: string; send: () => Promise<Response>; status: number; reason: RegExp }[] = [
    {
      name: 'no signature',
      send: () => fetch(harness.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: good }),
      status: 401,
      reason: /missing x-level-signature/,
    },
    {
      name: 'wrong secret',
      send: () => fetch(harness.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-level-signature': sign('wrong-secret', good) }, body: good }),
      status: 401,
      reason: /bad signature/,
    },
    {
      name: 'not JSON, not sent as JSON',
      send: () => fetch(harness.url, { method: 'POST', headers: { 'content-type': 'text/plain', 'x-level-signature': sign(SECRET, 'hello') }, body: 'hello' }),
      status: 415,
      reason: /unsupported content type "text\/plain" and the body is not JSON/,
    },
    {
      name: 'too large',
      send: () => harness.sender.postRaw(`{"pad":"${'x'.repeat(1024 * 1024)}"}`).then((r) => new Response(r.body, { status: r.status })),
      status: 413,
      reason: /body too large/,
    },
    { name: 'bad JSON', send: () => harness.sender.postRaw('{"event_type":').then((r) => new Response(r.body, { status: r.status })), status: 400, reason: /^bad JSON/ },
    {
      name: 'schema',
      send: () => harness.sender.postRaw(JSON.stringify({ event_type: 'alert_active' })).then((r) => new Response(r.body, { status: r.status })),
      status: 422,
      reason: /^event_id: /,
    },
  ];
  for (const entry of cases) {
    const response = await entry.send();
    assert.equal(response.status, entry.status, entry.name);
    const { error } = (await response.json()) as { error: string };
    assert.match(error, entry.reason, entry.name);
    assert.doesNotMatch(error, /\n/);
    const delivery = lastDelivery();
    assert.equal(delivery.outcome, 'rejected', entry.name);
    assert.equal(delivery.status_code, entry.status, entry.name);
    assert.equal(delivery.reason, error, entry.name);
  }
  const outbox = inspect(harness.relay).row(`SELECT count(*) AS n FROM outbox WHERE event_id IN (SELECT event_id FROM deliveries WHERE outcome = 'rejected')`) as { n: number };
  assert.equal(outbox.n, 0, 'nothing rejected is forwarded');
});

test('a body over 1 MiB sent chunked without a length is refused with 413 too', async () => {
  const chunk = new TextEncoder().encode(`"${'y'.repeat(64 * 1024)}",`);
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent > 2 * 1024 * 1024) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const response = await fetch(harness.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-level-signature': 'sha256=00' },
    body: stream,
    duplex: 'half',
  } as RequestInit).catch((error: Error) => error);
  if (response instanceof Error) assert.fail(`expected a 413 answer, got ${response.message}`);
  assert.equal(response.status, 413);
  assert.equal(lastDelivery().status_code, 413);
});

test('a repeated event_id is a 200 duplicate and creates no second ilert job', async () => {
  const event = alertEvent();
  assert.equal((await harness.sender.postRaw(JSON.stringify(event))).status, 202);
  const again = await harness.sender.postRaw(JSON.stringify(event));
  assert.equal(again.status, 200);
  assert.deepEqual(JSON.parse(again.body), { duplicate: true, event_id: event.event_id });
  assert.equal(lastDelivery().outcome, 'duplicate');
  const jobs = inspect(harness.relay).row('SELECT count(*) AS n FROM outbox WHERE event_id = ?', event.event_id) as { n: number };
  assert.equal(jobs.n, 1);
});

test('unknown event types are accepted and kept, not forwarded', async () => {
  const event = { event_type: 'script_completed', event_id: crypto.randomUUID(), occurred_at: new Date().toISOString(), data: { id: 'run-1', exit_code: 0 } };
  const response = await harness.sender.postRaw(JSON.stringify(event));
  assert.equal(response.status, 202);
  const stored = inspect(harness.relay).row('SELECT event_type FROM events WHERE event_id = ?', event.event_id) as { event_type: string };
  assert.equal(stored.event_type, 'script_completed');
  const jobs = inspect(harness.relay).row('SELECT count(*) AS n FROM outbox WHERE event_id = ?', event.event_id) as { n: number };
  assert.equal(jobs.n, 0);
});

test('device and group events are mirrored, not forwarded', async () => {
  const envelope = (type: string, data: object) => ({ event_type: type, event_id: crypto.randomUUID(), occurred_at: new Date().toISOString(), data });
  await harness.sender.postRaw(JSON.stringify(envelope('group_created', { id: 'g1', name: 'Acme', parent_id: null })));
  await harness.sender.postRaw(JSON.stringify(envelope('device_created', { id: 'd1', hostname: 'ACME-DC01', group_id: 'g1' })));
  await harness.sender.postRaw(JSON.stringify(envelope('device_updated', { id: 'd1', hostname: 'ACME-DC02', group_id: 'g1' })));
  await harness.sender.postRaw(JSON.stringify(envelope('device_deleted', { id: 'd1' })));
  const device = inspect(harness.relay).row('SELECT hostname, group_id, deleted FROM devices WHERE id = ?', 'd1');
  assert.deepEqual({ ...device }, { hostname: 'ACME-DC02', group_id: 'g1', deleted: 1 });
  const group = inspect(harness.relay).row('SELECT name, deleted FROM groups WHERE id = ?', 'g1');
  assert.deepEqual({ ...group }, { name: 'Acme', deleted: 0 });
  const jobs = inspect(harness.relay).row(`SELECT count(*) AS n FROM outbox WHERE level_alert_id IN ('d1', 'g1')`) as { n: number };
  assert.equal(jobs.n, 0);
});

test('stored headers are redacted and the forwarded address is logged', async () => {
  const raw = JSON.stringify(alertEvent());
  await harness.sender.postRaw(raw, {
    authorization: 'Bearer hunter2',
    cookie: 'session=abc',
    'x-automation-secret': 'abc',
    'x-forwarded-for': '203.0.113.7, 10.0.0.1',
    'cf-connecting-ip': '198.51.100.9',
    'x-level-signature': sign(SECRET, raw),
  });
  const delivery = lastDelivery();
  const headers = JSON.parse(delivery.headers as string) as Record<string, string>;
  assert.equal(headers.authorization, '[redacted]');
  assert.equal(headers.cookie, '[redacted]');
  assert.equal(headers['x-automation-secret'], '[redacted]');
  assert.doesNotMatch(delivery.headers as string, /hunter2|session=abc/);
  assert.equal(delivery.forwarded_for, '198.51.100.9');
  assert.equal(delivery.remote_addr, '127.0.0.1');
});

test('without a secret, deliveries are accepted and marked unsigned', async (t) => {
  const open = await startRelay({ levelWebhookSecret: '' });
  t.after(() => open.stop());
  const response = await new LevelSender({ url: open.url }).postRaw(JSON.stringify(alertEvent()));
  assert.equal(response.status, 202);
  const row = inspect(open.relay).row('SELECT signature FROM deliveries ORDER BY id DESC LIMIT 1') as { signature: string };
  assert.equal(row.signature, 'unsigned');
});

test('when the store cannot write, Level gets 503 and may retry; nothing is half-written', async (t) => {
  const dataDir = tempDataDir();
  const locked = await startRelay({}, { busyTimeoutMs: 50 }, dataDir);
  const blocker = new DatabaseSync(path.join(dataDir, 'relay.sqlite'));
  t.after(async () => {
    blocker.close();
    await locked.stop();
  });
  blocker.exec('PRAGMA busy_timeout = 0');
  blocker.exec('BEGIN EXCLUSIVE');
  const event = alertEvent();
  const refused = await locked.sender.postRaw(JSON.stringify(event));
  assert.equal(refused.status, 503);
  assert.equal(JSON.parse(refused.body).error, 'store unavailable, retry later');
  blocker.exec('ROLLBACK');
  const retried = await locked.sender.postRaw(JSON.stringify(event));
  assert.equal(retried.status, 202, 'the retry is a new event, not a duplicate of a half-written one');
});

test('retention deletes old history but keeps work that is still pending', async (t) => {
  const dataDir = tempDataDir();
  const pruned = await startRelay({ retentionDays: 1 }, undefined, dataDir);
  t.after(() => pruned.stop());
  const old = alertEvent();
  const pending = alertEvent();
  await pruned.sender.postRaw(JSON.stringify(old));
  await pruned.sender.postRaw(JSON.stringify(pending));
  await pruned.sender.postRaw('{"bad json');
  const sql = inspect(pruned.relay);
  // No ilert key is configured, so both jobs wait; mark the first finished, as if delivered long ago.
  sql.arrange(`UPDATE outbox SET status = 'delivered' WHERE event_id = ?`, old.event_id);
  sql.arrange(`UPDATE outbox SET updated_at = 0`);
  sql.arrange(`UPDATE deliveries SET received_at = 0`);
  sql.arrange(`UPDATE events SET received_at = 0`);
  const result = await pruneAsOf(pruned.relay);
  assert.deepEqual(result, { deliveries: 2, jobs: 1 });
  const left = sql.rows('SELECT event_id FROM deliveries').map((row) => row.event_id);
  assert.deepEqual(left, [pending.event_id], 'the pending job’s delivery is kept');
  assert.ok(sql.row('SELECT 1 FROM events WHERE event_id = ?', pending.event_id));
});

test('GET /healthz?nonce= echoes the nonce and this relay’s id, for the reachability check', async () => {
  const nonce = 'n0nce-1234567890';
  const response = await fetch(`${base}/healthz?nonce=${nonce}`);
  assert.deepEqual(await response.json(), { status: 'ok', nonce, relay: harness.relay.instanceId });
  const odd = await fetch(`${base}/healthz?nonce=${encodeURIComponent('<script>')}`);
  assert.deepEqual(await odd.json(), { status: 'ok' }, 'nothing but a plain token is echoed');
});

/** A POST with exactly these headers (fetch would add a Content-Type of its own). */
function postWithHeaders(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: { 'content-length': Buffer.byteLength(body), ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

test('a signed JSON body is accepted whatever Content-Type Level sends, or none', async () => {
  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
    const event = alertEvent();
    const raw = JSON.stringify(event);
    const headers: Record<string, string> = { 'x-level-signature': sign(SECRET, raw) };
    if (contentType) headers['content-type'] = contentType;
    const response = await postWithHeaders(harness.url, raw, headers);
    assert.equal(response.status, 202, String(contentType));
    const alert = inspect(harness.relay).row('SELECT state FROM alerts WHERE level_alert_id = ?', event.data.id) as { state: string } | undefined;
    assert.equal(alert?.state, 'active', `${String(contentType)}: the alert is kept and queued for ilert`);
  }
  const unsigned = await postWithHeaders(harness.url, JSON.stringify(alertEvent()), { 'content-type': 'text/plain' });
  assert.equal(unsigned.status, 401, 'the signature is still checked first');
});

test('an unknown event type without data.id (or without data) is acknowledged and stored', async () => {
  for (const data of [{ ticket: 'T-1' }, null, 'free text']) {
    const event = { event_type: 'ticket_created', event_id: crypto.randomUUID(), occurred_at: new Date().toISOString(), data };
    const response = await harness.sender.postRaw(JSON.stringify(event));
    assert.equal(response.status, 202, JSON.stringify(data));
    const stored = inspect(harness.relay).row('SELECT event_type, resource_id FROM events WHERE event_id = ?', event.event_id) as { event_type: string; resource_id: string };
    assert.deepEqual({ ...stored }, { event_type: 'ticket_created', resource_id: '' });
    assert.equal(Buffer.from(lastDelivery().body as Uint8Array).toString(), JSON.stringify(event), 'the raw body is kept');
  }
});

test('an alert with a zone-less, +0000, minute-only or unreadable occurred_at is forwarded, not lost, and the guess is flagged', async () => {
  const cases: [string, RegExp | undefined, string | undefined][] = [
    ['2026-03-13T18:30:00', /no time zone; read as UTC/, '2026-03-13T18:30:00.000Z'],
    ['2026-03-13T18:30:00+0000', undefined, '2026-03-13T18:30:00.000Z'],
    ['2026-03-13T18:30Z', undefined, '2026-03-13T18:30:00.000Z'],
    ['13/03/2026 6:30pm', /used the time the relay received it/, undefined],
  ];
  for (const [occurredAt, note, stored] of cases) {
    const event = alertEvent();
    const raw = JSON.stringify({ ...event, occurred_at: occurredAt });
    const before = Date.now();
    const response = await harness.sender.postRaw(raw);
    assert.equal(response.status, 202, occurredAt);
    const delivery = lastDelivery();
    assert.equal(delivery.outcome, 'accepted');
    if (note) assert.match(String(delivery.reason), note, occurredAt);
    else assert.equal(delivery.reason, null, occurredAt);
    const row = inspect(harness.relay).row('SELECT occurred_at FROM events WHERE event_id = ?', event.event_id) as { occurred_at: string };
    if (stored) assert.equal(row.occurred_at, stored, occurredAt);
    else assert.ok(Date.parse(row.occurred_at) >= before - 1000 && Date.parse(row.occurred_at) <= Date.now(), 'the time of receipt');
    const job = inspect(harness.relay).row(`SELECT event_type FROM outbox WHERE event_id = ?`, event.event_id) as { event_type: string } | undefined;
    assert.equal(job?.event_type, 'ALERT', `${occurredAt}: queued for ilert`);
  }
});

/**
 * A raw POST that declares `declared` bytes and sends `sent` of them, then waits. `answer` resolves
 * with what the relay said once it closes the connection ('' if it says nothing within 5 s).
 */
function unfinishedBody(url: string, declared: number, sent: number, headers: Record<string, string> = {}) {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString()));
  // The relay closes the connection while the rest of the body is still being written: a reset is expected.
  socket.on('error', () => undefined);
  const answer = new Promise<string>((resolve) => {
    // A relay that never answers fails the test in 5 s rather than holding it until the test timeout.
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
  const head = Object.entries({
    host: 'relay',
    'content-type': 'application/json',
    'x-level-signature': `sha256=${'0'.repeat(64)}`,
    ...headers,
    'content-length': String(declared),
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.write(`POST /webhooks/level HTTP/1.1\r\n${head}\r\n`);
  socket.write(Buffer.alloc(sent, 0x20));
  return { socket, answer };
}

/** Resolves once the bytes of bodies the receiver holds pass `check` (bytes arriving are no event the relay announces). */
async function whenBuffered(relay: InProcessRelay, check: (bytes: number) => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check(probe(relay.relay).bufferedBytes())) {
    if (Date.now() > deadline) assert.fail(`${probe(relay.relay).bufferedBytes()} bytes buffered after ${timeoutMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const MiB = 1024 * 1024;
/** Small numbers, the production mechanism: 4 MiB for bodies, 1 MiB of it kept for small ones, 2 MiB per client address. */
const SMALL_BUDGET = { maxBufferedBytes: 4 * MiB, smallBodyReserveBytes: 1 * MiB, maxBufferedBytesPerAddress: 2 * MiB, busyForMs: 60_000 };

test('large bodies get a share per client address and never the reserve: Level’s small alert is accepted while they fill the rest', async (t) => {
  const relay = await startRelay({}, { ...FAST_TUNING, receiverLimits: SMALL_BUDGET });
  const held: net.Socket[] = [];
  t.after(async () => {
    for (const socket of held) socket.destroy();
    await relay.stop();
  });
  const from = (address: string) => ({ 'cf-connecting-ip': address });
  for (let index = 0; index < 2; index++) held.push(unfinishedBody(relay.url, MiB, MiB - 1, from('198.51.100.1')).socket);
  await whenBuffered(relay, (bytes) => bytes >= 2 * (MiB - 1));
  const third = unfinishedBody(relay.url, MiB, MiB - 1, from('198.51.100.1'));
  assert.match(await third.answer, /^HTTP\/1\.1 503[\s\S]*too many bytes arriving from this address at once/, 'a third from the same address is over its share');

  held.push(unfinishedBody(relay.url, MiB, MiB - 1, from('203.0.113.2')).socket);
  await whenBuffered(relay, (bytes) => bytes >= 3 * (MiB - 1));
  const fourth = unfinishedBody(relay.url, MiB, MiB - 1, from('192.0.2.3'));
  assert.match(await fourth.answer, /^HTTP\/1\.1 503[\s\S]*the relay is busy receiving other requests/, 'what is left is the reserve for small bodies');

  const response = await relay.sender.postRaw(JSON.stringify(alertEvent()));
  assert.equal(response.status, 202, 'Level’s alert fits in the reserve');
  const diagnosis = relay.relay.status().diagnoses.find((entry) => entry.id === 'public-port-busy');
  assert.match(diagnosis?.detail ?? '', /answered 2 requests 503 because the bodies being received filled their memory/);
});

test('client-address headers are believed only when the public port listens on loopback, and only the entry the proxy added', async (t) => {
  const share = { ...SMALL_BUDGET, maxBufferedBytesPerAddress: MiB };
  const onLoopback = await startRelay({}, { ...FAST_TUNING, receiverLimits: share });
  const everywhere = await startRelay({ host: '0.0.0.0' }, { ...FAST_TUNING, receiverLimits: share });
  const held: net.Socket[] = [];
  t.after(async () => {
    for (const socket of held) socket.destroy();
    await Promise.all([onLoopback.stop(), everywhere.stop()]);
  });
  // Two clients a Cloudflare tunnel names apart: each has its own share.
  held.push(unfinishedBody(onLoopback.url, MiB, MiB - 1, { 'cf-connecting-ip': '198.51.100.1' }).socket);
  await whenBuffered(onLoopback, (bytes) => bytes >= MiB - 1);
  const other = unfinishedBody(onLoopback.url, MiB, MiB - 1, { 'cf-connecting-ip': '198.51.100.2' });
  held.push(other.socket);
  await whenBuffered(onLoopback, (bytes) => bytes >= 2 * (MiB - 1));

  // X-Forwarded-For: what the client wrote itself comes first and counts for nothing.
  const spoofed = unfinishedBody(onLoopback.url, MiB, MiB - 1, { 'x-forwarded-for': '192.0.2.77, 198.51.100.1' });
  assert.match(await spoofed.answer, /^HTTP\/1\.1 503[\s\S]*from this address/, 'the last entry names 198.51.100.1, whose share is taken');

  // Reachable from anywhere, the port cannot tell a tunnel from a client naming itself: one address.
  const everywhereUrl = everywhere.url.replace('0.0.0.0', '127.0.0.1');
  held.push(unfinishedBody(everywhereUrl, MiB, MiB - 1, { 'cf-connecting-ip': '198.51.100.1' }).socket);
  await whenBuffered(everywhere, (bytes) => bytes >= MiB - 1);
  const named = unfinishedBody(everywhereUrl, MiB, MiB - 1, { 'cf-connecting-ip': '198.51.100.2' });
  assert.match(await named.answer, /^HTTP\/1\.1 503[\s\S]*from this address/);
});

test('a body that stops arriving or trickles is cut off with 408, and its bytes are given back', async (t) => {
  const relay = await startRelay({}, { ...FAST_TUNING, receiverLimits: { minBodyBytesPerSecond: 1024, bodyRateWindowMs: 200 } });
  t.after(() => relay.stop());
  const stalled = unfinishedBody(relay.url, 64 * 1024, 32 * 1024);
  const trickle = unfinishedBody(relay.url, 64 * 1024, 0);
  const drip = setInterval(() => trickle.socket.write('x'), 20);
  t.after(() => clearInterval(drip));
  for (const { answer } of [stalled, trickle]) {
    const text = await answer;
    assert.match(text, /^HTTP\/1\.1 408/);
    assert.match(text, /request body too slow: under 1024 bytes per second/);
  }
  assert.equal(probe(relay.relay).bufferedBytes(), 0);
  const lastByteLate = unfinishedBody(relay.url, 10, 9);
  assert.equal((await relay.sender.postRaw(JSON.stringify(alertEvent()))).status, 202, 'a body sent at once is never too slow');
  assert.match(await lastByteLate.answer, /^HTTP\/1\.1 408/, 'one byte missing for a whole window is a stall too');
});

test('at the per-address connection cap a fresh request closes the longest-idle connection; with none idle it is refused, and the port reports itself busy', async (t) => {
  const relay = await startRelay({}, { ...FAST_TUNING, receiverLimits: { maxConnectionsPerAddress: 3, busyForMs: 300 } });
  const sockets: net.Socket[] = [];
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await relay.stop();
  });
  const keepAlive = async () => {
    const { port } = new URL(relay.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    sockets.push(socket);
    socket.write('GET /nowhere HTTP/1.1\r\nHost: relay\r\n\r\n');
    await once(socket, 'data');
    return socket;
  };
  const idle = [await keepAlive(), await keepAlive(), await keepAlive()];
  const oldestClosed = once(idle[0]!, 'close');
  assert.equal((await relay.sender.postRaw(JSON.stringify(alertEvent()))).status, 202, 'Level’s fresh connection is served');
  await oldestClosed;
  assert.equal(idle[1]!.destroyed || idle[2]!.destroyed, false, 'only the longest-idle one went');

  for (const socket of idle) socket.destroy();
  const busy = [unfinishedBody(relay.url, 1000, 10), unfinishedBody(relay.url, 1000, 10), unfinishedBody(relay.url, 1000, 10)];
  sockets.push(...busy.map((entry) => entry.socket));
  await whenBuffered(relay, (bytes) => bytes >= 30);
  const refused = unfinishedBody(relay.url, 10, 10);
  assert.match(await refused.answer, /^HTTP\/1\.1 503[\s\S]*too many connections from this address/);

  for (const socket of sockets) socket.destroy();
  await whenBuffered(relay, (bytes) => bytes === 0);
  const healthz = await fetch(relay.url.replace('/webhooks/level', '/healthz'));
  assert.equal(healthz.status, 503, '/healthz is 503 while the port turns requests away');
  assert.deepEqual(await healthz.json(), { status: 'unhealthy' }, 'the reason stays private');
  const detail = relay.relay.status().diagnoses.find((entry) => entry.id === 'public-port-busy')?.detail ?? '';
  assert.match(detail, /refused \d+ connections? over the per-address cap/);
  assert.match(detail, /closed \d+ idle connections? to make room for new ones/);
  await waitForChange(relay.relay, () => !relay.relay.status().diagnoses.some((entry) => entry.id === 'public-port-busy'), 5000, 'the pressure to pass');
  assert.equal((await fetch(relay.url.replace('/webhooks/level', '/healthz'))).status, 200);
});
