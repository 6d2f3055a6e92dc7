import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startRelay, INTEGRATION_KEY, OWNER } from '../helpers/relay-harness.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { METHOD_ROLES } from '../../shared/contract.ts';
import { inspect } from '../helpers/inspect.ts';
import { waitForChange, jobsFor } from '../helpers/wait.ts';

const PARTICLE_PASSWORD = 'particle-webhook-password-0123';
const HMAC_SECRET = 'backup-appliance-signing-secret-0123';
const UPS_SECRET = 'ups-script-shared-secret-0123456';

const ilert = await new FakeIlert().start();
after(() => ilert.stop());
const harness = await startRelay({
  ilertApiUrl: ilert.url,
  ilertIntegrationKey: INTEGRATION_KEY,
  sources: [
    { name: 'Freezer sensors', slug: 'freezers', kind: 'particle', auth: { type: 'basic', username: 'particle', password: PARTICLE_PASSWORD } },
    {
      name: 'Backup appliance',
      slug: 'backup',
      kind: 'json',
      auth: { type: 'hmac', header: 'X-Signature', secret: HMAC_SECRET, prefix: 'sha256=' },
      templates: {
        action: '{{ state.equalsTakeOrDrop("failed", "ALERT") }}{{ state.equalsTakeOrDrop("ok", "RESOLVE") }}',
        alertKey: '{{ job.id }}',
        summary: 'Backup {{ job.name }} {{ state }}',
        details: '{{#errors}}\n- {{ . }}\n{{/errors}}',
        priority: 'HIGH',
      },
    },
    { name: 'Lab sensors', slug: 'lab', kind: 'particle', target: 'lab-team', auth: { type: 'basic', username: 'particle', password: PARTICLE_PASSWORD } },
    { name: 'UPS script', slug: 'ups', kind: 'json', auth: { type: 'header', header: 'X-Auth', secret: UPS_SECRET }, templates: { action: 'ALERT', alertKey: '{{ ups }}' } },
  ],
});
after(() => harness.stop());
const base = harness.url.replace('/webhooks/level', '');

/** Particle's default webhook body (https://docs.particle.io/reference/cloud-apis/webhooks/), as its cloud posts it. */
function particleBody(event: string, publishedAt: string) {
  return { event, data: '-12.5', published_at: publishedAt, coreid: 'e00fce68a1b2c3d4e5f6a7b8', userid: 'u1', fw_version: 12, public: false };
}

function postParticle(body: unknown, password = PARTICLE_PASSWORD) {
  return fetch(`${base}/webhooks/source/freezers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`particle:${password}`).toString('base64')}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function postSigned(body: unknown) {
  const raw = JSON.stringify(body);
  return fetch(`${base}/webhooks/source/backup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': `sha256=${createHmac('sha256', HMAC_SECRET).update(raw).digest('hex')}` },
    body: raw,
  });
}

function lastDelivery() {
  return inspect(harness.relay).row('SELECT d.*, b.body FROM deliveries d LEFT JOIN delivery_bodies b ON b.delivery_id = d.id ORDER BY d.id DESC LIMIT 1') as Record<
    string,
    unknown
  >;
}

const PARTICLE_KEY = 'freezers:particle:e00fce68a1b2c3d4e5f6a7b8';

test('Particle with Basic auth: ALERT opens one alert at ilert, RESOLVE closes it, both schema-valid; a resend is a duplicate', async () => {
  const alert = particleBody('ALERT', '2026-12-07T05:12:00.000Z');
  const accepted = await postParticle(alert);
  assert.equal(accepted.status, 202, await accepted.clone().text());
  await ilert.waitFor(() => ilert.eventsFor(PARTICLE_KEY).length === 1, 5000, 'the ALERT');
  const [sent] = ilert.eventsFor(PARTICLE_KEY);
  assert.equal(sent!.eventType, 'ALERT');
  assert.equal(sent!.integrationKey, INTEGRATION_KEY);
  assert.equal(sent!.summary, 'ALERT from Particle device e00fce68a1b2c3d4e5f6a7b8: -12.5');
  assert.match(String(sent!.body.details), /- \*\*Data:\*\* -12\.5/);
  assert.equal(ilert.alertByKey(PARTICLE_KEY)?.status, 'PENDING');

  assert.equal((await postParticle(alert)).status, 200, 'the same Particle publish again is a duplicate');

  assert.equal((await postParticle(particleBody('RESOLVE', '2026-12-07T05:20:00.000Z'))).status, 202);
  await ilert.waitFor(() => ilert.eventsFor(PARTICLE_KEY).length === 2, 5000, 'the RESOLVE');
  assert.deepEqual(ilert.eventTypesFor(PARTICLE_KEY), ['ALERT', 'RESOLVE']);
  assert.equal(ilert.alertByKey(PARTICLE_KEY)?.status, 'RESOLVED');
  assert.deepEqual(ilert.schemaViolations, []);

  const stored = await waitForChange(
    harness.relay,
    () => inspect(harness.relay).row('SELECT state FROM alerts WHERE level_alert_id = ?', `source:${PARTICLE_KEY}`) as { state: string } | undefined,
  );
  assert.equal(stored.state, 'resolved');
});

test('a wrong password is 401 with a bounded trace, and nothing reaches ilert', async () => {
  const before = ilert.events.length;
  const big = JSON.stringify({ ...particleBody('ALERT-door', '2026-12-07T05:30:00.000Z'), data: 'x'.repeat(100_000) });
  const response = await postParticle(big, 'wrong-password-0123456789');
  assert.equal(response.status, 401);
  assert.deepEqual(await response.json(), { error: 'wrong username or password for this source' });
  const delivery = lastDelivery();
  assert.equal(delivery.status_code, 401);
  assert.equal(delivery.outcome, 'rejected');
  assert.equal(delivery.path, '/webhooks/source/freezers');
  assert.equal(delivery.reason, 'wrong username or password for this source');
  assert.ok((delivery.body as Uint8Array).length <= 256, `kept ${(delivery.body as Uint8Array).length} bytes of a stranger's body`);
  assert.ok(!JSON.stringify(delivery.headers).includes(Buffer.from(`particle:wrong-password-0123456789`).toString('base64')), 'the Authorization header is redacted');

  const missing = await fetch(`${base}/webhooks/source/freezers`, { method: 'POST', body: '{}' });
  assert.equal(missing.status, 401);
  assert.equal((await fetch(`${base}/webhooks/source/nobody`, { method: 'POST', body: '{}' })).status, 404);
  assert.equal((await fetch(`${base}/webhooks/source/freezers`)).status, 405);
  assert.equal(ilert.events.length, before);
});

test('a generic JSON source signed with HMAC: its templates open and close the alert', async () => {
  const failed = { state: 'failed', job: { id: 17, name: 'nightly' }, errors: ['disk full'] };
  assert.equal((await postSigned(failed)).status, 202);
  await ilert.waitFor(() => ilert.eventsFor('backup:17').length === 1, 5000, 'the ALERT');
  const [sent] = ilert.eventsFor('backup:17');
  assert.equal(sent!.summary, 'Backup nightly failed');
  assert.equal(sent!.body.details, '- disk full');
  assert.equal(sent!.body.priority, 'HIGH');
  assert.equal((await postSigned({ ...failed, state: 'ok' })).status, 202);
  await ilert.waitFor(() => ilert.eventsFor('backup:17').length === 2, 5000, 'the RESOLVE');
  assert.equal(ilert.alertByKey('backup:17')?.status, 'RESOLVED');
  assert.deepEqual(ilert.schemaViolations, []);
});

test('rules decide on a source’s alerts too: a drop holds it with the rule named, a priority overrides the template’s', async (t) => {
  await harness.api.saveRules(
    {
      rules: [
        { name: 'Noisy backup', conditions: { nameContains: 'scratch' }, actions: { drop: true } },
        { name: 'Backups can wait', conditions: { nameRegex: '^Backup ' }, actions: { priority: 'LOW' } },
      ],
    },
    OWNER,
  );
  t.after(() => harness.api.saveRules({ rules: [] }, OWNER));
  assert.equal((await postSigned({ state: 'failed', job: { id: 31, name: 'scratch' } })).status, 202);
  assert.equal((await postSigned({ state: 'failed', job: { id: 32, name: 'payroll' } })).status, 202);
  await ilert.waitFor(() => ilert.eventsFor('backup:32').length === 1, 5000, 'the payroll ALERT');
  assert.equal(ilert.eventsFor('backup:32')[0]!.body.priority, 'LOW', 'the rule’s priority, not the template’s HIGH');
  assert.deepEqual(ilert.eventsFor('backup:31'), [], 'dropped by the rule');
  const held = inspect(harness.relay).row('SELECT status, reason FROM outbox WHERE alert_key = ?', 'backup:31') as { status: string; reason: string };
  assert.equal(held.status, 'held');
  assert.match(held.reason, /dropped by rule “Noisy backup”/);
  assert.deepEqual(ilert.schemaViolations, []);
});

test('an empty alert key is refused with a recorded reason; an event the source ignores is kept with why', async () => {
  const before = ilert.events.length;
  const keyless = await postSigned({ state: 'failed', job: { name: 'no id' } });
  assert.equal(keyless.status, 422);
  assert.match(((await keyless.json()) as { error: string }).error, /alert key template gave an empty key/);
  assert.equal(lastDelivery().outcome, 'rejected');
  assert.match(String(lastDelivery().reason), /empty key/);

  const running = await postSigned({ state: 'running', job: { id: 18 } });
  assert.equal(running.status, 202);
  assert.equal(lastDelivery().outcome, 'accepted');
  assert.equal(lastDelivery().reason, 'ignored: the action template gave nothing');
  assert.equal(ilert.events.length, before);
});

test('a header secret under any name stays out of the delivery log, accepted or refused', async () => {
  const post = (secret: string) =>
    fetch(`${base}/webhooks/source/ups`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-auth': secret }, body: JSON.stringify({ ups: 'rack-2' }) });
  assert.equal((await post(UPS_SECRET)).status, 202);
  const accepted = lastDelivery();
  assert.equal(accepted.outcome, 'accepted');
  assert.equal(accepted.signature, 'shared-secret');
  assert.equal(JSON.parse(String(accepted.headers))['x-auth'], '[redacted]');
  assert.equal((await post(`${UPS_SECRET}-almost`)).status, 401);
  assert.equal(JSON.parse(String(lastDelivery().headers))['x-auth'], '[redacted]');
  const everything = JSON.stringify(inspect(harness.relay).rows('SELECT headers, reason FROM deliveries'));
  assert.ok(!everything.includes(UPS_SECRET), 'the secret is nowhere in the delivery log');
  await ilert.waitFor(() => ilert.eventsFor('ups:rack-2').length === 1, 5000, 'the ALERT');
});

test('a source whose target does not exist: the event is kept, its ilert job skipped with why, and Health says so', async () => {
  const before = ilert.events.length;
  const response = await fetch(`${base}/webhooks/source/lab`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`particle:${PARTICLE_PASSWORD}`).toString('base64')}` },
    body: JSON.stringify(particleBody('ALERT', '2026-12-07T05:40:00.000Z')),
  });
  assert.equal(response.status, 202);
  const [job] = jobsFor(harness.relay, 'lab:particle:e00fce68a1b2c3d4e5f6a7b8');
  assert.equal(job?.status, 'skipped');
  assert.match(String(job?.reason), /skipped: there is no ilert target named “lab-team”/);
  assert.equal(ilert.events.length, before);
  const settings = await harness.api.getSettings({}, OWNER);
  assert.ok(
    settings.problems.some((problem) => problem.includes('source “Lab sensors”: there is no ilert target named “lab-team”')),
    settings.problems.join('\n'),
  );
});

test('Re-run of a source delivery goes through its source, not Level’s path: an accepted one is a duplicate', async () => {
  const body = { state: 'failed', job: { id: 'rerun-1', name: 'hourly' } };
  assert.equal((await postSigned(body)).status, 202);
  const acceptedId = Number(lastDelivery().id);
  await ilert.waitFor(() => ilert.eventsFor('backup:rerun-1').length === 1, 5000, 'the ALERT');
  const rerun = await harness.api.rerunDelivery({ id: acceptedId }, OWNER);
  assert.equal(rerun.statusCode, 200, JSON.stringify(rerun));
  assert.equal(rerun.body.duplicate, true);
  assert.equal(ilert.eventsFor('backup:rerun-1').length, 1);
});

test('the contract edits one source at a time: template errors with their position, secrets kept and masked, audited', async () => {
  assert.deepEqual(
    ['listSources', 'createSource', 'updateSource', 'deleteSource', 'previewSourceTemplates'].map((method) => METHOD_ROLES[method as keyof typeof METHOD_ROLES]),
    ['viewer', 'admin', 'admin', 'admin', 'admin'],
  );
  const password = 'greenhouse-password-0123456';
  const input = { kind: 'particle' as const, name: 'Greenhouse', slug: 'greenhouse', auth: { type: 'basic' as const, username: 'particle', password } };

  const broken = await harness.api.createSource({ ...input, templates: { summary: 'Greenhouse {{ data' } }, OWNER);
  assert.deepEqual(broken, { ok: false, errors: { 'templates.summary': 'line 1, column 12: "{{" is never closed with "}}"' } });
  const clash = await harness.api.createSource({ ...input, slug: 'freezers' }, OWNER);
  assert.equal(clash.ok, false);
  assert.match(Object.values((clash as { errors: Record<string, string> }).errors).join(), /already the path of source 1/);

  const created = await harness.api.createSource(input, OWNER);
  assert.equal(created.ok, true, JSON.stringify(created));
  const listed = (await harness.api.listSources({}, OWNER)).find((source) => source.slug === 'greenhouse')!;
  assert.equal(listed.path, '/webhooks/source/greenhouse');
  assert.deepEqual(listed.auth.secret, { set: true, hint: 'gree••••56' });
  assert.ok(!JSON.stringify(await harness.api.listSources({}, OWNER)).includes(password), 'no saved secret leaves the relay');

  // Saved without the password (the form never holds it): the saved one still authenticates.
  const renamed = await harness.api.updateSource({ slug: 'greenhouse', source: { ...input, name: 'Greenhouse 2', auth: { type: 'basic', username: 'particle' } } }, OWNER);
  assert.equal(renamed.ok, true, JSON.stringify(renamed));
  const post = () =>
    fetch(`${base}/webhooks/source/greenhouse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`particle:${password}`).toString('base64')}` },
      body: JSON.stringify({ ...particleBody('ALERT', '2026-12-07T06:00:00.000Z'), coreid: 'greenhouse-1' }),
    });
  assert.equal((await post()).status, 202);
  await ilert.waitFor(() => ilert.eventsFor('greenhouse:particle:greenhouse-1').length === 1, 5000, 'the ALERT');

  assert.deepEqual(await harness.api.deleteSource({ slug: 'greenhouse' }, OWNER), { deleted: true });
  assert.equal((await post()).status, 404);
  const audit = (await harness.api.listAudit({ limit: 20 }, OWNER)).map((entry) => entry.detail).join('\n');
  assert.match(audit, /added the particle source “Greenhouse” at \/webhooks\/source\/greenhouse/);
  assert.match(audit, /changed the source “Greenhouse 2”/);
  assert.match(audit, /removed the source “Greenhouse 2”/);
  assert.ok(!audit.includes(password));
});

test('previewSourceTemplates renders a pasted sample as the relay would, and shows template errors with their position', async () => {
  const source = {
    kind: 'json' as const,
    name: 'Preview',
    slug: 'preview',
    auth: { type: 'header' as const, header: 'X-Secret' },
    templates: { action: 'ALERT', alertKey: '{{ id }}', summary: '{{ host.upperCase() }} is down' },
  };
  const preview = await harness.api.previewSourceTemplates({ source, sample: JSON.stringify({ id: 'k1', host: 'nas' }) }, OWNER);
  assert.deepEqual(preview, { ok: true, outcome: 'alert', alertKey: 'preview:k1', summary: 'NAS is down', details: undefined, priority: undefined, notes: [] });
  const empty = await harness.api.previewSourceTemplates({ source, sample: '{}' }, OWNER);
  assert.deepEqual(empty, { ok: true, outcome: 'refused', reason: 'the alert key template gave an empty key, so a RESOLVE could not find its ALERT', notes: [] });
  const broken = await harness.api.previewSourceTemplates({ source: { ...source, templates: { ...source.templates, details: 'a\n{{/x}}' } }, sample: '{}' }, OWNER);
  assert.deepEqual(broken, { ok: false, errors: { 'templates.details': 'line 2, column 1: {{/x}} closes a section that was never opened' } });
  assert.deepEqual(await harness.api.previewSourceTemplates({ source, sample: 'nope' }, OWNER), {
    ok: false,
    errors: { sample: 'not JSON: ' + errorOf(() => JSON.parse('nope')) },
  });
});

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}
