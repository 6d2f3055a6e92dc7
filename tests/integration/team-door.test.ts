/**
 * A team's relay: the admin door on 0.0.0.0, reached over HTTPS through 127.0.0.1 with its
 * self-signed certificate pinned. Pairing, roles, revocation, the audit and the failure limit.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { AdminServer } from '../../electron/core/admin/admin-server.ts';
import { loadOrCreateTls } from '../../electron/core/admin/certificate.ts';
import { OwnerToken } from '../../electron/core/admin/owner-token.ts';
import { alertKeyFor } from '../../electron/core/ilert/event-mapping.ts';
import { SettingsFile } from '../../electron/core/settings-file.ts';
import { SettingsService } from '../../electron/core/settings-service.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { holdWriteLock, INTEGRATION_KEY, SECRET, startRelay, tempDataDir, checkedAnswers } from '../helpers/relay-harness.ts';
import { inspect } from '../helpers/inspect.ts';
import { pruneAsOf, probe } from '../helpers/parts.ts';

const ilert = await new FakeIlert().start();
/** A Level API address where nothing listens: setting a key starts a sync, which must stay on this machine. */
const NO_LEVEL_API = 'http://127.0.0.1:9/v2';
const harness = await startRelay({ ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: ilert.url });
const rendererDir = tempDataDir('renderer-');
fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>dashboard</title>');
const service = new SettingsService(new SettingsFile(harness.dataDir), {});
service.onChange((changed) => harness.relay.applySettings(changed));
service.update({ ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: ilert.url, levelWebhookSecret: SECRET });
const tls = loadOrCreateTls(harness.dataDir, ['relay.example.ts.net', '127.0.0.1']);
const admin: AdminServer = new AdminServer({
  handlers: checkedAnswers(harness.relay.handlers(service, () => admin)),
  rendererDir,
  team: harness.relay.teamDoor,
  ownerToken: new OwnerToken(harness.dataDir),
  host: '0.0.0.0',
  hostNames: ['relay.example.ts.net'],
  tls,
});
let { port } = await admin.listen(0);
const ownerToken = admin.token;
harness.relay.events.on('changes', (changes) => admin.push(changes));

after(async () => {
  await admin?.close();
  await harness?.stop();
  await ilert?.stop();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: () => Record<string, unknown>;
}

/** HTTPS to 127.0.0.1 with the door's certificate as the only trusted one: what a pinned client does. */
function request(pathname: string, options: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: pathname,
        method: options.method ?? (body ? 'POST' : 'GET'),
        ca: tls.cert,
        // The certificate is pinned as the only trusted one; names are the door's Host check's business.
        checkServerIdentity: () => undefined,
        headers: {
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const call = (method: string, token: string, input: unknown = {}) => request(`/api/${method}`, { token, body: input });

async function invite(name: string, role: string): Promise<{ id: number; token: string }> {
  const created = await call('createMember', ownerToken, { name, role });
  assert.equal(created.status, 200, created.text);
  const { id, pairingCode } = created.json() as { id: number; pairingCode: string };
  const paired = await request('/pair', { body: { code: pairingCode } });
  assert.equal(paired.status, 200, paired.text);
  return { id, token: (paired.json() as { token: string }).token };
}

test('the door speaks HTTPS with a certificate made on first start and kept; plain HTTP is refused', async () => {
  assert.equal((admin.server.address() as { address: string }).address, '0.0.0.0');
  const certificate = new X509Certificate(fs.readFileSync(path.join(harness.dataDir, 'admin-tls.crt')));
  assert.equal(certificate.fingerprint256, tls.fingerprint256);
  assert.match(certificate.subjectAltName ?? '', /DNS:relay\.example\.ts\.net/);
  assert.equal((fs.statSync(path.join(harness.dataDir, 'admin-tls.key')).mode & 0o777).toString(8), '600');
  assert.equal(loadOrCreateTls(harness.dataDir, ['other.name']).fingerprint256, tls.fingerprint256, 'a restart serves the same certificate');

  const plain = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/?token=${ownerToken}` }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, text }));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(plain.status, 400);
  assert.match(plain.text, /HTTPS only: open https:\/\/relay\.example\.ts\.net:/);

  const whoAmI = await call('whoAmI', ownerToken);
  assert.equal(whoAmI.status, 200);
  assert.deepEqual(whoAmI.json().door, { kind: 'remote', fingerprint256: tls.fingerprint256, adminUrl: `https://relay.example.ts.net:${port}/?token=${ownerToken}` });
});

test('the Host check accepts IP addresses and the configured names, and refuses other names', async () => {
  assert.equal((await call('getStatus', ownerToken)).status, 200);
  assert.equal((await request('/api/getStatus', { token: ownerToken, body: {}, headers: { host: `relay.example.ts.net:${port}` } })).status, 200);
  assert.equal((await request('/api/getStatus', { token: ownerToken, body: {}, headers: { host: `attacker.example:${port}` } })).status, 421);
});

test('an invitation pairs once: the code becomes a personal token, and a second use is refused', async () => {
  const created = await call('createMember', ownerToken, { name: 'Vera Viewer', role: 'viewer' });
  const { pairingCode, pairingUrl } = created.json() as { pairingCode: string; pairingUrl: string };
  assert.match(pairingCode, /^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);
  assert.equal(pairingUrl, `https://relay.example.ts.net:${port}/pair?code=${pairingCode}`);

  const page = await request(`/pair?code=${pairingCode}`, { headers: { accept: 'text/html' } });
  assert.equal(page.status, 200);
  assert.match(page.text, /<form method="post" action="\/pair">/);

  const paired = await request('/pair', { body: { code: pairingCode.toLowerCase() } });
  assert.equal(paired.status, 200, paired.text);
  const { token, role } = paired.json() as { token: string; role: string };
  assert.equal(role, 'viewer');
  assert.ok(Buffer.from(token, 'base64url').length === 32, 'a random 32-byte token');
  assert.equal((await request('/pair', { body: { code: pairingCode } })).status, 401, 'single use');

  const row = inspect(harness.relay).row<{ token_hash: string; pairing_hash: string | null }>(`SELECT token_hash, pairing_hash FROM members WHERE name = 'Vera Viewer'`)!;
  assert.notEqual(row.token_hash, token, 'stored hashed');
  assert.equal(row.pairing_hash, null);

  const members = (await call('listMembers', ownerToken)).json() as unknown as { name: string; state: string; lastUsedAt?: number }[];
  const vera = members.find((member) => member.name === 'Vera Viewer')!;
  assert.equal(vera.state, 'active');
  assert.ok(vera.lastUsedAt);
});

test('roles are enforced on the server: a viewer reads but gets 403 from rerunJob, and never sees secret hints', async () => {
  const viewer = await invite('Val Viewer', 'viewer');
  assert.equal((await call('getStatus', viewer.token)).status, 200);
  const rerun = await call('rerunJob', viewer.token, { id: 1 });
  assert.equal(rerun.status, 403);
  // Said for a person: what was refused, who may do it, whom to ask; never the method's name.
  assert.deepEqual(rerun.json().error, {
    code: 'forbidden',
    message: 'Sending an ilert event again needs an operator or an admin of this relay; you (Val Viewer) are a viewer. Ask an admin if it should be done.',
  });
  const route = await call('setGroupRoute', viewer.token, { groupId: 'g1', route: null });
  assert.equal(route.status, 403);
  const { message } = (route.json() as { error: { message: string } }).error;
  assert.doesNotMatch(message, /setGroupRoute|role/);
  assert.match(message, /^Changing a group’s route needs an admin of this relay/);
  assert.equal((await call('updateSettings', viewer.token, { retentionDays: 5 })).status, 403);
  assert.equal((await call('createMember', viewer.token, { name: 'Eve', role: 'admin' })).status, 403);

  const viewerSettings = (await call('getSettings', viewer.token)).json() as { secrets: Record<string, { set: boolean; hint?: string }> };
  assert.deepEqual(viewerSettings.secrets.ilertIntegrationKey, { set: true });
  assert.ok(!(await call('getSettings', viewer.token)).text.includes(INTEGRATION_KEY.slice(0, 4) + '••'));
  const adminSettings = (await call('getSettings', ownerToken)).json() as { secrets: Record<string, { set: boolean; hint?: string }> };
  assert.ok(adminSettings.secrets.ilertIntegrationKey?.hint, 'an admin still sees the hint');
});

test('an operator’s Accept reaches ilert with their name and is in the audit, with settings changes by key only', async () => {
  const operator = await invite('Olga Operator', 'operator');
  const event = alertEvent();
  await new LevelSender({ url: harness.url, secret: SECRET, attempts: 1 }).deliver(event);
  const key = alertKeyFor(event.data.id);
  await ilert.waitFor(() => ilert.eventsFor(key).some((received) => received.eventType === 'ALERT'), 5000, 'the ALERT in ilert');

  const accepted = await call('acceptAlert', operator.token, { levelAlertId: event.data.id });
  assert.equal(accepted.status, 200, accepted.text);
  await ilert.waitFor(() => ilert.eventsFor(key).some((received) => received.eventType === 'ACCEPT'), 5000, 'the ACCEPT in ilert');
  const accept = ilert.eventsFor(key).find((received) => received.eventType === 'ACCEPT')!;
  assert.match(JSON.stringify(accept.body.comments), /Olga Operator/);

  assert.equal((await call('updateSettings', operator.token, { retentionDays: 7 })).status, 403);
  assert.equal((await call('updateSettings', ownerToken, { retentionDays: 7, levelApiKey: 'level-key-do-not-log', levelApiUrl: NO_LEVEL_API })).status, 200);

  const audit = (await call('listAudit', operator.token, { limit: 50 })).json() as unknown as { actor: string; role: string; action: string; detail: string }[];
  const text = JSON.stringify(audit);
  assert.ok(audit.some((entry) => entry.actor === 'Olga Operator' && entry.action === 'accept' && entry.detail.includes(event.data.id)));
  assert.ok(audit.some((entry) => entry.actor === 'owner' && entry.action === 'invite' && entry.detail === 'invited Olga Operator as operator'));
  assert.ok(audit.some((entry) => entry.actor === 'Olga Operator' && entry.action === 'pair'));
  assert.ok(audit.some((entry) => entry.action === 'settings' && entry.detail === 'changed levelApiKey, levelApiUrl, retentionDays'));
  assert.ok(!text.includes('level-key-do-not-log'), 'values of changed settings are never recorded');
});

test('an admin changes a member’s role without a new invitation: it applies to their next call, is audited, and is for admins only', async () => {
  const member = await invite('Sam Switch', 'viewer');
  assert.equal((await call('rerunJob', member.token, { id: 999_999 })).status, 403);
  assert.equal((await call('changeMemberRole', member.token, { id: member.id, role: 'admin' })).status, 403, 'a viewer cannot promote themselves');

  const changed = await call('changeMemberRole', ownerToken, { id: member.id, role: 'operator' });
  assert.equal(changed.status, 200, changed.text);
  assert.equal(changed.json().role, 'operator');
  assert.equal(changed.json().state, 'active', 'the same token, still paired');
  assert.equal((await call('rerunJob', member.token, { id: 999_999 })).status, 404, 'an operator’s call gets past the role check (no such job)');
  assert.deepEqual((await call('whoAmI', member.token)).json().role, 'operator');

  const audit = (await call('listAudit', ownerToken, { limit: 10 })).json() as unknown as { actor: string; action: string; detail: string }[];
  assert.ok(audit.some((entry) => entry.actor === 'owner' && entry.action === 'role' && entry.detail === 'changed Sam Switch’s role from viewer to operator'));

  assert.equal((await call('changeMemberRole', ownerToken, { id: 999_999, role: 'viewer' })).status, 404);
  assert.equal((await call('revokeMember', ownerToken, { id: member.id })).status, 200);
  const refused = await call('changeMemberRole', ownerToken, { id: member.id, role: 'admin' });
  assert.equal(refused.status, 409);
  assert.match(String((refused.json().error as { message: string }).message), /Sam Switch was revoked: invite them again/);
});

test('revoking a member: their token gets 401 at once and their live stream ends; the revocation is audited', async () => {
  const member = await invite('Rita Revoked', 'operator');
  const stream = await new Promise<http.IncomingMessage>((resolve, reject) => {
    https.get({ host: '127.0.0.1', port, path: '/api/events', ca: tls.cert, headers: { authorization: `Bearer ${member.token}` } }, resolve).on('error', reject);
  });
  assert.equal(stream.statusCode, 200);
  stream.resume();
  const streamEndedAt = new Promise<number>((resolve, reject) => {
    stream.on('end', () => resolve(performance.now()));
    stream.on('error', reject);
  });
  const revoked = await call('revokeMember', ownerToken, { id: member.id });
  assert.equal(revoked.status, 200);
  const revokedAt = performance.now();
  let bound: NodeJS.Timeout | undefined;
  const endedAt = await Promise.race([
    streamEndedAt,
    new Promise<never>((_, reject) => (bound = setTimeout(() => reject(new Error('the live stream was still open 2 s after the revocation')), 2000))),
  ]).finally(() => clearTimeout(bound));
  // The door ends the stream before it answers the revocation; the answer and the end may reach this client in either order.
  assert.ok(endedAt - revokedAt < 200, `the stream ended ${Math.round(endedAt - revokedAt)} ms after the revocation was answered`);
  const after = await call('getStatus', member.token);
  assert.equal(after.status, 401);
  assert.equal((after.json().error as { code: string }).code, 'unauthorized');
  const members = (await call('listMembers', ownerToken)).json() as unknown as { id: number; state: string }[];
  assert.equal(members.find((entry) => entry.id === member.id)?.state, 'revoked');
  const audit = (await call('listAudit', ownerToken, { limit: 10 })).json() as unknown as { action: string; detail: string }[];
  assert.ok(audit.some((entry) => entry.action === 'revoke' && entry.detail === 'revoked Rita Revoked (operator)'));
});

test('a member’s first call after a minute idle passes at once while another program holds the write lock; last use is written after', async (t) => {
  const member = await invite('Ida Idle', 'viewer');
  const longAgo = Date.now() - 120_000;
  inspect(harness.relay).arrange('UPDATE members SET last_used_at = ? WHERE id = ?', longAgo, member.id);
  const lock = await holdWriteLock(harness.dataDir);
  let released = false;
  t.after(() => (released ? undefined : lock.release()));
  const started = performance.now();
  const answer = await call('getStatus', member.token);
  const elapsedMs = performance.now() - started;
  assert.equal(answer.status, 200, answer.text);
  assert.ok(elapsedMs < 1000, `answered in ${Math.round(elapsedMs)} ms, not after the lock's busy timeout`);
  await lock.release();
  released = true;
  // A write queued now commits after the one the sign-in queued.
  await probe(harness.relay).writesDone();
  const lastUsed = inspect(harness.relay).row<{ last_used_at: number }>('SELECT last_used_at FROM members WHERE id = ?', member.id)!.last_used_at;
  assert.ok(lastUsed > longAgo, 'last use is recorded once the lock is gone');
});

test('an invitation made while the door is loopback-only warns that nobody else can open its link, and says how to open the door', async (t) => {
  const loopback: AdminServer = new AdminServer({
    handlers: checkedAnswers(harness.relay.handlers(service, () => loopback)),
    rendererDir,
    team: harness.relay.teamDoor,
    ownerToken: new OwnerToken(harness.dataDir),
  });
  const { port: loopbackPort } = await loopback.listen(0);
  t.after(() => loopback.close());
  const answer = await fetch(`http://127.0.0.1:${loopbackPort}/api/createMember`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ownerToken}` },
    body: JSON.stringify({ name: 'Lou Loopback', role: 'viewer' }),
  });
  assert.equal(answer.status, 200);
  const created = (await answer.json()) as { pairingUrl: string; warning?: string };
  assert.match(created.pairingUrl, /^http:\/\/127\.0\.0\.1:\d+\/pair\?code=/);
  assert.match(created.warning ?? '', /listens on this machine only \(127\.0\.0\.1:\d+\), so nobody else can open this link yet/);
  assert.match(created.warning ?? '', /RELAY_ADMIN_HOST=0\.0\.0\.0/);
  assert.equal((await call('createMember', ownerToken, { name: 'Rob Remote', role: 'viewer' })).json().warning, undefined, 'an open door gives no warning');
});

test('RELAY_TLS_CERT and RELAY_TLS_KEY name a certificate of one’s own; a key that does not match is refused', () => {
  const dir = tempDataDir();
  const other = loadOrCreateTls(dir, ['own.example']);
  const named = loadOrCreateTls(harness.dataDir, [], { cert: path.join(dir, 'admin-tls.crt'), key: path.join(dir, 'admin-tls.key') });
  assert.equal(named.fingerprint256, other.fingerprint256);
  assert.notEqual(named.fingerprint256, tls.fingerprint256);
  assert.throws(() => loadOrCreateTls(dir, [], { cert: path.join(dir, 'admin-tls.crt'), key: path.join(harness.dataDir, 'admin-tls.key') }), /is not the key of/);
  assert.throws(() => loadOrCreateTls(dir, [], { cert: path.join(dir, 'admin-tls.crt') }), /set both RELAY_TLS_CERT and RELAY_TLS_KEY/);
});

test('the audit is kept for its own retention period, not the delivery log’s', async () => {
  assert.equal((await call('updateSettings', ownerToken, { retentionDays: 30, auditRetentionDays: 90 })).status, 200);
  const audit = async () => (await call('listAudit', ownerToken, { limit: 1000 })).json() as unknown as unknown[];
  assert.ok((await audit()).length > 0);
  await pruneAsOf(harness.relay, Date.now() + 89 * 86_400_000);
  assert.ok((await audit()).length > 0, 'within 90 days: kept');
  await pruneAsOf(harness.relay, Date.now() + 91 * 86_400_000);
  assert.deepEqual(await audit(), [], 'older than the audit’s retention period: gone');
});

test('a stale admin link opened fresh gets the "open the link" page, not JSON', async () => {
  const stale = await request('/?token=not-the-token-0123456789abcdefghijklmnop', { headers: { accept: 'text/html' } });
  assert.equal(stale.status, 401);
  assert.match(String(stale.headers['content-type']), /text\/html/);
  assert.match(stale.text, /Open the link the relay printed/);
});

test('more than 20 failed sign-ins in a minute get an address 429 for its failing attempts only; valid tokens still pass; audited once', async (t) => {
  // A door of its own: the failures of the tests above must not count, and this one locks 127.0.0.1 out for a minute.
  const door: AdminServer = new AdminServer({
    handlers: checkedAnswers(harness.relay.handlers(service, () => door)),
    rendererDir,
    team: harness.relay.teamDoor,
    ownerToken: new OwnerToken(harness.dataDir),
    host: '0.0.0.0',
    tls,
  });
  const member = await invite('Nat Behind-NAT', 'viewer');
  const auditBefore = inspect(harness.relay).row<{ id: number }>('SELECT max(id) AS id FROM audit')!.id;
  const previousPort = port;
  ({ port } = await door.listen(0));
  t.after(async () => {
    port = previousPort;
    await door.close();
  });
  for (let attempt = 1; attempt <= 20; attempt++) {
    assert.equal((await call('getStatus', `wrong-token-${attempt}`)).status, 401);
  }
  assert.equal((await call('getStatus', ownerToken)).status, 200, 'twenty failures are still tolerated');
  assert.equal((await request('/pair', { body: { code: 'AAAA-BBBB-CCCC-DDDD' } })).status, 401, 'the 21st failure: a guessed pairing code');
  const blocked = await call('getStatus', 'wrong-token-22');
  assert.equal(blocked.status, 429);
  assert.equal((blocked.json() as { error: { code: string } }).error.code, 'rate_limited', 'the code says what happened, as the status does');
  assert.ok(Number(blocked.headers['retry-after']) > 50);
  assert.equal((await request('/pair', { body: { code: 'AAAA-BBBB-CCCC-EEEE' } })).status, 429, 'pairing is rate-limited too');
  assert.equal((await request('/?token=wrong-token-in-a-link')).status, 429, 'and tokens in links');

  assert.equal((await call('getStatus', ownerToken)).status, 200, 'the owner’s valid token passes during the lock-out');
  assert.equal((await call('getStatus', member.token)).status, 200, 'so does a member’s, from the same address');
  assert.equal((await request(`/?token=${ownerToken}`)).status, 303, 'and the admin link');
  const created = await call('createMember', ownerToken, { name: 'Paula Paired-Late', role: 'viewer' });
  const { pairingCode } = created.json() as { pairingCode: string };
  assert.equal((await request('/pair', { body: { code: pairingCode } })).status, 200, 'and a valid pairing code');

  const rows = inspect(harness.relay).rows<{ actor: string; action: string; detail: string }>(
    'SELECT actor, action, detail FROM audit WHERE id > ? AND action IN (?, ?)',
    auditBefore,
    'sign-in-failed',
    'lock-out',
  );
  assert.deepEqual(
    rows.map((row) => [row.actor, row.action]),
    [
      ['not signed in (127.0.0.1)', 'sign-in-failed'],
      ['not signed in (127.0.0.1)', 'lock-out'],
    ],
    '24 failures leave two rows: the first failure and the lock-out',
  );
  assert.match(rows[1]!.detail, /127\.0\.0\.1 locked out for 60 s after more than 20 failed sign-ins in 60 s/);
});
