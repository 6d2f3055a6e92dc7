import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { callMethod } from '../../electron/core/api/handlers.ts';
import { SettingsFile } from '../../electron/core/settings-file.ts';
import { SettingsService } from '../../electron/core/settings-service.ts';
import type { MethodName, SettingMetadata } from '../../shared/contract.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { startRelay, SECRET, INTEGRATION_KEY, OWNER, answered, checkedAnswers } from '../helpers/relay-harness.ts';
import { waitForChange, waitForEvent } from '../helpers/wait.ts';
import { FakeLevelApi } from '../fakes/fake-level-api.ts';
import { sign } from '../../electron/core/level/signature.ts';

const ilert = await new FakeIlert().start();
const harness = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY });
const settingsFile = new SettingsFile(harness.dataDir);
settingsFile.update({ levelWebhookSecret: SECRET, ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: ilert.url, port: 0 });
const service = new SettingsService(settingsFile, { RELAY_ADMIN_PORT: '9999' });
service.onChange((changed) => harness.relay.applySettings(changed));
const handlers = checkedAnswers(harness.relay.handlers(service));
after(async () => {
  await harness.stop();
  await ilert.stop();
});

async function call(method: MethodName, input: unknown = {}) {
  const result = await callMethod(handlers, method, input);
  if (!result.ok) throw new Error(`${method}: ${result.error.message}`);
  return result.value as never;
}

const disk = alertEvent({ severity: 'critical', name: 'Low disk space', hostname: 'FRONTDESK-01' });
const cpu = alertEvent({ severity: 'warning', name: 'CPU usage >75.0% for 10 minutes', hostname: 'ACME-DC01' });
await harness.sender.deliver(disk);
await harness.sender.deliver(cpu);
const badRaw = JSON.stringify(alertEvent());
await harness.sender.postRaw(badRaw, { 'x-level-signature': sign('other', badRaw) });
await ilert.waitFor(() => ilert.events.length === 2);
await waitForChange(harness.relay, () => harness.relay.status().queueDepth === 0);

test('the delivery log lists newest first, with the ilert job under each alert delivery', async () => {
  const page = await call('listDeliveries', {});
  const { rows, total } = page as { rows: { status: string; alertName?: string; job?: { status: string; lastStatusCode?: number; url?: string } }[]; total: number };
  assert.equal(total, 3);
  assert.deepEqual(
    rows.map((row) => row.status),
    ['rejected', 'delivered', 'delivered'],
  );
  assert.equal(rows[1]!.alertName, cpu.data.name);
  assert.equal(rows[1]!.job!.lastStatusCode, 202);
  assert.equal(rows[1]!.job!.url, `${ilert.url}/api/events`);
});

test('filters by status, severity, event type and text search over alert name and host', async () => {
  const count = async (filter: object) => ((await call('listDeliveries', { filter })) as { total: number }).total;
  assert.equal(await count({ statuses: ['rejected'] }), 1);
  assert.equal(await count({ statuses: ['delivered'] }), 2);
  assert.equal(await count({ severities: ['critical'] }), 1);
  assert.equal(await count({ eventTypes: ['alert_active'] }), 2, 'the rejected one has no event type');
  assert.equal(await count({ search: 'acme-dc' }), 1);
  assert.equal(await count({ search: 'disk' }), 1);
  assert.equal(await count({ search: '100%_' }), 0, 'LIKE wildcards are literal');
  assert.equal(await count({ since: Date.now() + 60_000 }), 0);
});

test('new deliveries do not shift a page: the anchor holds it, and "newer" says how many arrived', async () => {
  const first = (await call('listDeliveries', { limit: 2 })) as { anchorId: number; rows: { id: number }[] };
  await harness.sender.deliver(alertEvent());
  const again = (await call('listDeliveries', { limit: 2, anchorId: first.anchorId })) as { rows: { id: number }[]; newer: number };
  assert.deepEqual(
    again.rows.map((row) => row.id),
    first.rows.map((row) => row.id),
  );
  assert.equal(again.newer, 1);
});

test('the detail has redacted headers, the raw body, the signature verdict and every attempt', async () => {
  const { rows } = (await call('listDeliveries', { filter: { search: 'FRONTDESK' } })) as { rows: { id: number; levelAlertId?: string }[] };
  const row = rows.find((candidate) => candidate.levelAlertId === disk.data.id)!;
  const detail = (await call('getDelivery', { id: row.id })) as {
    signature: string;
    body: string;
    headers: Record<string, string>;
    jobs: { attemptLog: { statusCode: number; requestBody: string }[] }[];
  };
  assert.equal(detail.signature, 'valid');
  assert.equal(detail.body, JSON.stringify(disk));
  assert.equal(detail.headers['content-type'], 'application/json');
  assert.equal(detail.jobs[0]!.attemptLog[0]!.statusCode, 202);
  assert.doesNotMatch(detail.jobs[0]!.attemptLog[0]!.requestBody, new RegExp(INTEGRATION_KEY));
  const missing = await callMethod(handlers, 'getDelivery', { id: 987654 });
  assert.deepEqual(missing.ok ? null : [missing.status, missing.error.code], [404, 'not_found']);
});

test('the alert board pages active alerts with their forwarding state, counts per severity, and those resolved today', async () => {
  await harness.sender.deliver(
    alertEvent({
      eventType: 'alert_resolved',
      alertId: cpu.data.id,
      name: cpu.data.name,
      severity: 'warning',
      occurredAt: new Date(Date.parse(cpu.occurred_at) + 1000).toISOString(),
    }),
  );
  await ilert.waitFor(() => ilert.events.some((event) => event.eventType === 'RESOLVE'));
  type Page = { total: number; rows: { kind: string; alert?: { name: string; forwarding: { status: string } } }[]; counts: Record<string, number> };
  const active = (await call('listAlerts', { groupBy: 'none' })) as Page;
  assert.ok(active.rows.some((entry) => entry.alert?.name === 'Low disk space' && entry.alert.forwarding.status === 'delivered'));
  const resolved = (await call('listAlerts', { state: 'resolved', groupBy: 'none' })) as Page;
  assert.ok(resolved.rows.some((entry) => entry.alert?.name === cpu.data.name));
  assert.equal(active.counts.critical, 2);
  assert.equal(active.counts.warning, 0);
});

test('settings reach a UI masked, and environment-fixed ones are locked', async () => {
  const view = (await call('getSettings')) as { secrets: Record<string, { set: boolean; hint?: string }>; lockedByEnvironment: string[] };
  assert.equal(view.secrets.levelWebhookSecret!.set, true);
  assert.notEqual(view.secrets.levelWebhookSecret!.hint, SECRET);
  assert.doesNotMatch(JSON.stringify(view), new RegExp(`${SECRET}|${INTEGRATION_KEY}`));
  assert.deepEqual(view.lockedByEnvironment, ['adminPort']);
});

test('the settings metadata a Settings view renders from: every setting once, its variable, secret and restart flags', async () => {
  const metadata = (await call('getSettingsMetadata')) as SettingMetadata[];
  const view = (await call('getSettings')) as { values: Record<string, unknown>; secrets: Record<string, unknown> };
  const byKey = new Map(metadata.map((entry) => [entry.key, entry]));
  assert.equal(byKey.size, metadata.length, 'each setting once');
  // Every setting the view shows has a label; the secrets are exactly the view's masked ones.
  for (const key of [...Object.keys(view.values), ...Object.keys(view.secrets), 'ilertTargets']) assert.ok(byKey.get(key)?.label, `a label for ${key}`);
  assert.deepEqual(
    metadata
      .filter((entry) => entry.secret)
      .map((entry) => entry.key)
      .sort(),
    Object.keys(view.secrets).sort(),
  );
  assert.equal(byKey.get('adminPort')!.env, 'RELAY_ADMIN_PORT');
  assert.deepEqual(
    metadata
      .filter((entry) => entry.needsRestart)
      .map((entry) => entry.key)
      .sort(),
    ['adminHost', 'adminPort', 'host', 'port'],
  );
  assert.deepEqual(
    metadata
      .filter((entry) => entry.desktopOnly)
      .map((entry) => entry.key)
      .sort(),
    ['checkForUpdates', 'notifyMinSeverity', 'notifyResolves', 'startAtLogin'],
  );
  // A refusal names the variable the metadata gives.
  const refused = (await call('updateSettings', { adminPort: 1 })) as { ok: boolean; errors: Record<string, string> };
  assert.match(refused.errors.adminPort!, new RegExp(byKey.get('adminPort')!.env!));
});

test('a settings update is validated as a whole: bad values are refused per field and nothing is written', async () => {
  const refused = (await call('updateSettings', { ilertEventsPerMinute: 0, ilertApiUrl: 'nope', adminPort: 1 })) as { ok: boolean; errors: Record<string, string> };
  assert.equal(refused.ok, false);
  assert.match(refused.errors.adminPort!, /RELAY_ADMIN_PORT/);
  const invalid = (await call('updateSettings', { ilertEventsPerMinute: 0, ilertApiUrl: 'nope' })) as { ok: boolean; errors: Record<string, string> };
  assert.equal(invalid.ok, false);
  assert.match(invalid.errors.ilertEventsPerMinute!, /at least 1/);
  assert.match(invalid.errors.ilertApiUrl!, /http\(s\) URL/);
  assert.equal(settingsFile.stored().ilertEventsPerMinute, undefined, 'nothing written');

  const saved = (await call('updateSettings', { ilertEventsPerMinute: 30, port: 9123 })) as {
    ok: boolean;
    settings: { values: { ilertEventsPerMinute: number }; restartRequired: string[] };
  };
  assert.equal(saved.ok, true);
  assert.equal(saved.settings.values.ilertEventsPerMinute, 30);
  assert.deepEqual(saved.settings.restartRequired, ['port']);
  assert.equal(harness.relay.settings.ilertEventsPerMinute, 30, 'applied to the running relay');
  const desktop = (await call('updateSettings', { notifyMinSeverity: 'critical', notifyResolves: true })) as { ok: boolean; settings: { values: { notifyMinSeverity: string } } };
  assert.equal(desktop.settings.values.notifyMinSeverity, 'critical');
  const wrong = (await call('updateSettings', { notifyMinSeverity: 'loud' })) as { ok: boolean; errors: Record<string, string> };
  assert.equal(wrong.ok, false);
  assert.ok(wrong.errors.notifyMinSeverity);
});

test('replacing the webhook secret keeps the old one accepted as the previous secret (rotation)', async () => {
  const first = 'first-secret-0123456789abcdef';
  const second = 'second-secret-0123456789abcdef';
  await call('updateSettings', { levelWebhookSecret: first });
  await call('updateSettings', { levelWebhookSecret: second });
  assert.equal(harness.relay.settings.levelWebhookSecret, second);
  assert.equal(harness.relay.settings.levelWebhookSecretPrevious, first, 'deliveries Level signed with the old secret still verify');
  const signedWithOld = alertEvent();
  assert.equal((await new LevelSender({ url: harness.url, secret: first, attempts: 1 }).deliver(signedWithOld)).acknowledged, true);

  await call('updateSettings', { levelWebhookSecret: first, levelWebhookSecretPrevious: '' });
  assert.equal(harness.relay.settings.levelWebhookSecretPrevious, undefined, 'an explicit previous secret (here: none) wins');
});

test('named ilert targets keep their saved key when the UI sends them back without one', async () => {
  await call('updateSettings', { ilertTargets: [{ name: 'Acme', integrationKey: 'il1api-acme-0000000001' }] });
  const view = (await call('updateSettings', { ilertTargets: [{ name: 'Acme' }, { name: 'Beta', integrationKey: 'il1api-beta-0000000002' }] })) as {
    ok: boolean;
    settings: { ilertTargets: { name: string; key: { set: boolean; hint?: string } }[] };
  };
  assert.equal(view.ok, true);
  assert.deepEqual(harness.relay.settings.ilertTargets, [
    { name: 'Acme', integrationKey: 'il1api-acme-0000000001' },
    { name: 'Beta', integrationKey: 'il1api-beta-0000000002' },
  ]);
  assert.equal(JSON.stringify(view.settings).includes('il1api-acme-0000000001'), false, 'keys never reach the UI in full');
  const duplicate = (await call('updateSettings', { ilertTargets: [{ name: 'Acme' }, { name: 'Acme' }] })) as { ok: boolean; errors: Record<string, string> };
  assert.equal(duplicate.ok, false);
  assert.match(Object.values(duplicate.errors).join(' '), /unique/);
});

test('re-running the ALERT of a resolved alert is refused, or sent with its RESOLVE behind it: ilert never holds it open', async () => {
  const raid = alertEvent({ severity: 'critical', name: 'RAID degraded', hostname: 'NAS-01' });
  // Signed with whatever secret the tests above left saved.
  const level = new LevelSender({ url: harness.url, secret: harness.relay.settings.levelWebhookSecret, attempts: 1 });
  await level.deliver(raid);
  await level.deliver(alertEvent({ eventType: 'alert_resolved', alertId: raid.data.id, name: raid.data.name, severity: 'critical', hostname: 'NAS-01' }));
  const alertKey = `level-alert-${raid.data.id}`;
  await ilert.waitFor(() => ilert.alertByKey(alertKey)?.status === 'RESOLVED', 5000, 'resolved in ilert');
  await waitForChange(harness.relay, () => harness.relay.status().queueDepth === 0);
  const { rows } = (await call('listDeliveries', { filter: { search: 'RAID degraded', eventTypes: ['alert_active'] } })) as { rows: { job?: { id: number } }[] };
  const alertJob = rows[0]!.job!.id;
  const sent = ilert.eventsFor(alertKey).length;

  // Through the API itself, not only the dashboard: refused with the reason, and nothing is sent.
  const refused = await callMethod(handlers, 'rerunJob', { id: alertJob });
  assert.equal(refused.ok, false);
  assert.equal(refused.ok === false && refused.status, 409);
  assert.match(refused.ok === false ? refused.error.message : '', /“RAID degraded” is resolved: re-running its ALERT alone would open it again in ilert/);
  assert.equal(harness.relay.status().queueDepth, 0, 'nothing queued');

  const confirmed = (await call('rerunJob', { id: alertJob, thenResolve: true })) as { queued: true; resolveJobId?: number };
  assert.ok(confirmed.resolveJobId! > alertJob);
  await ilert.waitFor(() => ilert.eventsFor(alertKey).length === sent + 2, 5000, 'ALERT and RESOLVE again');
  assert.deepEqual(ilert.eventTypesFor(alertKey).slice(sent), ['ALERT', 'RESOLVE']);
  assert.equal(ilert.alertByKey(alertKey)?.status, 'RESOLVED', 'left resolved in ilert');

  // An active alert's ALERT re-runs as before, without asking.
  const { rows: active } = (await call('listDeliveries', { filter: { search: 'Low disk space' } })) as { rows: { job?: { id: number } }[] };
  assert.deepEqual(await call('rerunJob', { id: active.at(-1)!.job!.id }), { queued: true });
});

test('bulk retry takes the delivery log’s filter, and leaves the ALERTs of resolved alerts alone', async () => {
  const level = new LevelSender({ url: harness.url, secret: harness.relay.settings.levelWebhookSecret, attempts: 1 });
  ilert.mode = { kind: 'status', status: 400, body: JSON.stringify({ status: 400, message: 'Bad request: injected' }) };
  const printer = alertEvent({ severity: 'warning', name: 'Printer offline', hostname: 'PRN-01' });
  const ups = alertEvent({ severity: 'critical', name: 'UPS on battery', hostname: 'UPS-01' });
  const over = alertEvent({ severity: 'critical', name: 'Disk latency high', hostname: 'SQL-01' });
  for (const event of [printer, ups, over]) await level.deliver(event);
  await waitForChange(harness.relay, () => harness.relay.status().failedJobs >= 3, 5000, 'three failed');
  await level.deliver(alertEvent({ eventType: 'alert_resolved', alertId: over.data.id, name: over.data.name, severity: 'critical', hostname: 'SQL-01' }));
  await waitForChange(harness.relay, () => harness.relay.status().queueDepth === 0, 5000, 'settled');
  ilert.mode = { kind: 'ok' };

  const filtered = (await call('retryAllFailed', { filter: { search: 'Printer' } })) as { count: number; skipped: number };
  assert.deepEqual(filtered, { count: 1, skipped: 0 }, 'only what the filter shows');
  await ilert.waitFor(() => ilert.eventsFor(`level-alert-${printer.data.id}`).length === 1, 5000, 'the printer alert');
  assert.equal(ilert.eventsFor(`level-alert-${ups.data.id}`).length, 0, 'outside the filter: not sent');

  const failedNow = harness.relay.status().failedJobs;
  const all = (await call('retryAllFailed', {})) as { count: number; skipped: number };
  assert.deepEqual(all, { count: failedNow - 1, skipped: 1 }, 'every failed job but the resolved alert’s ALERT');
  await ilert.waitFor(() => ilert.eventsFor(`level-alert-${ups.data.id}`).length === 1, 5000, 'the UPS alert');
  assert.equal(ilert.eventsFor(`level-alert-${over.data.id}`).length, 0, 'a resolved alert is not opened in ilert by a bulk retry');
});

test('with a link setting, alert rows carry “Open in Level”; “Open in ilert” only once ilert’s id is known', async () => {
  const refused = (await call('updateSettings', { levelDeviceLink: 'https://app.example.com/devices/' })) as { ok: boolean; errors: Record<string, string> };
  assert.equal(refused.ok, false);
  assert.match(refused.errors.levelDeviceLink!, /must be an https link with \{id\}/);
  await call('updateSettings', { levelDeviceLink: 'https://app.example.com/devices/{id}', ilertAlertLink: 'https://acme.ilert.com/alerts/{id}' });
  try {
    const page = (await call('listAlerts', { groupBy: 'none' })) as { rows: { kind: string; alert: { deviceId?: string; links?: { ilert?: string; level?: string } } }[] };
    const alert = page.rows.find((entry) => entry.kind === 'alert' && entry.alert.deviceId)!.alert;
    assert.deepEqual(
      { ...alert.links },
      { ilert: undefined, level: `https://app.example.com/devices/${encodeURIComponent(alert.deviceId!)}` },
      'no ilert id without an ilert API key',
    );
  } finally {
    await call('updateSettings', { levelDeviceLink: '', ilertAlertLink: '' });
  }
  const page = (await call('listAlerts', { groupBy: 'none' })) as { rows: { alert?: { links?: unknown } }[] };
  assert.ok(
    page.rows.every((entry) => entry.alert?.links === undefined),
    'no links without the settings',
  );
});

// Last: from here on the relay has a Level API key, and so a reconciler that asks Level.
test('saving a Level API key syncs groups at once: Routing does not say “Never synced”', async () => {
  const level = await new FakeLevelApi({ apiKey: 'level-key-saved-in-settings' }).start();
  after(() => level.stop());
  level.addGroup({ name: 'Acme' });
  assert.equal(answered(harness.api.getRouting({}, OWNER)).lastSyncAt, undefined, 'never synced before');
  const saved = (await call('updateSettings', { levelApiUrl: level.url, levelApiKey: 'level-key-saved-in-settings' })) as { ok: boolean };
  assert.equal(saved.ok, true);
  const groups = await waitForEvent(
    harness.relay.events,
    'change',
    () => answered(harness.api.getRouting({}, OWNER)).rows.length > 0 && answered(harness.api.getRouting({}, OWNER)).rows,
    5000,
    'a sync',
  );
  assert.deepEqual(
    groups.map((row) => row.name),
    ['Acme'],
  );
  assert.ok(answered(harness.api.getRouting({}, OWNER)).lastSyncAt, 'Routing says when it synced');
});
