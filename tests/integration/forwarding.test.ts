import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, INTEGRATION_KEY, FAST_TUNING, OWNER } from '../helpers/relay-harness.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { waitForChange, waitForJob, waitUntil, jobsFor, attemptsFor } from '../helpers/wait.ts';
import { resolveSettings, type SettingsInput } from '../../electron/core/settings.ts';
import { sign } from '../../electron/core/level/signature.ts';
import type { RelayTuning } from '../../electron/core/relay.ts';
import { inspect } from '../helpers/inspect.ts';
import { outageWords } from '../../renderer/src/format.ts';
import { alertsById } from '../helpers/parts.ts';

const ilert = await new FakeIlert().start();
after(() => ilert.stop());

const relayWith = (settings: SettingsInput = {}, tuning: RelayTuning = FAST_TUNING) =>
  startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY, ...settings }, tuning);

const shared = await relayWith();
const { sender } = shared;
after(() => shared.stop());

function resetIlert() {
  ilert.mode = { kind: 'ok' };
  ilert.acceptedKeys = new Set([INTEGRATION_KEY]);
}

const keyOf = (event: ReturnType<typeof alertEvent>) => `level-alert-${event.data.id}`;
const later = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();

test('an active alert reaches ilert as an ALERT and its resolve as a RESOLVE, every body schema-valid', async () => {
  resetIlert();
  const active = alertEvent({ severity: 'critical' });
  assert.equal((await sender.deliver(active)).acknowledged, true);
  await ilert.waitFor(() => ilert.eventsFor(keyOf(active)).length === 1, 5000, 'the ALERT');
  const resolved = alertEvent({ eventType: 'alert_resolved', alertId: active.data.id, occurredAt: later(active.occurred_at, 60) });
  await sender.deliver(resolved);
  await ilert.waitFor(() => ilert.eventsFor(keyOf(active)).length === 2, 5000, 'the RESOLVE');

  const [alertSent, resolveSent] = ilert.eventsFor(keyOf(active));
  assert.equal(alertSent!.eventType, 'ALERT');
  assert.equal(alertSent!.integrationKey, INTEGRATION_KEY);
  assert.equal(alertSent!.summary, '[CRITICAL] Low disk space on FRONTDESK-01');
  assert.equal(alertSent!.body.priority, 'HIGH');
  assert.equal(resolveSent!.eventType, 'RESOLVE');
  assert.deepEqual(ilert.schemaViolations, []);

  const [alertJob] = jobsFor(shared.relay, keyOf(active));
  await waitForChange(shared.relay, () => jobsFor(shared.relay, keyOf(active)).every((job) => job.status === 'delivered'));
  const [attempt] = attemptsFor(shared.relay, alertJob!.id);
  assert.equal(attempt!.status_code, 202);
  assert.equal(typeof attempt!.latency_ms, 'number');
  assert.doesNotMatch(attempt!.request_body as string, new RegExp(INTEGRATION_KEY), 'the key is masked in the log');
});

test('a retried alert_active arriving after its resolve is recorded and not sent', async () => {
  resetIlert();
  const active = alertEvent();
  const resolved = alertEvent({ eventType: 'alert_resolved', alertId: active.data.id, occurredAt: later(active.occurred_at, 30) });
  await sender.deliver(resolved);
  await ilert.waitFor(() => ilert.eventsFor(keyOf(active)).length === 1, 5000, 'the RESOLVE');
  const late = await sender.deliver(active);
  assert.equal(late.acknowledged, true, 'Level still gets its 2xx');
  const jobs = await waitForChange(shared.relay, () => {
    const all = jobsFor(shared.relay, keyOf(active));
    return all.length === 2 && all;
  });
  assert.equal(jobs[1]!.event_type, 'ALERT');
  assert.equal(jobs[1]!.status, 'skipped');
  assert.match(jobs[1]!.reason!, /stale/);
  const state = inspect(shared.relay).row('SELECT state FROM alerts WHERE level_alert_id = ?', active.data.id) as { state: string };
  assert.equal(state.state, 'resolved', 'the stale event does not reopen the alert');
  assert.deepEqual(ilert.eventTypesFor(keyOf(active)), ['RESOLVE']);
});

test('active t1, resolved t2, resolved t4, then a late retry of active t3: ilert gets ALERT, RESOLVE and nothing more; the alert stays resolved', async () => {
  resetIlert();
  const t1 = new Date().toISOString();
  const active = alertEvent({ occurredAt: t1 });
  const alertId = active.data.id;
  const key = keyOf(active);
  await sender.deliver(active);
  await ilert.waitFor(() => ilert.eventsFor(key).length === 1, 5000, 'the ALERT');
  await sender.deliver(alertEvent({ eventType: 'alert_resolved', alertId, occurredAt: later(t1, 60) }));
  await ilert.waitFor(() => ilert.eventsFor(key).length === 2, 5000, 'the RESOLVE');
  await sender.deliver(alertEvent({ eventType: 'alert_resolved', alertId, occurredAt: later(t1, 180) }));
  await sender.deliver(alertEvent({ alertId, occurredAt: later(t1, 120) })); // Level's retry, delivered last
  const jobs = await waitForChange(shared.relay, () => {
    const all = jobsFor(shared.relay, key);
    return all.length === 4 && all.every((job) => job.status === 'delivered' || job.status === 'skipped') && all;
  });
  assert.deepEqual(
    jobs.map((job) => [job.event_type, job.status]),
    [
      ['ALERT', 'delivered'],
      ['RESOLVE', 'delivered'],
      ['RESOLVE', 'skipped'],
      ['ALERT', 'skipped'],
    ],
  );
  assert.match(jobs[3]!.reason!, /stale — the alert was resolved at .*T.*Z/);
  assert.deepEqual(ilert.eventTypesFor(key), ['ALERT', 'RESOLVE']);
  assert.equal(ilert.alertByKey(key)?.status, 'RESOLVED', 'Level’s latest word (t4) is resolved');
  assert.equal(alertsById(shared.relay, [alertId])[0]!.state, 'resolved');
});

test('an event dated far in the future counts as received, flagged so: a resolve dated 2099 does not silence the alert’s next activation', async () => {
  resetIlert();
  const active = alertEvent({ occurredAt: later(new Date().toISOString(), -60) });
  const key = keyOf(active);
  await sender.deliver(active);
  await ilert.waitFor(() => ilert.eventsFor(key).length === 1, 5000, 'the ALERT');
  const farAhead = alertEvent({ eventType: 'alert_resolved', alertId: active.data.id, occurredAt: '2099-01-01T00:00:00.000Z' });
  await sender.deliver(farAhead);
  await ilert.waitFor(() => ilert.eventsFor(key).length === 2, 5000, 'the RESOLVE');
  await sender.deliver(alertEvent({ alertId: active.data.id, occurredAt: later(new Date().toISOString(), 1) })); // it fires again
  await ilert.waitFor(() => ilert.eventsFor(key).length === 3, 5000, 'the ALERT of the new activation');
  assert.deepEqual(ilert.eventTypesFor(key), ['ALERT', 'RESOLVE', 'ALERT']);
  assert.notEqual(ilert.alertByKey(key)?.status, 'RESOLVED');

  const row = (await shared.api.listDeliveries({ filter: {}, offset: 0, limit: 20 }, OWNER)).rows.find((delivery) => delivery.eventId === farAhead.event_id)!;
  const detail = await shared.api.getDelivery({ id: row.id }, OWNER);
  assert.equal(detail.claimedOccurredAt, '2099-01-01T00:00:00.000Z', 'the time it claimed is kept and flagged');
  assert.ok(Math.abs(Date.parse(detail.occurredAt!) - detail.receivedAt) < 1000, `counted as received: ${detail.occurredAt}`);
  assert.match(detail.reason!, /occurred_at 2099-01-01T00:00:00.000Z is .* minutes after the relay received the event; counted as received/);
  const ordinary = await shared.api.getDelivery({ id: (await shared.api.listDeliveries({ filter: {}, offset: 0, limit: 1 }, OWNER)).rows[0]!.id }, OWNER);
  assert.equal(ordinary.claimedOccurredAt, undefined, 'a time within minutes of its receipt is the event’s own');
});

test('an activation dated far in the future counts as received: the alert can still be closed from Level', async () => {
  resetIlert();
  const active = alertEvent({ occurredAt: '2099-01-01T00:00:00Z' });
  const key = keyOf(active);
  await sender.deliver(active);
  await ilert.waitFor(() => ilert.eventsFor(key).length === 1, 5000, 'the ALERT');
  await sender.deliver(alertEvent({ eventType: 'alert_resolved', alertId: active.data.id, occurredAt: later(new Date().toISOString(), 1) }));
  await ilert.waitFor(() => ilert.eventsFor(key).length === 2, 5000, 'the RESOLVE');
  assert.equal(ilert.alertByKey(key)?.status, 'RESOLVED');
});

test('during an ilert outage events are retried with backoff and delivered on recovery', async () => {
  resetIlert();
  ilert.mode = { kind: 'status', status: 503 };
  const active = alertEvent();
  await sender.deliver(active);
  await waitForChange(shared.relay, () => jobsFor(shared.relay, keyOf(active))[0]!.attempts >= 3, 5000, 'three failed attempts');
  const retrying = jobsFor(shared.relay, keyOf(active))[0]!;
  assert.equal(retrying.status, 'queued');
  assert.equal(retrying.last_status_code, 503);
  assert.match(retrying.last_error!, /ilert answered 503: Injected failure/);
  ilert.mode = { kind: 'ok' };
  await ilert.waitFor(() => ilert.eventsFor(keyOf(active)).length === 1, 5000, 'the ALERT after recovery');
  const delivered = await waitForJob(shared.relay, keyOf(active), 'delivered');
  const attempts = attemptsFor(shared.relay, delivered.id);
  assert.ok(attempts.length >= 4);
  assert.deepEqual(new Set(attempts.slice(0, -1).map((attempt) => attempt.status_code)), new Set([503]));
  assert.equal(attempts.at(-1)!.status_code, 202);
  const gaps = attempts.slice(1).map((attempt, index) => (attempt.started_at as number) - (attempts[index]!.started_at as number));
  assert.ok(
    gaps.every((gap) => gap >= 10),
    `backoff between attempts: ${gaps.join(', ')} ms`,
  );
});

test('an ALERT and its RESOLVE both still waiting are skipped: nobody is paged for a problem that is over', async () => {
  resetIlert();
  ilert.mode = { kind: 'status', status: 502 };
  const active = alertEvent();
  await sender.deliver(active);
  await waitForChange(shared.relay, () => jobsFor(shared.relay, keyOf(active))[0]!.attempts >= 1, 5000, 'a failed attempt');
  await sender.deliver(alertEvent({ eventType: 'alert_resolved', alertId: active.data.id, occurredAt: later(active.occurred_at, 5) }));
  // If a retry was on the wire when the resolve arrived, both are skipped once it has failed too.
  const jobs = await waitForChange(
    shared.relay,
    () => {
      const all = jobsFor(shared.relay, keyOf(active));
      return all.every((job) => job.status === 'skipped') && all;
    },
    5000,
    'both jobs skipped',
  );
  assert.deepEqual(
    jobs.map((job) => [job.event_type, job.status, job.reason]),
    [
      ['ALERT', 'skipped', 'skipped: resolved before delivery'],
      ['RESOLVE', 'skipped', 'skipped: resolved before delivery'],
    ],
  );
  ilert.mode = { kind: 'ok' };
  const marker = alertEvent();
  await sender.deliver(marker);
  await ilert.waitFor(() => ilert.eventsFor(keyOf(marker)).length === 1, 5000, 'a later alert');
  assert.deepEqual(ilert.eventsFor(keyOf(active)), []);
});

test('an ALERT whose outcome is unknown (ilert hung) is still resolved, never skipped', async (t) => {
  resetIlert();
  const harness = await relayWith({}, { ...FAST_TUNING, requestTimeoutMs: 150 });
  t.after(async () => {
    resetIlert();
    await harness.stop();
  });
  ilert.mode = { kind: 'hang' };
  const active = alertEvent();
  await harness.sender.deliver(active);
  await waitForChange(harness.relay, () => jobsFor(harness.relay, keyOf(active))[0]!.attempts >= 1, 5000, 'a timed-out attempt');
  const job = jobsFor(harness.relay, keyOf(active))[0]!;
  assert.equal(job.maybe_delivered, 1);
  assert.match(job.last_error!, /no answer from ilert within/);
  await harness.sender.deliver(alertEvent({ eventType: 'alert_resolved', alertId: active.data.id, occurredAt: later(active.occurred_at, 5) }));
  ilert.mode = { kind: 'ok' };
  await ilert.waitFor(() => ilert.eventsFor(keyOf(active)).some((event) => event.eventType === 'RESOLVE'), 5000, 'the RESOLVE');
  assert.deepEqual(ilert.eventTypesFor(keyOf(active)).slice(-2), ['ALERT', 'RESOLVE'], 'in order');
});

test('dropped connections are retried until delivered', async () => {
  resetIlert();
  ilert.mode = { kind: 'drop' };
  const active = alertEvent();
  await sender.deliver(active);
  await waitForChange(shared.relay, () => jobsFor(shared.relay, keyOf(active))[0]!.attempts >= 2, 5000, 'dropped attempts');
  assert.match(jobsFor(shared.relay, keyOf(active))[0]!.last_error!, /network error/);
  ilert.mode = { kind: 'ok' };
  await ilert.waitFor(() => ilert.eventsFor(keyOf(active)).length === 1, 5000, 'the ALERT');
});

test('retries end after the give-up time with a failed job', async (t) => {
  resetIlert();
  const harness = await relayWith({}, { ...FAST_TUNING, backoff: { baseMs: 20, capMs: 50, giveUpAfterMs: 300 } });
  t.after(async () => {
    resetIlert();
    await harness.stop();
  });
  ilert.mode = { kind: 'status', status: 500 };
  const active = alertEvent();
  await harness.sender.deliver(active);
  const job = await waitForJob(harness.relay, keyOf(active), 'failed');
  assert.match(job.reason!, /^gave up after 0 s of retries: ilert answered 500/);
});

test('a wrong integration key fails at once with ilert’s message; fixing it and "retry all failed" delivers', async () => {
  resetIlert();
  ilert.acceptedKeys = new Set(['il1apiTHE-RIGHT-ONE']);
  const active = alertEvent();
  await sender.deliver(active);
  const failed = await waitForJob(shared.relay, keyOf(active), 'failed');
  assert.equal(failed.attempts, 1, 'no retry for a configuration error');
  assert.equal(failed.last_status_code, 404);
  assert.equal(failed.reason, 'ilert answered 404: No alert source found for the given integration key (NOT_FOUND)');

  shared.relay.applySettings(resolveSettings({ ...shared.relay.settings, ilertIntegrationKey: 'il1apiTHE-RIGHT-ONE' }, {}));
  assert.ok((await shared.api.retryAllFailed({}, OWNER)).count >= 1);
  await ilert.waitFor(() => ilert.eventsFor(keyOf(active)).length === 1, 5000, 'the ALERT after the fix');
  const attempts = await waitForChange(shared.relay, () => {
    const all = attemptsFor(shared.relay, failed.id);
    return all.length === 2 && all;
  });
  assert.equal(attempts.at(-1)!.manual, 1, 'the re-run is recorded as manual');
  shared.relay.applySettings(resolveSettings({ ...shared.relay.settings, ilertIntegrationKey: INTEGRATION_KEY }, {}));
});

test('401 and 403 from ilert are configuration errors too', async () => {
  for (const status of [400, 401, 403]) {
    resetIlert();
    ilert.mode = { kind: 'status', status, body: JSON.stringify({ status, message: 'Key error', code: 'KEY_ERROR' }) };
    const active = alertEvent();
    await sender.deliver(active);
    const failed = await waitForJob(shared.relay, keyOf(active), 'failed');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.reason, `ilert answered ${status}: Key error (KEY_ERROR)`);
  }
  resetIlert();
});

test('re-running a delivered job sends it again, recorded as a manual attempt', async () => {
  resetIlert();
  const active = alertEvent();
  await sender.deliver(active);
  await ilert.waitFor(() => ilert.eventsFor(keyOf(active)).length === 1);
  const job = await waitForJob(shared.relay, keyOf(active), 'delivered');
  await shared.api.rerunJob({ id: job.id }, OWNER);
  await ilert.waitFor(() => ilert.eventsFor(keyOf(active)).length === 2, 5000, 'the re-run');
  await waitForChange(shared.relay, () => attemptsFor(shared.relay, job.id).length === 2);
  assert.deepEqual(
    attemptsFor(shared.relay, job.id).map((attempt) => attempt.manual),
    [0, 1],
  );
  assert.throws(() => shared.api.rerunJob({ id: 999_999 }, OWNER), /no job 999999/);
});

test('re-running an inbound delivery goes through the pipeline again: duplicates still protected; a request that failed authentication kept no body to re-run', async () => {
  resetIlert();
  const active = alertEvent();
  const raw = JSON.stringify(active);
  const response = await sender.postRaw(raw, { 'x-level-signature': sign('the-secret-level-really-uses-123456', raw) });
  assert.equal(response.status, 401);
  const rejected = inspect(shared.relay).row('SELECT id FROM deliveries ORDER BY id DESC LIMIT 1') as { id: number };
  await assert.rejects(async () => shared.api.rerunDelivery({ id: rejected.id }, OWNER), /failed authentication, so only its first bytes were kept/);

  assert.equal((await sender.postRaw(raw)).status, 202);
  const accepted = inspect(shared.relay).row('SELECT id FROM deliveries ORDER BY id DESC LIMIT 1') as { id: number };
  await ilert.waitFor(() => ilert.eventsFor(keyOf(active)).length === 1, 5000, 'the ALERT');
  const again = await shared.api.rerunDelivery({ id: accepted.id }, OWNER);
  assert.equal(again.statusCode, 200, 'the signature verifies again and the event_id is known');
  const rerunRow = inspect(shared.relay).row('SELECT source, rerun_of, outcome FROM deliveries ORDER BY id DESC LIMIT 1');
  assert.deepEqual({ ...rerunRow }, { source: 'rerun', rerun_of: accepted.id, outcome: 'duplicate' });
  assert.equal(jobsFor(shared.relay, keyOf(active)).length, 1, 'no second job');
});

test('the rate limit holds under a burst: never more than the limit per window, no 429, nothing lost', async (t) => {
  resetIlert();
  const windowMs = 400;
  const limited = new FakeIlert({ perKeyLimit: 5, windowMs });
  await limited.start();
  const harness = await startRelay({ ilertApiUrl: limited.url, ilertIntegrationKey: INTEGRATION_KEY, ilertEventsPerMinute: 5 }, { ...FAST_TUNING, rateWindowMs: windowMs });
  t.after(async () => {
    await harness.stop();
    await limited.stop();
  });
  const events = Array.from({ length: 18 }, () => alertEvent());
  const outcomes = await Promise.all(events.map((event) => harness.sender.deliver(event)));
  assert.ok(outcomes.every((outcome) => outcome.acknowledged));
  await limited.waitFor(() => limited.events.length === events.length, 10_000, 'all events');
  assert.deepEqual(limited.rateLimited, [], 'the relay never made ilert answer 429');
  const times = limited.events.map((event) => event.at);
  for (const start of times) {
    const inWindow = times.filter((at) => at >= start && at < start + windowMs).length;
    assert.ok(inWindow <= 5, `${inWindow} events within ${windowMs} ms`);
  }
});

test('after a 429 the key pauses, then delivery resumes', async (t) => {
  resetIlert();
  const pauseMs = 500;
  const harness = await relayWith({}, { ...FAST_TUNING, rateLimitPauseMs: () => pauseMs });
  t.after(async () => {
    ilert.mode = { kind: 'ok' };
    await harness.stop();
  });
  ilert.mode = { kind: 'status', status: 429, body: JSON.stringify({ status: 429, message: 'Too many requests' }) };
  const first = alertEvent();
  await harness.sender.deliver(first);
  await waitForChange(harness.relay, () => jobsFor(harness.relay, keyOf(first))[0]!.last_status_code === 429, 5000, 'a 429');
  const answeredAt = Date.now();
  ilert.mode = { kind: 'ok' };
  // Another alert for the same key, while it pauses: it waits too.
  const second = alertEvent();
  await harness.sender.deliver(second);
  await ilert.waitFor(() => ilert.eventsFor(keyOf(first)).length === 1 && ilert.eventsFor(keyOf(second)).length === 1, 5000, 'delivery after the pause');
  for (const event of [first, second]) {
    const waited = ilert.eventsFor(keyOf(event))[0]!.at - answeredAt;
    // Measured from when the 429 was seen here, a little after ilert sent it: allow for that.
    assert.ok(waited >= pauseMs - 100, `sent ${waited} ms after the 429; the key should have paused ${pauseMs} ms`);
  }
});

test('in a backlog, critical alerts are sent before warnings and information', async (t) => {
  resetIlert();
  // One request on the wire at a time: with several, the answers may land in any order among themselves.
  const harness = await relayWith({ ilertIntegrationKey: '' }, { ...FAST_TUNING, maxInFlight: 1 });
  t.after(() => harness.stop());
  const info = Array.from({ length: 3 }, () => alertEvent({ severity: 'information' }));
  const warning = Array.from({ length: 3 }, () => alertEvent({ severity: 'warning' }));
  const critical = Array.from({ length: 3 }, () => alertEvent({ severity: 'critical' }));
  for (const event of [...info, ...warning, ...critical]) await harness.sender.deliver(event);
  const queued = harness.relay.status().queueDepth;
  assert.equal(queued, 9, 'without an integration key the work waits');
  harness.relay.applySettings(resolveSettings({ ...harness.relay.settings, ilertIntegrationKey: INTEGRATION_KEY }, {}));
  const keys = new Set([...info, ...warning, ...critical].map(keyOf));
  await ilert.waitFor(() => ilert.events.filter((event) => keys.has(event.alertKey!)).length === 9, 5000, 'the backlog');
  const order = ilert.events.filter((event) => keys.has(event.alertKey!)).map((event) => event.summary.split(']')[0]);
  assert.deepEqual(order, ['[CRITICAL', '[CRITICAL', '[CRITICAL', '[WARNING', '[WARNING', '[WARNING', '[INFORMATION', '[INFORMATION', '[INFORMATION']);
});

test('a 900 kB Level alert reaches ilert as an event under 64 KiB, marked as cut, and the delivery log keeps the whole body', async () => {
  resetIlert();
  const event = alertEvent();
  // An emoji straddles every cut point a byte or unit count could choose.
  const payload = '🔥 top processes: '.repeat(50_000).slice(0, 800_001);
  const raw = JSON.stringify({ ...event, data: { ...event.data, payload, description: 'é'.repeat(30_000) } });
  assert.ok(Buffer.byteLength(raw) > 900_000);
  assert.equal((await sender.postRaw(raw)).status, 202);
  await ilert.waitFor(() => ilert.eventsFor(keyOf(event)).length === 1, 5000, 'the capped ALERT');

  const [sent] = ilert.eventsFor(keyOf(event));
  const wireBytes = Buffer.byteLength(JSON.stringify(sent!.body));
  assert.ok(wireBytes <= 64 * 1024, `ilert got ${wireBytes} bytes`);
  assert.deepEqual(ilert.schemaViolations, []);
  assert.match(JSON.stringify(sent!.body.customDetails), /truncated by the relay/);
  assert.doesNotMatch(JSON.stringify(sent!.body), /\\ud83d(?!\\ude)/i, 'no lone surrogate');
  assert.equal(sent!.summary, '[CRITICAL] Low disk space on FRONTDESK-01');

  const delivery = inspect(shared.relay).row('SELECT b.body FROM deliveries d JOIN delivery_bodies b ON b.delivery_id = d.id WHERE d.event_id = ?', event.event_id) as {
    body: Uint8Array;
  };
  assert.equal(Buffer.from(delivery.body).toString(), raw, 'the full Level body stays in the delivery log');
});

test('an Accept pressed in the app is in the delivery log with its attempts, also while ilert is down', async (t) => {
  resetIlert();
  const harness = await relayWith();
  t.after(async () => {
    resetIlert();
    await harness.stop();
  });
  const active = alertEvent({ severity: 'critical', name: 'Disk full', hostname: 'ACME-FS01' });
  await harness.sender.deliver(active);
  await waitForJob(harness.relay, keyOf(active), 'delivered');
  ilert.mode = { kind: 'status', status: 503 };
  const lastFromLevel = harness.relay.status().lastDeliveryAt;
  const { jobId } = await harness.api.acceptAlert({ levelAlertId: active.data.id }, OWNER);
  assert.equal(harness.relay.status().lastDeliveryAt, lastFromLevel, 'an Accept is no delivery from Level');
  await waitForChange(harness.relay, () => jobsFor(harness.relay, keyOf(active)).find((job) => job.id === jobId)!.attempts >= 2, 5000, 'two attempts of the ACCEPT');

  // Between two attempts (20–200 ms apart here) it is 'retrying'; during one, 'sending'.
  const accept = await waitUntil(
    async () => (await harness.api.listDeliveries({ filter: {}, offset: 0, limit: 10 }, OWNER)).rows.find((row) => row.job?.id === jobId && row.status === 'retrying'),
    5000,
    'the ACCEPT listed as retrying',
  );
  assert.equal(accept.source, 'app');
  assert.equal(accept.alertName, 'Disk full');
  assert.equal(accept.job!.eventType, 'ACCEPT');
  await waitUntil(
    async () => (await harness.api.listDeliveries({ filter: { statuses: ['retrying'] }, offset: 0, limit: 10 }, OWNER)).total === 1,
    5000,
    'the ACCEPT found by the status filter',
  );
  const detail = await harness.api.getDelivery({ id: accept.id }, OWNER);
  assert.match(detail.reason!, /Accept pressed by/);
  assert.ok(detail.jobs[0]!.attemptLog.length >= 2);
  assert.equal(detail.jobs[0]!.attemptLog[0]!.statusCode, 503);
  await assert.rejects(async () => harness.api.rerunDelivery({ id: accept.id }, OWNER), /Accept pressed in the app; retry its ilert event instead/);

  ilert.mode = { kind: 'ok' };
  await waitForJob(harness.relay, keyOf(active), 'delivered');
  await waitForChange(harness.relay, () => jobsFor(harness.relay, keyOf(active)).every((job) => job.status === 'delivered'), 5000, 'the ACCEPT delivered');
  assert.equal((await harness.api.getDelivery({ id: accept.id }, OWNER)).status, 'delivered');
});

test('once ilert takes an event again, the backlog sleeping out its backoff goes at once, critical first', async (t) => {
  resetIlert();
  // Retries 10–20 s apart: without the pull forward, nothing below is sent again within the test's waits.
  const harness = await relayWith({}, { ...FAST_TUNING, backoff: { baseMs: 20_000, capMs: 20_000, giveUpAfterMs: 60_000 } });
  t.after(async () => {
    resetIlert();
    await harness.stop();
  });
  ilert.mode = { kind: 'status', status: 503 };
  const waiting = [alertEvent({ severity: 'warning' }), alertEvent({ severity: 'emergency' }), alertEvent({ severity: 'information' })];
  for (const event of waiting) await harness.sender.deliver(event);
  await waitForChange(harness.relay, () => waiting.every((event) => jobsFor(harness.relay, keyOf(event))[0]?.attempts === 1), 5000, 'one failed attempt each');
  // One more is over before ilert takes it: its ALERT and RESOLVE are skipped as a pair.
  const over = alertEvent();
  await harness.sender.deliver(over);
  await waitForChange(harness.relay, () => jobsFor(harness.relay, keyOf(over)).find((job) => job.attempts === 1), 5000, 'its failed attempt');
  await harness.sender.deliver(alertEvent({ eventType: 'alert_resolved', alertId: over.data.id, occurredAt: later(over.occurred_at, 60) }));
  await waitForJob(harness.relay, keyOf(over), 'skipped');
  assert.deepEqual({ ...harness.relay.status().outage, since: 0 }, { since: 0, waiting: 3, delivered: 0, failed: 0, skipped: 1 }, 'the outage under way, with what it delayed');

  ilert.mode = { kind: 'ok' };
  const before = ilert.events.length;
  const fresh = alertEvent();
  await harness.sender.deliver(fresh);
  await ilert.waitFor(() => waiting.every((event) => ilert.eventsFor(keyOf(event)).length === 1), 5000, 'the backlog, pulled forward');
  assert.deepEqual(
    ilert.events.slice(before).map((event) => event.alertKey),
    [keyOf(fresh), ...[waiting[1]!, waiting[0]!, waiting[2]!].map(keyOf)],
    'the new event first (it found ilert back), then the backlog most severe first',
  );

  // Deliveries can be narrowed to those delayed by the outage: all delivered now, unlike the new one.
  await waitForChange(harness.relay, () => harness.relay.status().queueDepth === 0, 5000, 'all delivered');
  const delayed = await harness.api.listDeliveries({ filter: { hadFailedAttempts: true }, offset: 0, limit: 10 }, OWNER);
  assert.deepEqual(delayed.rows.map((row) => row.levelAlertId).sort(), [...waiting, over].map((event) => event.data.id).sort());
  assert.deepEqual(new Set(delayed.rows.map((row) => row.status)), new Set(['delivered', 'skipped']));
  const outage = harness.relay.status().outage!;
  assert.ok(outage.endedAt !== undefined && outage.endedAt >= outage.since, 'over once nothing it delayed waits');
  assert.deepEqual({ waiting: outage.waiting, delivered: outage.delivered, failed: outage.failed, skipped: outage.skipped }, { waiting: 0, delivered: 3, failed: 0, skipped: 1 });
  assert.equal(outageWords(outage), '3 events delayed, all delivered; 1 pair skipped (resolved before ilert took it)');
});

test('“Send now” sends a job waiting for its next retry at once, keeps its attempts, and is audited', async (t) => {
  resetIlert();
  const harness = await relayWith({}, { ...FAST_TUNING, backoff: { baseMs: 20_000, capMs: 20_000, giveUpAfterMs: 60_000 } });
  t.after(async () => {
    resetIlert();
    await harness.stop();
  });
  ilert.mode = { kind: 'status', status: 503 };
  const active = alertEvent();
  await harness.sender.deliver(active);
  const job = await waitForChange(harness.relay, () => jobsFor(harness.relay, keyOf(active)).find((row) => row.attempts === 1), 5000, 'the first failed attempt');
  ilert.mode = { kind: 'ok' };

  assert.deepEqual(await harness.api.sendJobNow({ id: job.id }, OWNER), { queued: true });
  const delivered = await waitForJob(harness.relay, keyOf(active), 'delivered');
  assert.equal(delivered.attempts, 2, 'the attempts so far are kept');
  assert.deepEqual(
    attemptsFor(harness.relay, job.id).map((attempt) => [attempt.status_code, attempt.manual]),
    [
      [503, 0],
      [202, 1],
    ],
  );
  const audit = await harness.api.listAudit({ limit: 5 }, OWNER);
  assert.match(audit[0]!.detail, new RegExp(`sent ilert job ${job.id} now instead of at its next retry`));
  await assert.rejects(async () => harness.api.sendJobNow({ id: job.id }, OWNER), /is not waiting to be sent/);
});
