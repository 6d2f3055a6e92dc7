import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toIlertEvent, SUMMARY_LIMIT, truncate, capEventSize, EVENT_BYTES_LIMIT, TRUNCATION_MARKER } from '../../electron/core/ilert/event-mapping.ts';
import { alertDataSchema } from '../../electron/core/level/envelope.ts';
import { eventSchemaErrors } from '../fakes/fake-ilert.ts';

const context = { eventId: 'evt-1', occurredAt: '2026-03-13T18:30:00Z', highPrioritySeverities: ['critical', 'emergency'] as const };
const alert = alertDataSchema.parse({
  id: 'alert-7781',
  device_id: 'dev-204',
  device_hostname: 'FRONTDESK-01',
  name: 'Low disk space',
  description: 'Free space on C: below 5%',
  payload: '4.3% remaining',
  severity: 'critical',
  is_resolved: false,
  started_at: '2026-03-13T18:29:41Z',
  resolved_at: null,
});
const withKey = (body: object) => ({ integrationKey: 'il1api123', ...body });

test('alert_active becomes an ALERT that ilert’s Event schema accepts', () => {
  const event = toIlertEvent(alert, false, context);
  assert.deepEqual(eventSchemaErrors(withKey(event)), []);
  assert.equal(event.eventType, 'ALERT');
  assert.equal(event.alertKey, 'level-alert-alert-7781');
  assert.equal(event.summary, '[CRITICAL] Low disk space on FRONTDESK-01');
  assert.equal(event.priority, 'HIGH');
  assert.match(event.details!, /Free space on C: below 5%/);
  assert.match(event.details!, /```\n4\.3% remaining\n```/);
  assert.match(event.details!, /FRONTDESK-01/);
  assert.match(event.details!, /2026-03-13T18:29:41Z/);
  assert.match(event.details!, /evt-1/);
  assert.deepEqual(event.labels, { source: 'level', level_alert_id: 'alert-7781', severity: 'critical', device_hostname: 'FRONTDESK-01', device_id: 'dev-204' });
  assert.equal((event.customDetails!.level as { payload: string }).payload, '4.3% remaining');
});

test('a resolve becomes a RESOLVE for the same alertKey, with a summary', () => {
  const event = toIlertEvent({ ...alert, is_resolved: true }, true, context);
  assert.deepEqual(eventSchemaErrors(withKey(event)), []);
  assert.equal(event.eventType, 'RESOLVE');
  assert.equal(event.alertKey, 'level-alert-alert-7781');
  assert.equal(event.summary, '[RESOLVED] Low disk space on FRONTDESK-01');
});

test('priority follows the configured severities', () => {
  assert.equal(toIlertEvent({ ...alert, severity: 'warning' }, false, context).priority, 'LOW');
  assert.equal(toIlertEvent({ ...alert, severity: 'emergency' }, false, context).priority, 'HIGH');
  assert.equal(toIlertEvent({ ...alert, severity: 'warning' }, false, { ...context, highPrioritySeverities: ['warning'] }).priority, 'HIGH');
  assert.equal(toIlertEvent({ ...alert, severity: undefined }, false, context).priority, 'LOW');
});

test('the summary never exceeds 255 characters', () => {
  const event = toIlertEvent({ ...alert, name: 'x'.repeat(1000) }, false, context);
  assert.equal(event.summary.length, SUMMARY_LIMIT);
  assert.ok(event.summary.endsWith('…'));
});

test('a payload with backticks cannot break out of its code block', () => {
  const event = toIlertEvent({ ...alert, payload: 'before ``` after ```` end' }, false, context);
  assert.match(event.details!, /`````\nbefore ``` after ```` end\n`````/);
});

test('minimal alerts still make a valid event', () => {
  const minimal = alertDataSchema.parse({ id: 'a1' });
  const event = toIlertEvent(minimal, false, context);
  assert.deepEqual(eventSchemaErrors(withKey(event)), []);
  assert.equal(event.summary, '[ALERT] Level alert');
});

test('the schema check itself rejects what ilert would not take', () => {
  assert.notDeepEqual(eventSchemaErrors({ eventType: 'ALERT', summary: 's' }), []);
  assert.notDeepEqual(eventSchemaErrors(withKey({ eventType: 'OPEN', summary: 's' })), []);
  assert.notDeepEqual(eventSchemaErrors(withKey({ eventType: 'ALERT', summary: 's', priority: 'URGENT' })), []);
  assert.notDeepEqual(eventSchemaErrors(withKey({ eventType: 'ALERT', summary: 's', labels: { a: 1 } })), []);
  assert.notDeepEqual(eventSchemaErrors(withKey({ eventType: 'ALERT', summary: 's', apiKey: 'x' })), []);
});

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

test('cutting the summary or details never splits an emoji or a combining sequence', () => {
  for (let shift = 0; shift < 4; shift++) {
    const name = `${'x'.repeat(shift)}${'👩‍💻e\u0301🔥'.repeat(200)}`;
    const event = toIlertEvent({ ...alert, name, description: name.repeat(40) }, false, context);
    assert.ok(event.summary.length <= SUMMARY_LIMIT);
    assert.doesNotMatch(event.summary, loneSurrogate, `summary, shift ${shift}`);
    assert.doesNotMatch(event.details!, loneSurrogate, `details, shift ${shift}`);
    assert.ok(event.summary.endsWith('🔥…') || event.summary.endsWith('💻…') || event.summary.endsWith('e\u0301…'), event.summary.slice(-6));
    assert.deepEqual(eventSchemaErrors(withKey(event)), []);
  }
  assert.equal(truncate('ab👍', 3), 'ab…');
  assert.equal(truncate('abc', 3), 'abc');
});

test('an event is capped at 64 KiB: customDetails and details are cut with a marker, the rest is kept', () => {
  const huge = toIlertEvent({ ...alert, payload: 'p'.repeat(900_000), description: '\u0001'.repeat(20_000) }, false, context);
  assert.ok(Buffer.byteLength(JSON.stringify(withKey(huge))) <= EVENT_BYTES_LIMIT);
  assert.equal(huge.customDetails!.truncated, TRUNCATION_MARKER);
  assert.ok(huge.details!.endsWith(`(${TRUNCATION_MARKER})`));
  assert.equal(huge.alertKey, 'level-alert-alert-7781');
  assert.equal(huge.summary, '[CRITICAL] Low disk space on FRONTDESK-01');
  assert.deepEqual(eventSchemaErrors(withKey(huge)), []);

  const small = toIlertEvent(alert, false, context);
  assert.equal(small.customDetails!.truncated, undefined, 'a normal event is untouched');
  assert.equal(capEventSize(small), small);
});
