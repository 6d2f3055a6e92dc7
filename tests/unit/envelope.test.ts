import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDelivery, isResolvedAlertEvent, readLevelTime } from '../../electron/core/level/envelope.ts';

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
    [{ ...valid, data: { name: 'x' } }, /^data\.id: /],
    [{ ...valid, event_type: 'device_updated', data: { hostname: 'x' } }, /^data\.id: /],
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

test('an unknown event type is accepted whatever its data looks like, so Level never drops it', () => {
  for (const data of [{ run: 3 }, null, 'text', [1, 2], undefined, { id: null }, { id: {} }]) {
    const result = parseDelivery(bytes({ ...valid, event_type: 'ticket_created', data }));
    assert.ok(result.ok, JSON.stringify(data));
    assert.equal(result.envelope.event_type, 'ticket_created');
    assert.equal(result.envelope.data.id, '', 'no id: kept with an empty resource id');
    assert.equal(result.alert, undefined);
  }
  const withId = parseDelivery(bytes({ ...valid, event_type: 'ticket_created', data: { id: 42 } }));
  assert.equal(withId.ok && withId.envelope.data.id, '42');
});

test('occurred_at: every plausible ISO 8601 / RFC 3339 form is read, a missing zone is read as UTC and flagged', () => {
  const cases: [string | number, string, RegExp | undefined][] = [
    ['2026-03-13T18:30:00Z', '2026-03-13T18:30:00.000Z', undefined],
    ['2026-03-13T18:30:00.123456789Z', '2026-03-13T18:30:00.123Z', undefined],
    ['2026-03-13T18:30:00+0000', '2026-03-13T18:30:00.000Z', undefined],
    ['2026-03-13T20:30:00+02:00', '2026-03-13T18:30:00.000Z', undefined],
    ['2026-03-13T13:30:00-05', '2026-03-13T18:30:00.000Z', undefined],
    ['2026-03-13T18:30Z', '2026-03-13T18:30:00.000Z', undefined],
    ['2026-03-13t18:30:00z', '2026-03-13T18:30:00.000Z', undefined],
    ['20260313T183000Z', '2026-03-13T18:30:00.000Z', undefined],
    ['2026-03-13T18:30:60Z', '2026-03-13T18:30:59.000Z', undefined],
    ['2026-03-13 18:30:00 UTC', '2026-03-13T18:30:00.000Z', undefined],
    ['Fri, 13 Mar 2026 18:30:00 GMT', '2026-03-13T18:30:00.000Z', undefined],
    ['13 Mar 2026 19:30:00 +0100', '2026-03-13T18:30:00.000Z', undefined],
    ['2026-03-13T18:30:00', '2026-03-13T18:30:00.000Z', /no time zone; read as UTC/],
    ['2026-03-13 18:30:00.5', '2026-03-13T18:30:00.500Z', /no time zone/],
    ['2026-03-13T18:30', '2026-03-13T18:30:00.000Z', /no time zone/],
    [1773426600, '2026-03-13T18:30:00.000Z', /seconds since 1970/],
  ];
  for (const [input, iso, note] of cases) {
    const time = readLevelTime(input);
    assert.equal(time?.iso, iso, String(input));
    if (note) assert.match(time?.note ?? '', note, String(input));
    else assert.equal(time?.note, undefined, String(input));
  }
  for (const nonsense of ['yesterday', 'Fri, 13 Mar 2026 18:30:00', '03/13/2026 18:30', '2026-02-30T10:00:00Z', '2026-13-01T00:00:00Z', '2026-03-13T25:00:00Z', '', null, {}]) {
    assert.equal(readLevelTime(nonsense), undefined, JSON.stringify(nonsense));
  }
});

test('an alert whose time cannot be read is kept with the time it was received, and flagged', () => {
  const receivedAt = Date.parse('2026-03-13T18:31:07.000Z');
  for (const occurred_at of ['yesterday', undefined, 17]) {
    const result = parseDelivery(bytes({ ...valid, occurred_at: occurred_at === 17 ? 'at 5 pm' : occurred_at }), receivedAt);
    assert.ok(result.ok && result.alert, String(occurred_at));
    assert.equal(result.envelope.occurred_at, '2026-03-13T18:31:07.000Z');
    assert.match(result.notes.join(), /used the time the relay received it/);
  }
  const zoneless = parseDelivery(bytes({ ...valid, occurred_at: '2026-03-13T18:30:00' }));
  assert.ok(zoneless.ok);
  assert.equal(zoneless.envelope.occurred_at, '2026-03-13T18:30:00.000Z');
  assert.match(zoneless.notes.join(), /no time zone/);
  const clean = parseDelivery(bytes(valid));
  assert.deepEqual(clean.ok && clean.notes, []);
});
