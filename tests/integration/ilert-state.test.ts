/**
 * ilert's side back in the app (a user API key polls GET /api/alerts), the Accept action, the
 * automation endpoint and pass-through to ilert's native Level.io source, against the fake ilert.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { FAST_TUNING, INTEGRATION_KEY, startRelay, OWNER } from '../helpers/relay-harness.ts';
import { jobsFor, waitForChange, waitForJob } from '../helpers/wait.ts';
import { alertKeyFor } from '../../electron/core/ilert/event-mapping.ts';
import { AUTOMATION_PATH, AUTOMATION_SECRET_HEADER, automationTemplate } from '../../electron/core/ingest/automation.ts';
import { inspect } from '../helpers/inspect.ts';
import { diagnosesAt, alertsById, runNow } from '../helpers/parts.ts';

const API_KEY = 'ilert-user-api-key-1';
const AUTOMATION_SECRET = 'automation-secret-0123456789';

const ilert = await new FakeIlert().start();
ilert.apiKeys.add(API_KEY);
ilert.addAlertSource({ integrationKey: INTEGRATION_KEY, name: 'Level alerts', escalationPolicy: { id: 7, name: 'MSP on-call' } });
const harness = await startRelay(
  { ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: ilert.url, ilertApiKey: API_KEY, levelAutomationSecret: AUTOMATION_SECRET },
  { ...FAST_TUNING, ilertPollMs: 60_000 },
);

after(async () => {
  await harness?.stop();
  await ilert?.stop();
});

async function sentAlert(overrides: Parameters<typeof alertEvent>[0] = {}) {
  const event = alertEvent(overrides);
  await harness.sender.deliver(event);
  const key = alertKeyFor(event.data.id);
  await ilert.waitFor(() => ilert.alertByKey(key) !== undefined, 5000, 'the alert in ilert');
  // ilert has it before the relay has read ilert's answer: a poll reads back only alerts the relay knows it delivered.
  await waitForJob(harness.relay, key, 'delivered');
  return { event, key, alertId: event.data.id };
}

const row = (alertId: string) => alertsById(harness.relay, [alertId])[0]!;

test('the alert shows PENDING, then ACCEPTED and who accepted once someone accepts it in ilert', async () => {
  const { key, alertId } = await sentAlert();
  await runNow(harness.relay).ilertPoll();
  assert.equal(row(alertId).ilert?.status, 'PENDING');
  ilert.acceptAlert(key, 'Dana Ops');
  await runNow(harness.relay).ilertPoll();
  assert.equal(row(alertId).ilert?.status, 'ACCEPTED');
  assert.equal(row(alertId).ilert?.acceptedBy, 'Dana Ops');
  assert.equal(row(alertId).ilert?.mismatch, undefined);
  assert.equal(row(alertId).ilertAlertId, ilert.alertByKey(key)!.id, 'ilert’s own id, for “Open in ilert”');
  const requests = ilert.restRequests.filter((request) => request.path.startsWith('/api/alerts'));
  assert.ok(
    requests.every((request) => /states=PENDING&states=ACCEPTED/.test(request.path) && /sources=\d+/.test(request.path)),
    'only open alerts of the configured sources are listed',
  );
});

test('an alert resolved in ilert but still active in Level shows the mismatch', async () => {
  const { key, alertId } = await sentAlert();
  await runNow(harness.relay).ilertPoll();
  ilert.resolveAlert(key);
  await runNow(harness.relay).ilertPoll();
  assert.equal(row(alertId).state, 'active');
  assert.equal(row(alertId).ilert?.status, 'RESOLVED');
  assert.equal(row(alertId).ilert?.mismatch, 'resolved in ilert, but Level still reports it active');
});

test('Accept sends an ilert ACCEPT event for the alertKey, after the ALERT, and refuses resolved alerts', async () => {
  const { key, alertId } = await sentAlert({ name: 'Accept me' });
  harness.api.acceptAlert({ levelAlertId: alertId }, OWNER);
  assert.equal(row(alertId).acceptPending, true);
  await ilert.waitFor(() => ilert.eventsFor(key).some((event) => event.eventType === 'ACCEPT'), 5000, 'the ACCEPT');
  assert.equal(ilert.alertByKey(key)?.status, 'ACCEPTED');
  await waitForChange(harness.relay, () => !row(alertId).acceptPending, 5000, 'accept delivered');
  assert.deepEqual(
    jobsFor(harness.relay, key).map((job) => [job.event_type, job.status]),
    [
      ['ALERT', 'delivered'],
      ['ACCEPT', 'delivered'],
    ],
  );
  assert.deepEqual(ilert.schemaViolations, []);

  await harness.sender.deliver(alertEvent({ alertId, eventType: 'alert_resolved' }));
  await waitForChange(harness.relay, () => row(alertId).state === 'resolved', 5000, 'resolved');
  assert.throws(() => harness.api.acceptAlert({ levelAlertId: alertId }, OWNER), /already resolved/);
});

/** The automation template as Level sends it once it has filled in its variables. */
function filledAutomation(deviceId: string, hostname: string, time: string): string {
  const values: Record<string, string> = { level_device_id: deviceId, level_device_hostname: hostname, level_group_id: 'grp-1', level_group_path: 'Acme/HQ', level_time: time };
  return automationTemplate().replace(/\{\{(\w+)\}\}/g, (placeholder, name: string) => values[name] ?? placeholder);
}

test('a Level automation posts with the shared secret; the template’s variables filled in make an alert', async () => {
  const url = harness.url.replace('/webhooks/level', AUTOMATION_PATH);
  const filled = filledAutomation('dev-77', 'ACME-FS01', new Date().toISOString());
  const post = (body: string, headers: Record<string, string>) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  const missing = await post(filled, {});
  assert.equal(missing.status, 401);
  assert.match((await missing.json()).error, /missing x-relay-automation-secret/);
  const wrong = await post(filled, { [AUTOMATION_SECRET_HEADER]: 'nope' });
  assert.equal(wrong.status, 401);
  assert.match((await wrong.json()).error, /different secret than the one saved here/);
  const typo = await post(automationTemplate().replace('{{level_device_id}}', 'dev-1'), { [AUTOMATION_SECRET_HEADER]: AUTOMATION_SECRET });
  assert.equal(typo.status, 422);
  assert.match((await typo.json()).error, /Level did not replace \{\{level_device_hostname\}\}/);

  const accepted = await post(filled, { [AUTOMATION_SECRET_HEADER]: AUTOMATION_SECRET });
  assert.equal(accepted.status, 202);
  const retried = await post(filled, { [AUTOMATION_SECRET_HEADER]: AUTOMATION_SECRET });
  assert.equal(retried.status, 200, 'the automation’s own retry is a duplicate');
  const key = alertKeyFor('automation:dev-77:disk-space-low');
  await ilert.waitFor(() => ilert.eventsFor(key).length === 1, 5000, 'the automation alert');
  const sent = ilert.eventsFor(key)[0]!;
  assert.equal(sent.summary, '[CRITICAL] Disk space low on ACME-FS01');
  assert.equal((sent.body.labels as Record<string, string>).group, 'Acme / HQ');

  const resolved = await post(filled.replace('"status": "active"', '"status": "resolved"'), { [AUTOMATION_SECRET_HEADER]: AUTOMATION_SECRET });
  assert.equal(resolved.status, 202);
  await ilert.waitFor(() => ilert.eventsFor(key).some((event) => event.eventType === 'RESOLVE'), 5000, 'the resolve');
  const delivery = (await harness.api.listDeliveries({ filter: {}, offset: 0, limit: 1 }, OWNER)).rows[0]!;
  assert.equal(delivery.source, 'automation');
});

test('an automation sending its JSON as text/plain with a zone-less {{level_time}} is accepted, read as UTC and flagged', async () => {
  const url = harness.url.replace('/webhooks/level', AUTOMATION_PATH);
  const body = filledAutomation('dev-88', 'ACME-FS02', '2026-03-13 18:30:00');
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain', [AUTOMATION_SECRET_HEADER]: AUTOMATION_SECRET }, body });
  assert.equal(response.status, 202);
  const event = inspect(harness.relay).row(
    `SELECT e.occurred_at, d.reason FROM events e JOIN deliveries d ON d.id = e.delivery_id WHERE e.event_id = ?`,
    ((await response.json()) as { event_id: string }).event_id,
  ) as { occurred_at: string; reason: string };
  assert.equal(event.occurred_at, '2026-03-13T18:30:00.000Z', 'UTC, not this machine’s local time');
  assert.match(event.reason, /time "2026-03-13 18:30:00" has no time zone; read as UTC/);
  const notJson = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain', [AUTOMATION_SECRET_HEADER]: AUTOMATION_SECRET }, body: 'disk low' });
  assert.equal(notJson.status, 415);
});

test('pass-through sends Level’s original body unchanged to the Level.io source, keeping signature checks and logs', async (t) => {
  const levelio = ilert.addAlertSource({ integrationKey: 'il1lvl0123456789abcd', name: 'Level.io native', integrationType: 'LEVELIO' });
  const check = await harness.api.checkIlertSource({ integrationKey: levelio.integrationKey, apiKey: API_KEY }, OWNER);
  assert.equal(check.ok, true);
  const integrationUrl = check.ok ? check.source.integrationUrl : undefined;
  assert.ok(integrationUrl, 'integrationUrl read from the alert source');
  harness.relay.applySettings({ ...harness.relay.settings, ilertPassThroughUrl: integrationUrl });
  t.after(() => harness.relay.applySettings({ ...harness.relay.settings, ilertPassThroughUrl: undefined }));
  const event = alertEvent({ name: 'Pass me through' });
  const raw = JSON.stringify(event, null, 1); // Level's exact bytes, whitespace and all
  assert.equal((await harness.sender.postRaw(raw)).status, 202);
  await ilert.waitFor(() => ilert.passThrough.length === 1, 5000, 'the pass-through');
  assert.equal(ilert.passThrough[0]!.body, raw, 'byte for byte');
  assert.equal(ilert.passThrough[0]!.integrationKey, levelio.integrationKey);
  const forged = await harness.sender.postRaw(raw.replace('Pass me', 'Forged'), { 'x-level-signature': 'sha256=00' });
  assert.equal(forged.status, 401, 'the signature is still checked');
  const job = jobsFor(harness.relay, alertKeyFor(event.data.id))[0]!;
  const logged = inspect(harness.relay).row('SELECT url FROM attempts WHERE outbox_id = ?', job.id) as { url: string };
  assert.doesNotMatch(logged.url, /il1lvl0123456789abcd/, 'the key in the URL is masked in the log');
});

test('a revoked ilert user key or an answer that does not parse shows on Health and in the status; the next good poll clears it', async () => {
  const { alertId } = await sentAlert();
  await runNow(harness.relay).ilertPoll();
  ilert.apiKeys.delete(API_KEY);
  try {
    await assert.rejects(runNow(harness.relay).ilertPoll(), /403/);
    const status = harness.relay.status();
    assert.match(status.ilertState?.lastError ?? '', /lacks permission \(403 KEY_ERROR\)/);
    assert.doesNotMatch(status.ilertState?.lastError ?? '', new RegExp(API_KEY), 'the key is never shown');
    const health = status.diagnoses.find((diagnosis) => diagnosis.id === 'ilert-api');
    assert.ok(health, 'on the Health page');
    assert.match(health.title, /ilert’s alert states cannot be read/);
    assert.equal(row(alertId).ilert?.status, 'PENDING', 'the state last read is kept');
  } finally {
    ilert.apiKeys.add(API_KEY);
  }
  await runNow(harness.relay).ilertPoll();
  assert.equal(harness.relay.status().ilertState?.lastError, undefined);
  assert.equal(
    diagnosesAt(harness.relay).some((diagnosis) => diagnosis.id === 'ilert-api'),
    false,
  );

  // An answer that does not parse (a proxy's login page, say) shows the same way.
  ilert.restMode = { kind: 'status', status: 200, body: '<html>Sign in</html>' };
  try {
    await assert.rejects(runNow(harness.relay).ilertPoll(), /not JSON/);
  } finally {
    ilert.restMode = { kind: 'ok' };
  }
  assert.match(harness.relay.status().ilertState?.lastError ?? '', /is not JSON/);
  assert.ok(diagnosesAt(harness.relay).some((diagnosis) => diagnosis.id === 'ilert-api'));
  await runNow(harness.relay).ilertPoll();
});

test('one malformed alert in ilert’s answer is skipped and counted; the poll still updates the others', async () => {
  const { key, alertId } = await sentAlert();
  await runNow(harness.relay).ilertPoll();
  ilert.acceptAlert(key, 'Dana Ops');
  const ours = ilert.alertJson(ilert.alertByKey(key)!);
  ilert.restMode = { kind: 'status', status: 200, body: JSON.stringify([{ id: 999_001, status: 'SNOOZED', alertKey: 'x' }, ours, { summary: 'no id', status: 'PENDING' }]) };
  try {
    await runNow(harness.relay).ilertPoll();
  } finally {
    ilert.restMode = { kind: 'ok' };
  }
  assert.equal(row(alertId).ilert?.status, 'ACCEPTED');
  assert.equal(row(alertId).ilert?.acceptedBy, 'Dana Ops');
  const status = harness.relay.status();
  assert.equal(status.ilertState?.lastError, undefined);
  assert.equal(status.ilertState?.skippedAlerts, 2);
  assert.ok(status.diagnoses.some((diagnosis) => diagnosis.id === 'ilert-api-unreadable-alerts'));
  await runNow(harness.relay).ilertPoll();
  assert.equal(harness.relay.status().ilertState?.skippedAlerts, 0);
});

test('with over 100 open alerts, one skipped by a shift between pages is never shown as resolved', async () => {
  const limit = ilert.perKeyLimit;
  ilert.perKeyLimit = 100_000;
  const filler = (index: number) =>
    fetch(`${ilert.url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ integrationKey: INTEGRATION_KEY, eventType: 'ALERT', summary: `Other alert ${index}`, alertKey: `filler-${index}` }),
    });
  try {
    const { alertId } = await sentAlert();
    // Newest first, exactly 100 alerts come before ours: it is the first alert of page two.
    for (let index = 0; index < 100; index++) assert.equal((await filler(index)).status, 202);
    await runNow(harness.relay).ilertPoll();
    assert.equal(row(alertId).ilert?.status, 'PENDING');
    assert.equal(harness.relay.status().ilertState?.incompleteListing, false);

    // Someone resolves an alert on page one while the relay reads it: ours moves to page one's end.
    ilert.afterRestAnswer = (request) => {
      if (!/until=.*start-index=0$/.test(request.path)) return;
      ilert.afterRestAnswer = undefined;
      ilert.resolveAlert('filler-99');
    };
    await runNow(harness.relay).ilertPoll();
    assert.equal(ilert.afterRestAnswer, undefined, 'the shift happened during the poll');
    assert.equal(row(alertId).ilert?.status, 'PENDING', 'not concluded RESOLVED from an incomplete listing');
    assert.equal(harness.relay.status().ilertState?.incompleteListing, true);

    await runNow(harness.relay).ilertPoll();
    assert.equal(harness.relay.status().ilertState?.incompleteListing, false);
    ilert.resolveAlert(alertKeyFor(alertId));
    await runNow(harness.relay).ilertPoll();
    assert.equal(row(alertId).ilert?.status, 'RESOLVED', 'a complete listing still finds resolves');
  } finally {
    ilert.perKeyLimit = limit;
    for (let index = 0; index < 100; index++) if (ilert.alertByKey(`filler-${index}`)?.status !== 'RESOLVED') ilert.resolveAlert(`filler-${index}`);
  }
});
