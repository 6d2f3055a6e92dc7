import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideAlert, decideEvent } from '../../electron/core/ingest/decide.ts';

const T = Date.parse('2026-03-13T18:30:00Z');

test('an event id already received is a duplicate, whatever it says', () => {
  assert.equal(decideEvent({ eventType: 'alert_active', hasAlert: true, alreadyReceived: true }), 'duplicate');
  assert.equal(decideEvent({ eventType: 'device_updated', hasAlert: false, alreadyReceived: true }), 'duplicate');
});

test('device and group events change the mirror; unknown event types are only kept', () => {
  assert.equal(decideEvent({ eventType: 'alert_active', hasAlert: true, alreadyReceived: false }), 'alert');
  assert.equal(decideEvent({ eventType: 'device_deleted', hasAlert: false, alreadyReceived: false }), 'devices');
  assert.equal(decideEvent({ eventType: 'group_created', hasAlert: false, alreadyReceived: false }), 'groups');
  assert.equal(decideEvent({ eventType: 'ticket_opened', hasAlert: false, alreadyReceived: false }), 'keep');
});

test('a new alert is recorded and its ALERT queued', () => {
  assert.deepEqual(decideAlert({ resolved: false, occurredMs: T, history: undefined, routeSkip: undefined }), { writeAlert: true, skip: undefined, settle: false });
});

test('a resolve before any activation is recorded and queued, and may cancel a waiting ALERT', () => {
  assert.deepEqual(decideAlert({ resolved: true, occurredMs: T, history: undefined, routeSkip: undefined }), { writeAlert: true, skip: undefined, settle: true });
});

test('a resolve older than the latest activation belongs to an earlier episode and is skipped', () => {
  const history = { state: 'active' as const, lastActiveMs: T, lastResolveMs: null, backfilled: false };
  assert.deepEqual(decideAlert({ resolved: true, occurredMs: T - 1, history, routeSkip: undefined }), {
    writeAlert: false,
    skip: 'skipped: stale — the alert became active again later',
  });
  assert.deepEqual(decideAlert({ resolved: true, occurredMs: T + 1, history, routeSkip: undefined }), { writeAlert: true, skip: undefined, settle: true });
});

test('a retried activation older than the processed resolve does not reopen the alert', () => {
  const history = { state: 'resolved' as const, lastActiveMs: T - 10, lastResolveMs: T, backfilled: false };
  assert.deepEqual(decideAlert({ resolved: false, occurredMs: T, history, routeSkip: undefined }), {
    writeAlert: false,
    skip: 'skipped: stale — the alert was resolved at 2026-03-13T18:30:00.000Z',
  });
  assert.equal(decideAlert({ resolved: false, occurredMs: T + 1, history, routeSkip: undefined }).writeAlert, true, 'a later activation reopens it');
  assert.deepEqual(decideAlert({ resolved: true, occurredMs: T + 1, history, routeSkip: undefined }), { writeAlert: false, skip: 'skipped: the alert is already resolved' });
});

test('an activation of an alert reconciliation already sent is not sent twice', () => {
  const history = { state: 'active' as const, lastActiveMs: T, lastResolveMs: null, backfilled: true };
  assert.deepEqual(decideAlert({ resolved: false, occurredMs: T + 1, history, routeSkip: undefined }), {
    writeAlert: false,
    skip: 'skipped: already sent to ilert when reconciliation backfilled it',
  });
});

test('an alert routing does not forward is recorded, with its job kept as skipped', () => {
  assert.deepEqual(decideAlert({ resolved: true, occurredMs: T, history: undefined, routeSkip: 'group not mapped' }), {
    writeAlert: true,
    skip: 'skipped: group not mapped',
    settle: false,
  });
});
