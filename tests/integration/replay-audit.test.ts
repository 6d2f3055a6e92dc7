import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { callMethod } from '../../electron/core/api/handlers.ts';
import { editedFields } from '../../electron/core/api/replay-audit.ts';
import type { AuditEntry, Caller, MethodName } from '../../shared/contract.ts';
import { FakeLevelApi } from '../fakes/fake-level-api.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { inspect } from '../helpers/inspect.ts';
import { OWNER, startRelay } from '../helpers/relay-harness.ts';
import { pruneAsOf } from '../helpers/parts.ts';

const LEVEL_KEY = 'level-key-for-the-audit-test';
const level = await new FakeLevelApi({ apiKey: LEVEL_KEY }).start();
const harness = await startRelay({ levelApiUrl: level.url, levelApiKey: LEVEL_KEY });
after(async () => {
  await harness.stop();
  await level.stop();
});

const ADMIN: Caller = { name: 'Ada Admin', role: 'admin', memberId: 1 };
const OPERATOR: Caller = { name: 'Olga Operator', role: 'operator', memberId: 2 };
const call = (method: MethodName, input: unknown, caller: Caller = OWNER) => callMethod(harness.api, method, input, caller);
const db = inspect(harness.relay);
const newestDeliveryId = () => (db.row('SELECT max(id) AS id FROM deliveries') as { id: number }).id;
const auditRows = async (limit = 1000) => {
  const result = await call('listAudit', { limit });
  assert.ok(result.ok);
  return result.value as AuditEntry[];
};

/** An alert Level really sent (signed, accepted): the original of the replays below. */
async function receivedAlert() {
  const event = alertEvent({ alertId: 'alert-77', severity: 'warning', name: 'Disk almost full', occurredAt: '2026-12-01T10:00:00.000Z' });
  assert.equal((await harness.sender.postRaw(JSON.stringify(event))).status, 202);
  return { event, id: newestDeliveryId() };
}

test('replay with edits needs the admin role, or an admin’s setting for operators, off by default', async () => {
  const { event, id } = await receivedAlert();
  const settings = await call('getSettings', {});
  assert.ok(settings.ok);
  assert.equal((settings.value as { values: { operatorsMayReplayWithEdits: boolean } }).values.operatorsMayReplayWithEdits, false);
  const replay = (caller: Caller, suffix: string) => call('replayDelivery', { id, body: JSON.stringify({ ...event, event_id: `${event.event_id}-${suffix}` }) }, caller);

  const before = newestDeliveryId();
  const refused = await replay(OPERATOR, 'operator');
  assert.deepEqual(refused.ok ? undefined : { status: refused.status, code: refused.error.code }, { status: 403, code: 'forbidden' });
  assert.match(refused.ok ? '' : refused.error.message, /needs the admin role.*Operators may replay with edits.*Olga Operator is an? operator/);
  assert.equal(newestDeliveryId(), before, 'a refused replay records no delivery');
  assert.equal((await replay({ name: 'Val Viewer', role: 'viewer', memberId: 3 }, 'viewer')).ok, false);

  assert.equal((await replay(ADMIN, 'admin')).ok, true);
  assert.equal(newestDeliveryId(), before + 1);

  // The setting is an admin's, through the usual door, and is audited like any other.
  assert.equal((await call('updateSettings', { operatorsMayReplayWithEdits: true }, OPERATOR)).ok, false);
  const granted = await call('updateSettings', { operatorsMayReplayWithEdits: true }, ADMIN);
  assert.ok(granted.ok && (granted.value as { ok: boolean }).ok);
  assert.equal((await replay(OPERATOR, 'granted')).ok, true);
  assert.equal(newestDeliveryId(), before + 2);
  const metadata = await call('getSettingsMetadata', {});
  assert.ok(
    metadata.ok &&
      (metadata.value as { key: string; label: string }[]).some((entry) => entry.key === 'operatorsMayReplayWithEdits' && entry.label === 'Operators may replay with edits'),
  );
  await call('updateSettings', { operatorsMayReplayWithEdits: false }, ADMIN);
});

test('a refused delivery (a stranger’s 401, a signed but invalid 422) cannot be the original of a replay: 409, nothing sent', async () => {
  const forged = JSON.stringify(alertEvent({ severity: 'emergency', name: 'Invented outage' }));
  assert.equal((await harness.sender.postRaw(forged, { 'x-level-signature': 'sha256=0000' })).status, 401);
  const stranger = newestDeliveryId();
  assert.equal((await harness.sender.postRaw(JSON.stringify({ data: { id: 'x' } }))).status, 422);
  const invalid = newestDeliveryId();

  for (const [id, status] of [
    [stranger, 401],
    [invalid, 422],
  ] as const) {
    const replay = await call('replayDelivery', { id, body: forged });
    assert.deepEqual(replay.ok ? undefined : replay.status, 409);
    assert.match(
      replay.ok ? '' : replay.error.message,
      new RegExp(`delivery ${id} was refused \\(HTTP ${status}: .+\\): only a delivery the relay accepted can be replayed with edits`),
    );
  }
  assert.equal(newestDeliveryId(), invalid, 'nothing was sent through the receiver');
  assert.equal((db.row(`SELECT count(*) AS n FROM deliveries WHERE source = 'replay' AND rerun_of IN (?, ?)`, stranger, invalid) as { n: number }).n, 0);
});

test('the audit row of a replay says what the event claimed (type, alert, time) and which fields the edit changed', async () => {
  const { event, id } = await receivedAlert();
  const edited = { ...event, event_id: 'invented-1', occurred_at: '2026-12-02T03:00:00.000Z', data: { ...event.data, severity: 'emergency', extra: 'note' } };
  delete (edited.data as { device_hostname?: string }).device_hostname;
  const replay = await call('replayDelivery', { id, body: JSON.stringify(edited, null, 2) }, ADMIN);
  assert.ok(replay.ok);
  const [row] = await auditRows(1);
  assert.deepEqual({ actor: row!.actor, role: row!.role, action: row!.action }, { actor: 'Ada Admin', role: 'admin', action: 'replay' });
  assert.equal(
    row!.detail,
    `replayed delivery ${id} with edits (HTTP 202) as alert_active, alert alert-77, occurred_at 2026-12-02T03:00:00.000Z, event_id invented-1; changed: ` +
      `event_id: "${event.event_id}" → "invented-1"; occurred_at: "2026-12-01T10:00:00.000Z" → "2026-12-02T03:00:00.000Z"; ` +
      `data.severity: "warning" → "emergency"; data.extra: (none) → "note"; data.device_hostname: "${event.data.device_hostname}" → (removed)`,
  );
  assert.ok(Math.abs(row!.at - Date.now()) < 60_000, 'with the time it was done');
});

test('the diff of an edit stays compact: long values are cut, and nothing changed says so', () => {
  const long = 'x'.repeat(500);
  const [field] = editedFields('{"a":{"b":[1,2]}}', JSON.stringify({ a: { b: [1, long] } }));
  assert.equal(field, `a.b[1]: 2 → "${'x'.repeat(78)}…`);
  assert.deepEqual(editedFields('{"a":1}', '{ "a": 1 }'), []);
});

test('the audit keeps its own retention (at least 90 days), changed only by the owner and audited: a short history cannot empty it', async () => {
  assert.ok((await auditRows()).length > 0);
  const short = await call('updateSettings', { retentionDays: 1 }, ADMIN);
  assert.ok(short.ok && (short.value as { ok: boolean }).ok);
  await pruneAsOf(harness.relay, Date.now() + 2 * 86_400_000);
  assert.ok((await auditRows()).length > 0, 'history pruned after a day; the audit kept');

  const byAdmin = await call('updateSettings', { auditRetentionDays: 90 }, ADMIN);
  assert.deepEqual(byAdmin.ok && byAdmin.value, {
    ok: false,
    errors: { auditRetentionDays: 'only the relay’s owner (its desktop app or admin link) can change how long the audit is kept' },
  });
  const belowFloor = await call('updateSettings', { auditRetentionDays: 1 });
  assert.deepEqual(belowFloor.ok && belowFloor.value, { ok: false, errors: { auditRetentionDays: 'must be at least 90 days' } });

  const kept = await call('updateSettings', { auditRetentionDays: 90 });
  assert.ok(kept.ok && (kept.value as { ok: boolean }).ok);
  const [row] = await auditRows(1);
  assert.deepEqual({ actor: row!.actor, detail: row!.detail }, { actor: 'owner', detail: "set the audit's retention from 365 to 90 days" });

  await pruneAsOf(harness.relay, Date.now() + 89 * 86_400_000);
  assert.ok((await auditRows()).length > 0, 'within 90 days: kept');
  await pruneAsOf(harness.relay, Date.now() + 91 * 86_400_000);
  assert.deepEqual(await auditRows(), [], 'older than the audit’s retention: gone');
});

test('syncing from Level and the setup’s checks (of values not saved too) leave a row each, without any secret', async () => {
  const unsavedKey = 'il1apiUNSAVEDkey0123456789';
  assert.ok((await call('syncLevel', {}, OPERATOR)).ok);
  assert.ok((await call('testLevelConnection', {}, ADMIN)).ok);
  assert.ok((await call('checkIlertSource', { integrationKey: unsavedKey }, ADMIN)).ok);
  assert.ok((await call('checkReachability', { url: 'https://relay.invalid' }, ADMIN)).ok);
  const rows = (await auditRows(4)).reverse().map((entry) => `${entry.actor}|${entry.action}|${entry.detail}`);
  assert.match(rows[0]!, /^Olga Operator\|sync\|synced \d+ groups and \d+ devices from Level$/);
  assert.equal(rows[1], `Ada Admin|check|tested the connection to the Level API: connected to ${level.url}`);
  assert.match(rows[2]!, /^Ada Admin\|check\|checked an ilert integration key that is not saved with no API key: failed \(add an ilert user API key/);
  assert.match(rows[3]!, /^Ada Admin\|check\|checked that https:\/\/relay\.invalid\S* reaches this relay: it does not \(.+\)$/);
  assert.ok(!rows.some((entry) => entry.includes(unsavedKey) || entry.includes(LEVEL_KEY)));
});
