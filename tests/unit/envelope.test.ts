import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDelivery, isResolvedAlertEvent } from '../../electron/core/level/envelope.ts';

const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const valid = { event_type: 'alert_active', event_id: 'e1', occurred_at: '2026-03-13T18:30:00Z', data: { id: 'alert-1', severity: 'CRITICAL' } };

test('bad JSON is a 400 with the parser’s reason', () => {
  const result = parseDelivery(bytes('{"event_type": '));
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.status, 400);
  assert.match(!result.ok ? result.reason : '', /^bad JSON: /);
});

test('bytes that are not UTF-8 are a 400', () => {
  const result = parseDelivery(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
  assert.deepEqual(result.ok ? null : [result.status, result.reason], [400, 'bad JSON: body is not valid UTF-8']);
});

test('schema violations are a 422 naming the field', () => {
  const cases: [unknown, RegExp][] = [
    [{ ...valid, event_id: undefined }, /^event_id: /],
    [{ ...valid, event_type: '' }, /^event_type: must not be empty/],
    [{ ...valid, occurred_at: 'yesterday' }, /^occurred_at: must be an ISO-8601/],
    [{ ...valid, data: { name: 'x' } }, /^data\.id: /],
    [{ ...valid, data: 'x' }, /^data: /],
    [[1, 2], /^body: /],
    [{ ...valid, data: { id: 'a', is_resolved: 'yes' } }, /^data\.is_resolved: /],
  ];
  for (const [body, reason] of cases) {
    const result = parseDelivery(bytes(body));
    assert.equal(result.ok, false, JSON.stringify(body));
    if (!result.ok) {
      assert.equal(result.status, 422);
      assert.match(result.reason, reason);
      assert.doesNotMatch(result.reason, /\n/, 'one line');
    }
  }
});

test('unknown event types and extra fields are accepted as they are', () => {
  const result = parseDelivery(bytes({ ...valid, event_type: 'script_finished', data: { id: 7, extra: true } }));
  assert.ok(result.ok);
  assert.equal(result.ok && result.envelope.data.id, '7');
  assert.equal(result.ok && result.alert, undefined);
});

test('alert fields are normalised leniently', () => {
  const result = parseDelivery(bytes({ ...valid, data: { id: 'a', severity: 'CRITICAL', payload: null, resolved_at: null } }));
  assert.ok(result.ok && result.alert);
  assert.equal(result.alert.severity, 'critical');
  const odd = parseDelivery(bytes({ ...valid, data: { id: 'a', severity: 'catastrophic' } }));
  assert.ok(odd.ok && odd.alert);
  assert.equal(odd.alert.severity, undefined);
});

test('an alert counts as resolved by event type, is_resolved or resolved_at', () => {
  const alert = { id: 'a' } as Parameters<typeof isResolvedAlertEvent>[1];
  assert.equal(isResolvedAlertEvent('alert_active', alert), false);
  assert.equal(isResolvedAlertEvent('alert_resolved', alert), true);
  assert.equal(isResolvedAlertEvent('alert_active', { ...alert, is_resolved: true }), true);
  assert.equal(isResolvedAlertEvent('alert_active', { ...alert, resolved_at: '2026-03-13T18:40:00Z' }), true);
});
