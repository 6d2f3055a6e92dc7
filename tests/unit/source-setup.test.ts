import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authHeaders } from '../../electron/core/setup/source-setup.ts';
import { verifySourceAuth } from '../../electron/core/sources/auth.ts';
import { sourceFindings, QUIET_SOURCE_GRACE_MS } from '../../electron/core/sources/source-health.ts';
import { sourceSchema, type SourceInput } from '../../electron/core/sources/source.ts';

const SECRET = 'a-shared-secret-0123456789abcdef';
const NOW = Date.parse('2026-12-07T08:00:00Z');
const HOUR = 3_600_000;

const source = (overrides: Partial<SourceInput>) =>
  sourceSchema.parse({ name: 'UPS', slug: 'ups', kind: 'json', auth: { type: 'basic', username: 'relay', password: SECRET }, ...overrides });

test('Send a test authenticates as each kind of sender would: its headers pass the source’s own check', () => {
  const body = '{"ups":"rack-2"}';
  for (const auth of [
    { type: 'basic', username: 'particle', password: SECRET },
    { type: 'header', header: 'X-Auth', secret: SECRET },
    { type: 'hmac', header: 'X-Signature', secret: SECRET, prefix: 'sha256=' },
    { type: 'hmac', header: 'X-Hub-Signature', secret: SECRET },
  ] as const) {
    const configured = source({ auth }).auth;
    assert.deepEqual(verifySourceAuth(configured, authHeaders(configured, body), Buffer.from(body)), { ok: true }, auth.type);
    assert.equal(verifySourceAuth(configured, authHeaders(configured, body), Buffer.from(`${body} `)).ok, auth.type !== 'hmac', `${auth.type}: only a signature covers the body`);
  }
});

test('Health per source: silent only after its grace, failing authentication only while recent, one finding each, no secret in the words', () => {
  const particle = source({ kind: 'particle', slug: 'freezers', name: 'Freezers', addedAt: NOW - 2 * HOUR });
  const hmac = source({ slug: 'backup', name: 'Backup', auth: { type: 'hmac', header: 'X-Signature', secret: SECRET, prefix: 'sha256=' }, addedAt: NOW - 2 * HOUR });
  const young = source({ slug: 'young', name: 'Young', addedAt: NOW - QUIET_SOURCE_GRACE_MS + 60_000 });
  const old = source({ slug: 'old', name: 'Old' });
  const activity = new Map([
    ['backup', { lastPassed: undefined, authFailures: { n: 1, lastAt: NOW - 5 * 60_000 } }],
    ['old', { lastPassed: undefined, authFailures: { n: 4, lastAt: NOW - 2 * 24 * HOUR } }],
  ]);
  const found = sourceFindings([particle, hmac, young, old], activity, NOW, { startedAt: NOW - 3 * HOUR, publicUrl: 'https://relay.example.com' });
  assert.deepEqual(
    found.map((finding) => finding.id),
    ['source-silent:freezers', 'source-auth:backup', 'source-silent:old'],
  );
  const [silent, auth] = found;
  assert.match(silent!.fix!, /https:\/\/relay\.example\.com\/webhooks\/source\/freezers, Request type POST, event name ALERT \(and a second webhook for RESOLVE\)/);
  assert.match(auth!.detail, /The last request to \/webhooks\/source\/backup was refused with 401/);
  assert.match(auth!.fix!, /HMAC-SHA256 of the body .* in the x-signature header after “sha256=”/);
  assert.ok(!JSON.stringify(found).includes(SECRET));
  // Added before sources kept the time: counted from the relay's start.
  assert.deepEqual(sourceFindings([old], new Map(), NOW, { startedAt: NOW - 10 * 60_000, publicUrl: undefined }), []);
});
