import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { sign, verifySignature } from '../../electron/core/level/signature.ts';

const secret = 'whsec-current-0123456789';
const previous = 'whsec-previous-0123456789';

function levelSignature(key: string, raw: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', key).update(raw).digest('hex')}`;
}

test('verifies the raw bytes exactly as sent, whatever their JSON formatting', () => {
  const bodies = [
    '{"event_type":"alert_active","event_id":"1","occurred_at":"2026-03-13T18:30:00Z","data":{"id":"a"}}',
    '{\n  "event_type": "alert_active",\n  "data": { "id": "a" }\n}\n',
    '{"data":{"id":"a","name":"Festplatte fast voll – Ünïcödé ✓ 日本"}}',
    '{"data":{"id":"a"}}\r\n',
  ];
  for (const raw of bodies) {
    const bytes = Buffer.from(raw, 'utf8');
    assert.equal(verifySignature(levelSignature(secret, bytes), bytes, { current: secret }), 'valid', raw);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw)));
    if (!reserialised.equals(bytes)) {
      assert.equal(verifySignature(levelSignature(secret, reserialised), bytes, { current: secret }), 'invalid', `re-serialised ${raw}`);
    }
  }
});

test('a single changed byte fails the check', () => {
  const raw = Buffer.from('{"data":{"id":"a","severity":"warning"}}');
  const header = sign(secret, raw);
  const tampered = Buffer.from('{"data":{"id":"a","severity":"Warning"}}');
  assert.equal(verifySignature(header, tampered, { current: secret }), 'invalid');
});

test('during a rotation both the current and the previous secret verify, and say which', () => {
  const raw = Buffer.from('{"data":{"id":"a"}}');
  assert.equal(verifySignature(sign(secret, raw), raw, { current: secret, previous }), 'valid');
  assert.equal(verifySignature(sign(previous, raw), raw, { current: secret, previous }), 'valid-previous');
  assert.equal(verifySignature(sign('someone-else', raw), raw, { current: secret, previous }), 'invalid');
  assert.equal(verifySignature(sign(previous, raw), raw, { current: secret }), 'invalid');
});

test('missing, malformed and unsigned cases are told apart', () => {
  const raw = Buffer.from('{}');
  assert.equal(verifySignature(undefined, raw, { current: secret }), 'missing');
  assert.equal(verifySignature('', raw, { current: secret }), 'missing');
  assert.equal(verifySignature('sha1=abc', raw, { current: secret }), 'invalid');
  assert.equal(verifySignature(`sha256=${'z'.repeat(64)}`, raw, { current: secret }), 'invalid');
  assert.equal(verifySignature(sign(secret, raw).toUpperCase().replace('SHA256', 'sha256'), raw, { current: secret }), 'valid');
  assert.equal(verifySignature(undefined, raw, {}), 'unsigned');
});
