import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { SUMMARY_RENDER_LIMIT, mapSourceEvent, sourceSchema, sourcesSchema, type SourceConfig, type SourceEvent, type SourceInput } from '../../electron/core/sources/source.ts';
import { verifySourceAuth } from '../../electron/core/sources/auth.ts';
import { configurationProblems, resolveSettings, sourceTargetProblem } from '../../electron/core/settings.ts';

const password = 'particle-webhook-password-0123';

function particleSource(overrides: Partial<SourceInput> = {}): SourceConfig {
  return sourceSchema.parse({ name: 'Freezer sensors', slug: 'freezers', kind: 'particle', auth: { type: 'basic', username: 'particle', password }, ...overrides });
}

/** Particle's default webhook body: https://docs.particle.io/reference/cloud-apis/webhooks/ */
function particleBody(event: string, extra: Record<string, unknown> = {}) {
  return { event, data: '-12.5', published_at: '2026-12-07T05:12:00.000Z', coreid: 'e00fce68a1b2c3d4e5f6a7b8', userid: 'u1', fw_version: 12, public: false, ...extra };
}

function received(body: unknown, receivedAt = '2026-12-07T05:12:01.000Z') {
  return { body, rawBody: Buffer.from(JSON.stringify(body)), receivedAt };
}

function mapped(source: SourceConfig, body: unknown, receivedAt?: string): SourceEvent {
  const result = mapSourceEvent(source, received(body, receivedAt));
  if (!result.ok) assert.fail(`refused: ${result.reason}`);
  if (result.event.action === 'ignore') assert.fail(`ignored: ${result.event.reason}`);
  return result.event;
}

test('Particle with no templates: ALERT and RESOLVE by event-name prefix, one alert key for both', () => {
  const source = particleSource();
  const alert = mapped(source, particleBody('ALERT-temperature'));
  const resolve = mapped(source, particleBody('RESOLVE-temperature', { published_at: '2026-12-07T05:20:00.000Z' }));
  assert.equal(alert.action, 'alert');
  assert.equal(resolve.action, 'resolve');
  assert.equal(alert.alertKey, 'freezers:particle:e00fce68a1b2c3d4e5f6a7b8:temperature');
  assert.equal(resolve.alertKey, alert.alertKey);
  assert.equal(alert.summary, 'ALERT-temperature from Particle device e00fce68a1b2c3d4e5f6a7b8: -12.5');
  assert.equal(
    alert.details,
    '- **Event:** ALERT-temperature\n- **Data:** -12.5\n- **Device:** `e00fce68a1b2c3d4e5f6a7b8`\n- **Published:** 2026-12-07T05:12:00.000Z\n- **Firmware version:** 12',
  );
  assert.equal(alert.occurredAt, '2026-12-07T05:12:00.000Z');
  assert.equal(resolve.occurredAt, '2026-12-07T05:20:00.000Z');
  assert.equal(alert.priority, undefined);
  assert.deepEqual(alert.notes, []);

  // The seed's own set-up: one webhook for the event named exactly ALERT, one for RESOLVE.
  const plain = mapped(source, particleBody('ALERT'));
  assert.equal(plain.alertKey, 'freezers:particle:e00fce68a1b2c3d4e5f6a7b8');
  assert.equal(mapped(source, particleBody('RESOLVE')).alertKey, plain.alertKey);
  // Different devices, different alerts.
  assert.notEqual(mapped(source, particleBody('ALERT', { coreid: 'other' })).alertKey, plain.alertKey);
});

test('Particle: other event names are ignored with a reason; the prefixes are configurable and case-sensitive', () => {
  const source = particleSource();
  for (const event of ['alert-temperature', 'temperature', '']) {
    const result = mapSourceEvent(source, received(particleBody(event)));
    assert.ok(result.ok && result.event.action === 'ignore', event);
    assert.match((result.event as { reason: string }).reason, /starts with neither ALERT nor RESOLVE/);
  }
  const custom = particleSource({ particle: { alertEvent: 'freezer/warm', resolveEvent: 'freezer/cold' } });
  assert.equal(mapped(custom, particleBody('freezer/warm/3')).alertKey, 'freezers:particle:e00fce68a1b2c3d4e5f6a7b8:3');
  assert.equal(mapped(custom, particleBody('freezer/cold/3')).action, 'resolve');
  assert.throws(() => particleSource({ particle: { alertEvent: 'ALERT', resolveEvent: 'ALERTED' } }), /neither event name may start with the other/);
});

test('Particle: refused without a device id or a JSON object; a missing time falls back to arrival, noted', () => {
  const source = particleSource();
  const noDevice = mapSourceEvent(source, received(particleBody('ALERT', { coreid: '' })));
  assert.deepEqual(noDevice, { ok: false, reason: 'the body has no coreid (device id), so there is no alert key' });
  for (const body of [null, 'ALERT', [particleBody('ALERT')]]) {
    const result = mapSourceEvent(source, received(body));
    assert.equal(result.ok, false, JSON.stringify(body));
    assert.match((result as { reason: string }).reason, /not Particle's webhook JSON object/);
  }
  const untimed = mapped(source, particleBody('ALERT', { published_at: 'yesterday' }), '2026-12-07T06:00:00.000Z');
  assert.equal(untimed.occurredAt, '2026-12-07T06:00:00.000Z');
  assert.match(untimed.notes.join(), /no valid published_at/);
});

test('event ids: a resend of the same Particle bytes is the same event; a generic body counts its arrival too', () => {
  const particle = particleSource();
  const body = particleBody('ALERT');
  assert.equal(mapped(particle, body, '2026-12-07T05:00:00Z').eventId, mapped(particle, body, '2026-12-07T05:05:00Z').eventId);
  assert.notEqual(mapped(particle, body).eventId, mapped(particle, { ...body, published_at: '2026-12-07T05:13:00.000Z' }).eventId);
  assert.match(mapped(particle, body).eventId, /^source:freezers:[0-9a-f]{32}$/);

  const generic = sourceSchema.parse({
    name: 'UPS',
    slug: 'ups',
    kind: 'json',
    auth: { type: 'header', header: 'X-Relay-Secret', secret: password },
    templates: { action: 'ALERT', alertKey: 'ups' },
  });
  assert.notEqual(mapped(generic, { a: 1 }, '2026-12-07T05:00:00Z').eventId, mapped(generic, { a: 1 }, '2026-12-07T05:05:00Z').eventId);
  const keyed = sourceSchema.parse({ ...generic, templates: { ...generic.templates, eventId: '{{ id }}' } });
  assert.equal(mapped(keyed, { id: 'evt-7' }).eventId, 'source:ups:evt-7');
});

test('generic JSON: the user’s templates decide everything', () => {
  const source = sourceSchema.parse({
    name: 'Backup appliance',
    slug: 'backup-nas',
    kind: 'json',
    auth: { type: 'hmac', header: 'X-Signature', secret: password, prefix: 'sha256=' },
    templates: {
      action: '{{ state.equalsTakeOrDrop("failed", "ALERT") }}{{ state.equalsTakeOrDrop("ok", "RESOLVE") }}',
      alertKey: 'backup/{{ job.id }}',
      summary: 'Backup {{ job.name }} on {{ host.upperCase() }} {{ state }}',
      details: '{{#errors}}\n- {{ . }}\n{{/errors}}',
      priority: '{{ job.critical.equalsTakeOrDrop("true", "HIGH") }}{{ job.critical.equalsTakeOrDrop("false", "LOW") }}',
    },
  });
  const body = { state: 'failed', host: 'nas1', job: { id: 17, name: 'nightly', critical: true }, errors: ['disk full', 'retry failed'] };
  const alert = mapped(source, body);
  assert.deepEqual(
    { ...alert, eventId: undefined },
    {
      action: 'alert',
      alertKey: 'backup-nas:backup/17',
      summary: 'Backup nightly on NAS1 failed',
      details: '- disk full\n- retry failed',
      priority: 'HIGH',
      occurredAt: '2026-12-07T05:12:01.000Z',
      eventId: undefined,
      notes: [],
    },
  );
  assert.equal(mapped(source, { ...body, state: 'ok' }).action, 'resolve');

  const ignored = mapSourceEvent(source, received({ ...body, state: 'running' }));
  assert.deepEqual(ignored.ok && ignored.event.action === 'ignore' && ignored.event.reason, 'the action template gave nothing');
  const odd = mapped(sourceSchema.parse({ ...source, templates: { ...source.templates, priority: '{{ p }}' } }), { ...body, p: 'urgent' });
  assert.equal(odd.priority, undefined);
  assert.match(odd.notes.join(), /gave "URGENT", not HIGH or LOW/);
});

test('an empty alert key refuses the event with a reason; so does a generic source without key or action', () => {
  const source = sourceSchema.parse({
    name: 'Script',
    slug: 'script',
    kind: 'json',
    auth: { type: 'header', header: 'X-Secret', secret: password },
    templates: { action: 'ALERT', alertKey: '{{ host }}' },
  });
  assert.deepEqual(mapSourceEvent(source, received({ other: 1 })), { ok: false, reason: 'the alert key template gave an empty key, so a RESOLVE could not find its ALERT' });
  assert.deepEqual(mapSourceEvent(source, received({ host: '   ' })), { ok: false, reason: 'the alert key template gave an empty key, so a RESOLVE could not find its ALERT' });
  assert.match((mapSourceEvent(source, received({ host: 'h'.repeat(300) })) as { reason: string }).reason, /longer than 255/);
  // The slug counts: 248 characters plus "script:" is 255, one more is too long.
  assert.equal(mapped(source, { host: 'h'.repeat(248) }).alertKey.length, 255);
  assert.match((mapSourceEvent(source, received({ host: 'h'.repeat(249) })) as { reason: string }).reason, /with the source's slug is longer than 255/);
  const keyless = sourceSchema.parse({ ...source, templates: { action: 'ALERT' } });
  assert.match((mapSourceEvent(keyless, received({})) as { reason: string }).reason, /no alert key template/);
  const actionless = sourceSchema.parse({ ...source, templates: { alertKey: 'k' } });
  assert.match((mapSourceEvent(actionless, received({})) as { reason: string }).reason, /no action template/);
  // Without a summary template a generic event still says where it came from.
  assert.equal(mapped(source, { host: 'a' }).summary, 'Event from Script');
});

test('summary and details are bounded: the summary one line of at most 1024 (the ingest cuts it to ilert’s 255), details at most 20000', () => {
  const source = particleSource({ templates: { summary: '{{ data }}', details: '{{ data }}' } });
  const event = mapped(source, particleBody('ALERT', { data: 'line one\nline two ' + 'x'.repeat(100_000) }));
  assert.equal(event.summary.length, SUMMARY_RENDER_LIMIT);
  assert.ok(event.summary.startsWith('line one line two x'));
  assert.ok(event.details!.length <= 20_000);
});

test('saving a source: templates that do not parse are refused with their position, slugs are URL-safe and unique', () => {
  const result = sourceSchema.safeParse({
    name: 'x',
    slug: 'x',
    kind: 'json',
    auth: { type: 'header', header: 'X-Secret', secret: password },
    templates: { summary: 'ok', details: 'line 1\n{{#open}}' },
  });
  assert.equal(result.success, false);
  const issue = result.error!.issues[0]!;
  assert.deepEqual(issue.path, ['templates', 'details']);
  assert.equal(issue.message, 'line 2, column 1: {{#open}} is never closed with {{/open}}');

  for (const slug of ['Freezers', 'a b', '-a', 'a-', 'a/b', '../x', '', 'x'.repeat(41)]) {
    assert.equal(sourceSchema.safeParse({ name: 'x', slug, kind: 'particle', auth: { type: 'basic', username: 'u', password } }).success, false, slug);
  }
  const twice = sourcesSchema.safeParse([particleSource(), particleSource({ name: 'Other' })]);
  assert.equal(twice.success, false);
  assert.match(twice.error!.issues[0]!.message, /"freezers" is already the path of source 1/);
  assert.deepEqual(twice.error!.issues[0]!.path, [1, 'slug']);
});

test('saving a source: authentication is one of three shapes with strong secrets', () => {
  const base = { name: 'x', slug: 'x', kind: 'json' };
  const refused: unknown[] = [
    { type: 'basic', username: 'u', password: 'short' },
    { type: 'basic', username: 'a:b', password },
    { type: 'header', header: 'Authorization', secret: password },
    { type: 'header', header: 'bad header', secret: password },
    { type: 'hmac', header: 'X-Sig', secret: 'short' },
    { type: 'token', secret: password },
  ];
  for (const auth of refused) assert.equal(sourceSchema.safeParse({ ...base, auth }).success, false, JSON.stringify(auth));
  const hmac = sourceSchema.parse({ ...base, auth: { type: 'hmac', header: 'X-Hub-Signature-256', secret: password } });
  assert.deepEqual(hmac.auth, { type: 'hmac', header: 'x-hub-signature-256', secret: password, prefix: '' });
});

test('HTTP Basic: as Particle sends it; wrong user, wrong password, other schemes refused', () => {
  const auth = particleSource().auth;
  const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
  const body = Buffer.from('{}');
  assert.deepEqual(verifySourceAuth(auth, basic('particle', password), body), { ok: true });
  assert.deepEqual(verifySourceAuth(auth, { authorization: `basic   ${Buffer.from(`particle:${password}`).toString('base64')}` }, body), { ok: true });
  for (const headers of [basic('particle', 'wrong-password-0123456'), basic('Particle', password), basic('particle', `${password}x`), basic('particle', '')]) {
    assert.deepEqual(verifySourceAuth(auth, headers, body), { ok: false, reason: 'wrong username or password for this source' });
  }
  assert.match((verifySourceAuth(auth, {}, body) as { reason: string }).reason, /missing Authorization header/);
  assert.match((verifySourceAuth(auth, { authorization: `Bearer ${password}` }, body) as { reason: string }).reason, /not HTTP Basic/);
  assert.match((verifySourceAuth(auth, { authorization: 'Basic bm9jb2xvbg==' }, body) as { reason: string }).reason, /not HTTP Basic/);
  // Passwords may contain colons; only the first one separates the username.
  const colonAuth = sourceSchema.parse({ ...particleSource(), auth: { type: 'basic', username: 'u', password: 'with:colon:0123456789' } }).auth;
  assert.deepEqual(verifySourceAuth(colonAuth, basic('u', 'with:colon:0123456789'), body), { ok: true });
});

test('header secret and HMAC over the raw body; reasons never echo the secret', () => {
  const body = Buffer.from('{"state":"failed"}');
  const header = sourceSchema.parse({ name: 'x', slug: 'x', kind: 'json', auth: { type: 'header', header: 'X-Relay-Secret', secret: password } }).auth;
  assert.deepEqual(verifySourceAuth(header, { 'x-relay-secret': password }, body), { ok: true });
  assert.deepEqual(verifySourceAuth(header, { 'x-relay-secret': [password, 'other'] }, body), { ok: true });
  assert.equal(verifySourceAuth(header, { 'x-relay-secret': password.slice(0, -1) }, body).ok, false);
  assert.match((verifySourceAuth(header, {}, body) as { reason: string }).reason, /missing x-relay-secret header/);

  const hmac = sourceSchema.parse({ name: 'x', slug: 'x', kind: 'json', auth: { type: 'hmac', header: 'X-Signature', secret: password, prefix: 'sha256=' } }).auth;
  const digest = createHmac('sha256', password).update(body).digest();
  assert.deepEqual(verifySourceAuth(hmac, { 'x-signature': `sha256=${digest.toString('hex')}` }, body), { ok: true });
  assert.deepEqual(verifySourceAuth(hmac, { 'x-signature': `SHA256=${digest.toString('hex').toUpperCase()}` }, body), { ok: true });
  assert.deepEqual(verifySourceAuth(hmac, { 'x-signature': `sha256=${digest.toString('base64')}` }, body), { ok: true });
  const refusals: Array<[string | undefined, RegExp]> = [
    [undefined, /missing x-signature header/],
    [digest.toString('hex'), /does not start with "sha256="/],
    ['sha256=zz', /does not hold a SHA-256 signature/],
    [`sha256=${createHmac('sha256', 'another-secret-0123456').update(body).digest('hex')}`, /bad signature/],
    [`sha256=${createHmac('sha256', password).update('{"state":"ok"}').digest('hex')}`, /bad signature/],
  ];
  for (const [value, reason] of refusals) {
    const verdict = verifySourceAuth(hmac, value === undefined ? {} : { 'x-signature': value }, body);
    assert.equal(verdict.ok, false, value);
    assert.match((verdict as { reason: string }).reason, reason);
    assert.ok(!(verdict as { reason: string }).reason.includes(password));
  }
});

test('a source’s target must exist, and cannot be a Level.io pass-through', () => {
  const source = { name: 'Freezers', slug: 'freezers', kind: 'particle', auth: { type: 'basic', username: 'u', password } };
  const base = { levelWebhookSecret: 'a'.repeat(32), ilertIntegrationKey: 'il1api0123456789', ilertTargets: [{ name: 'lab', integrationKey: 'il1api9876543210' }] };
  const fine = resolveSettings({ ...base, sources: [source, { ...source, slug: 'lab', target: 'lab' }] }, {});
  assert.deepEqual(configurationProblems(fine), []);
  assert.equal(sourceTargetProblem(fine, 'nowhere'), 'there is no ilert target named “nowhere”');
  const missing = resolveSettings({ ...base, sources: [{ ...source, target: 'nowhere' }] }, {});
  assert.deepEqual(configurationProblems(missing), ['source “Freezers”: there is no ilert target named “nowhere”; its events are kept but not sent']);
  const passThrough = resolveSettings({ ...base, ilertPassThroughUrl: 'https://api.ilert.com/api/v1/events/levelio/il1api0123456789', sources: [source] }, {});
  assert.match(sourceTargetProblem(passThrough, 'default')!, /Level.io source, which cannot take another source’s events/);
  assert.equal(sourceTargetProblem(passThrough, 'lab'), undefined);
});
