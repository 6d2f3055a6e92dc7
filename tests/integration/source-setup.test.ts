import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { METHOD_ROLES } from '../../shared/contract.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi } from '../fakes/fake-level-api.ts';
import { alertEvent } from '../fakes/level-sender.ts';
import { startRelay, INTEGRATION_KEY, type InProcessRelay, OWNER } from '../helpers/relay-harness.ts';
import { probe } from '../helpers/parts.ts';
import { jobsFor, type JobRow } from '../helpers/wait.ts';
import { contractCalls } from '../helpers/contract-calls.ts';

const { call, must } = contractCalls('Ada', 'admin');

// Setting a source up (issue 23): "Send a test", the preview's last body, Health's findings per
// source, maintenance windows over source alerts, and a target's own templates for Level alerts —
// through the real receiver, a real SQLite file and the fake ilert.
const PASSWORD = 'particle-webhook-password-0123';
const LAB_KEY = 'il1api-lab-team-target-000001';
const HOUR = 3_600_000;

const ilert = await new FakeIlert().start();
ilert.acceptedKeys.add(LAB_KEY);
const running: InProcessRelay[] = [];
after(async () => {
  await Promise.all(running.map((harness) => harness.stop()));
  await ilert.stop();
});

const particle = (slug: string, extra: Record<string, unknown> = {}) => ({
  name: `Sensors ${slug}`,
  slug,
  kind: 'particle',
  auth: { type: 'basic', username: 'particle', password: PASSWORD },
  ...extra,
});

async function relay(settings: Record<string, unknown>): Promise<InProcessRelay> {
  const harness = await startRelay({ ilertApiUrl: ilert.url, ilertIntegrationKey: INTEGRATION_KEY, ...settings });
  running.push(harness);
  return harness;
}

function post(harness: InProcessRelay, slug: string, body: unknown, password = PASSWORD) {
  return fetch(harness.url.replace('/webhooks/level', `/webhooks/source/${slug}`), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`particle:${password}`).toString('base64')}` },
    body: JSON.stringify(body),
  });
}

const reading = (event: string, coreid = 'e00fce68a1b2c3d4e5f6a7b8') => ({
  event,
  data: '-12.5',
  published_at: new Date().toISOString(),
  coreid,
  userid: 'u1',
  fw_version: 3,
  public: false,
});
const findings = async (harness: InProcessRelay) => (await must(harness, 'getStatus', {})).diagnoses.map((diagnosis) => diagnosis.id);

test('Send a test on a Particle source: posted with its Basic auth, each hop reported, the test alert opened and resolved at ilert', async () => {
  const harness = await relay({ sources: [particle('freezers')] });
  const result = await must(harness, 'testSource', { slug: 'freezers' });
  assert.equal(result.outcome, 'passed', result.message);
  assert.deepEqual(
    result.hops.map((hop) => [hop.id, hop.status]),
    [
      ['received', 'ok'],
      ['queued', 'ok'],
      ['ilert', 'ok'],
      ['resolved', 'ok'],
    ],
  );
  assert.match(result.hops[0]!.detail!, /HTTP 202 at the local receiver/);
  assert.equal(result.postedTo, harness.url.replace('/webhooks/level', '/webhooks/source/freezers'));
  const key = 'freezers:particle:relay-test-device:relay-test';
  assert.deepEqual(ilert.eventTypesFor(key), ['ALERT', 'RESOLVE']);
  assert.equal(ilert.alertByKey(key)?.status, 'RESOLVED');
  assert.deepEqual(ilert.schemaViolations, []);
  assert.ok((await must(harness, 'listAudit', {})).some((entry) => /sent a test through the source “Sensors freezers”: passed/.test(entry.detail)));
});

test('Send a test on a generic source needs a sample, and says which hop failed when its templates refuse it', async () => {
  const harness = await relay({
    sources: [
      {
        name: 'UPS',
        slug: 'ups',
        kind: 'json',
        auth: { type: 'header', header: 'X-Auth', secret: 'ups-script-shared-secret-0123' },
        templates: { action: 'ALERT', alertKey: '{{ ups }}' },
      },
    ],
  });
  const none = await must(harness, 'testSource', { slug: 'ups' });
  assert.equal(none.outcome, 'failed');
  assert.deepEqual(
    none.hops.map((hop) => hop.status),
    ['failed', 'skipped', 'skipped', 'skipped'],
  );
  assert.match(none.message, /paste a sample/);

  const keyless = await must(harness, 'testSource', { slug: 'ups', sample: '{"status":"on battery"}' });
  assert.equal(keyless.outcome, 'failed');
  assert.match(keyless.hops[0]!.detail!, /HTTP 422: .*empty key/);

  const sent = await must(harness, 'testSource', { slug: 'ups', sample: '{"ups":"rack-2","status":"on battery"}' });
  assert.equal(sent.outcome, 'passed', sent.message);
  assert.deepEqual(
    sent.hops.map((hop) => hop.status),
    ['ok', 'ok', 'ok', 'skipped'],
  );
  assert.deepEqual(ilert.eventTypesFor('ups:rack-2'), ['ALERT']);
});

test('lastSourceBody: admins only, the last body that passed the source’s authentication, never a refused stranger’s', async () => {
  assert.equal(METHOD_ROLES.lastSourceBody, 'admin');
  assert.equal(METHOD_ROLES.testSource, 'admin');
  const harness = await relay({ sources: [particle('freezers')] });
  assert.deepEqual(await must(harness, 'lastSourceBody', { slug: 'freezers' }), {});
  const first = reading('ALERT-door');
  assert.equal((await post(harness, 'freezers', first)).status, 202);
  assert.equal((await post(harness, 'freezers', { ...reading('ALERT-door'), data: 'stranger' }, 'wrong-password-0123456789')).status, 401);
  const last = await must(harness, 'lastSourceBody', { slug: 'freezers' });
  assert.deepEqual(JSON.parse(last.body!), first);
  assert.equal(typeof last.receivedAt, 'number');
  const operator = await call(harness, 'lastSourceBody', { slug: 'freezers' }, 'operator');
  assert.equal(operator.ok, false);
  assert.equal(operator.ok ? 0 : operator.status, 403);
});

test('Health: a source whose requests fail authentication, until one passes; one that never received anything after an hour', async () => {
  const harness = await relay({
    sources: [particle('freezers', { addedAt: Date.now() - 2 * HOUR }), particle('fresh', { addedAt: Date.now() - 60_000 }), particle('doors', { addedAt: Date.now() - 2 * HOUR })],
  });
  const before = await findings(harness);
  assert.ok(before.includes('source-silent:freezers'), before.join(', '));
  assert.ok(before.includes('source-silent:doors'));
  assert.ok(!before.includes('source-silent:fresh'), 'a source just added gets its hour');

  for (let i = 0; i < 3; i++) assert.equal((await post(harness, 'doors', reading('ALERT'), 'wrong-password-0123456789')).status, 401);
  const status = await must(harness, 'getStatus', {});
  const auth = status.diagnoses.find((diagnosis) => diagnosis.id === 'source-auth:doors');
  assert.ok(auth, status.diagnoses.map((diagnosis) => diagnosis.id).join(', '));
  assert.equal(auth.level, 'error');
  assert.match(auth.detail, /The last 3 requests to \/webhooks\/source\/doors were refused with 401/);
  assert.match(auth.fix ?? '', /username “particle”/);
  assert.ok(!JSON.stringify(status.diagnoses).includes(PASSWORD), 'no secret in Health');
  assert.ok(!status.diagnoses.some((diagnosis) => diagnosis.id === 'source-silent:doors'), 'one finding per source: the failing auth says more');

  assert.equal((await post(harness, 'doors', reading('ALERT'))).status, 202);
  assert.equal((await post(harness, 'freezers', reading('ALERT'))).status, 202);
  const after = await findings(harness);
  assert.ok(!after.some((id) => id.endsWith(':doors') || id.endsWith(':freezers')), after.join(', '));
});

test('the facts behind it are counted by a trigger: Health reads one row per source, however many deliveries there are', async () => {
  const harness = await relay({ sources: [particle('freezers')] });
  for (let i = 0; i < 2; i++) assert.equal((await post(harness, 'freezers', reading('ALERT'), 'wrong-password-0123456789')).status, 401);
  const facts = probe(harness.relay).sourceFacts('freezers');
  assert.deepEqual(facts?.authFailures?.n, 2);
  assert.equal(facts?.lastPassed, undefined);
  assert.equal((await post(harness, 'freezers', reading('ALERT'))).status, 202);
  const passed = probe(harness.relay).sourceFacts('freezers');
  assert.equal(passed?.authFailures, undefined, 'a request that passes clears the count');
  assert.ok(passed?.lastPassed?.deliveryId);
});

test('maintenance windows over everything, or over a source’s target, hold its alerts like Level’s', async () => {
  const harness = await relay({
    ilertTargets: [{ name: 'lab-team', integrationKey: LAB_KEY }],
    sources: [particle('freezers'), particle('lab', { target: 'lab-team' })],
  });
  const iso = (ms: number) => new Date(ms).toISOString();
  const window = (name: string, scope: unknown) => ({ name, reason: 'test', scope, start: iso(Date.now() - 60_000), end: iso(Date.now() + HOUR) });
  const onlyLab = await must(harness, 'createMaintenanceWindow', window('Lab move', { target: 'lab-team' }));
  const job = (key: string) => jobsFor(harness.relay, key)[0] as JobRow & { target: string };

  assert.equal((await post(harness, 'lab', reading('ALERT', 'lab-device-1'))).status, 202);
  assert.equal((await post(harness, 'freezers', reading('ALERT', 'freezer-1'))).status, 202);
  assert.deepEqual([job('lab:particle:lab-device-1').status, job('lab:particle:lab-device-1').target], ['held', 'lab-team']);
  await ilert.waitFor(() => ilert.eventsFor('freezers:particle:freezer-1').length === 1, 5000, 'the alert no window covers');
  await must(harness, 'endMaintenanceWindow', { id: onlyLab.id });

  await must(harness, 'createMaintenanceWindow', window('Everything', { all: true }));
  assert.equal((await post(harness, 'freezers', reading('ALERT', 'freezer-2'))).status, 202);
  assert.deepEqual([job('freezers:particle:freezer-2').status, job('freezers:particle:freezer-2').reason], ['held', 'held: maintenance window “Everything”']);
  assert.deepEqual(ilert.eventsFor('freezers:particle:freezer-2'), []);
});

test('a target’s own Level templates shape its Level alerts at ilert; the default target keeps the relay’s body; a bad template is refused with its position', async () => {
  const LEVEL_KEY = 'level-read-only-key';
  const level = await new FakeLevelApi({ apiKey: LEVEL_KEY }).start();
  try {
    const acme = level.addGroup({ name: 'Acme' });
    const other = level.addGroup({ name: 'Other' });
    const inAcme = level.addDevice({ hostname: 'ACME-FS01', group_id: acme.id });
    const inOther = level.addDevice({ hostname: 'OTHER-PC', group_id: other.id });
    const harness = await relay({
      levelApiUrl: level.url,
      levelApiKey: LEVEL_KEY,
      ilertTargets: [
        {
          name: 'Acme',
          integrationKey: LAB_KEY,
          levelTemplates: { summary: 'Acme {{ severity.upperCase() }}: {{ name }} ({{ device_hostname }})', details: '{{ defaultDetails }}\n\nCall the Acme desk first.' },
        },
      ],
    });
    await harness.api.syncLevel({}, OWNER);
    assert.equal((await call(harness, 'setGroupRoute', { groupId: acme.id, route: { target: 'Acme' } })).ok, true);

    const refused = await must(harness, 'updateSettings', { ilertTargets: [{ name: 'Acme', levelTemplates: { summary: 'Acme {{#name}} open' } }] });
    assert.equal(refused.ok, false);
    assert.match(JSON.stringify(refused.ok ? {} : refused.errors), /ilertTargets\.0\.levelTemplates\.summary.*line 1, column \d+/);
    // What the settings form sends for its target list: names (and keys), never the templates.
    assert.equal((await must(harness, 'updateSettings', { ilertTargets: [{ name: 'Acme' }] })).ok, true);
    const kept = await must(harness, 'getSettings', {});
    assert.equal(kept.ilertTargets[0]!.levelTemplates?.details, '{{ defaultDetails }}\n\nCall the Acme desk first.', 'a target saved without templates keeps them');

    const onDevice = (deviceId: string, name: string) => {
      const event = alertEvent({ name, severity: 'critical' });
      event.data.device_id = deviceId;
      event.data.device_hostname = deviceId === inAcme.id ? 'ACME-FS01' : 'OTHER-PC';
      level.addAlert({ ...event.data, severity: 'critical' });
      return event;
    };
    const acmeAlert = onDevice(inAcme.id, 'Disk low');
    const otherAlert = onDevice(inOther.id, 'CPU high');
    for (const event of [acmeAlert, otherAlert]) await harness.sender.deliver(event);
    const acmeKey = `level-alert-${acmeAlert.data.id}`;
    const otherKey = `level-alert-${otherAlert.data.id}`;
    await ilert.waitFor(() => ilert.eventsFor(acmeKey).length === 1 && ilert.eventsFor(otherKey).length === 1, 5000, 'both alerts');
    const [shaped] = ilert.eventsFor(acmeKey);
    assert.equal(shaped!.integrationKey, LAB_KEY);
    assert.equal(shaped!.summary, 'Acme CRITICAL: Disk low (ACME-FS01)');
    assert.match(String(shaped!.body.details), /- \*\*Device:\*\* ACME-FS01[\s\S]*\n\nCall the Acme desk first\.$/);
    const [plain] = ilert.eventsFor(otherKey);
    assert.equal(plain!.summary, '[CRITICAL] CPU high on OTHER-PC', 'no override: today’s summary');
    assert.doesNotMatch(String(plain!.body.details), /Acme desk/);
    assert.deepEqual(ilert.schemaViolations, []);

    const preview = await must(harness, 'previewLevelTemplates', { templates: { summary: '{{ name }} at {{ device_hostname }}' } });
    assert.deepEqual(preview.ok && preview.summary, 'Disk space low on C: at ACME-FS01');
    const bad = await must(harness, 'previewLevelTemplates', { templates: { details: 'x {{ name' } });
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.errors.details!, /^line 1, column \d+: /);
  } finally {
    await level.stop();
  }
});
