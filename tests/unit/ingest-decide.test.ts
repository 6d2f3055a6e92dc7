import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideAlert, decideEvent } from '../../electron/core/ingest/decide.ts';
import type { AlertHistory } from '../../electron/core/store/alert-ledger.ts';
import { seeded } from '../helpers/seeded.ts';

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
  assert.deepEqual(decideAlert({ resolved: false, occurredMs: T, history: undefined, routeSkip: undefined }), {
    writeAlert: true,
    skip: undefined,
    settle: false,
    lastActiveMs: T,
    lastResolveMs: null,
  });
});

test('a resolve before any activation is recorded and queued, and may cancel a waiting ALERT', () => {
  assert.deepEqual(decideAlert({ resolved: true, occurredMs: T, history: undefined, routeSkip: undefined }), {
    writeAlert: true,
    skip: undefined,
    settle: true,
    lastActiveMs: null,
    lastResolveMs: T,
  });
});

test('a resolve older than the latest activation belongs to an earlier episode and is skipped', () => {
  const history = { state: 'active' as const, lastActiveMs: T, lastResolveMs: null, backfilled: false };
  assert.deepEqual(decideAlert({ resolved: true, occurredMs: T - 1, history, routeSkip: undefined }), {
    writeAlert: false,
    skip: 'skipped: stale — the alert became active again later',
  });
  assert.deepEqual(decideAlert({ resolved: true, occurredMs: T + 1, history, routeSkip: undefined }), {
    writeAlert: true,
    skip: undefined,
    settle: true,
    lastActiveMs: T,
    lastResolveMs: T + 1,
  });
});

test('a retried activation older than the processed resolve does not reopen the alert', () => {
  const history = { state: 'resolved' as const, lastActiveMs: T - 10, lastResolveMs: T, backfilled: false };
  assert.deepEqual(decideAlert({ resolved: false, occurredMs: T, history, routeSkip: undefined }), {
    writeAlert: false,
    skip: 'skipped: stale — the alert was resolved at 2026-03-13T18:30:00.000Z',
  });
  assert.equal(decideAlert({ resolved: false, occurredMs: T + 1, history, routeSkip: undefined }).writeAlert, true, 'a later activation reopens it');
});

test('a later resolve of a resolved alert sends nothing but moves its resolve time, so an activation between the two stays stale', () => {
  const history = { state: 'resolved' as const, lastActiveMs: T - 10, lastResolveMs: T, backfilled: false };
  assert.deepEqual(decideAlert({ resolved: true, occurredMs: T + 20, history, routeSkip: undefined }), {
    writeAlert: true,
    skip: 'skipped: the alert is already resolved',
    settle: false,
    lastActiveMs: T - 10,
    lastResolveMs: T + 20,
  });
  assert.deepEqual(
    decideAlert({ resolved: true, occurredMs: T - 5, history, routeSkip: undefined }),
    { writeAlert: false, skip: 'skipped: the alert is already resolved' },
    'an older resolve changes nothing',
  );
  const moved = { ...history, lastResolveMs: T + 20 };
  assert.equal(decideAlert({ resolved: false, occurredMs: T + 10, history: moved, routeSkip: undefined }).writeAlert, false);
});

test('an older activation of an active alert does not move its activation time back', () => {
  const history = { state: 'active' as const, lastActiveMs: T, lastResolveMs: T - 100, backfilled: false };
  const decision = decideAlert({ resolved: false, occurredMs: T - 50, history, routeSkip: undefined });
  assert.equal(decision.writeAlert && decision.lastActiveMs, T);
  assert.equal(decideAlert({ resolved: true, occurredMs: T - 20, history, routeSkip: undefined }).writeAlert, false, 'so a resolve between the two stays stale');
});

test('Level’s API overrides stored times a wrong clock left (a resolve dated far ahead; an activation dated far ahead)', () => {
  const FUTURE = Date.parse('2099-01-01T00:00:00Z');
  const resolvedAhead = { state: 'resolved' as const, lastActiveMs: T - 10, lastResolveMs: FUTURE, backfilled: false };
  assert.equal(decideAlert({ resolved: false, occurredMs: T, history: resolvedAhead, routeSkip: undefined }).writeAlert, false, 'a webhook cannot reopen it');
  assert.deepEqual(decideAlert({ resolved: false, occurredMs: T, history: resolvedAhead, routeSkip: undefined, fromLevelApi: true }), {
    writeAlert: true,
    skip: undefined,
    settle: false,
    lastActiveMs: T,
    lastResolveMs: T,
  });
  const activeAhead = { state: 'active' as const, lastActiveMs: FUTURE, lastResolveMs: null, backfilled: false };
  assert.equal(decideAlert({ resolved: true, occurredMs: T, history: activeAhead, routeSkip: undefined }).writeAlert, false, 'a webhook cannot resolve it');
  assert.deepEqual(decideAlert({ resolved: true, occurredMs: T, history: activeAhead, routeSkip: undefined, fromLevelApi: true }), {
    writeAlert: true,
    skip: undefined,
    settle: true,
    lastActiveMs: T,
    lastResolveMs: T,
  });
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
    lastActiveMs: null,
    lastResolveMs: T,
  });
});

test('in any arrival order, the alert and what ilert was sent end as Level’s latest word (20,000 seeded orders)', () => {
  const random = seeded(19);
  for (let trial = 0; trial < 20_000; trial++) {
    // Level's story of one alert: active, resolved, active, … at rising times; then any arrival order.
    const story = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, index) => ({ resolved: index % 2 === 1, occurredMs: T + index * 1000 }));
    const arrival = [...story].sort(() => random() - 0.5);
    let history: AlertHistory | undefined;
    let ilertOpen = false;
    for (const event of arrival) {
      const decision = decideAlert({ ...event, history, routeSkip: undefined });
      if (!decision.writeAlert) continue;
      history = { state: event.resolved ? 'resolved' : 'active', lastActiveMs: decision.lastActiveMs, lastResolveMs: decision.lastResolveMs, backfilled: false };
      if (!decision.skip) ilertOpen = !event.resolved;
    }
    const latest = story.at(-1)!;
    const order = arrival.map((event) => `${event.resolved ? 'resolved' : 'active'}@${(event.occurredMs - T) / 1000}`).join(', ');
    assert.equal(history?.state, latest.resolved ? 'resolved' : 'active', `trial ${trial}: ${order}`);
    assert.equal(ilertOpen, !latest.resolved, `trial ${trial}: ilert open after ${order}`);
  }
});
