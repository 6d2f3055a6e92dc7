import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { MaintenanceWindows } from '../../electron/core/quiet/maintenance.ts';
import { MaintenanceWindowRows } from '../../electron/core/store/maintenance-windows.ts';
import { Store } from '../../electron/core/store/store.ts';
import type { HoldSubject } from '../../electron/core/holds/hold.ts';
import { tempDataDir } from '../helpers/relay-harness.ts';

// The windows' in-memory answers, asked at chosen wall times: a clock stepped back or forward, and
// the nights daylight saving changes, against a real store in a temp directory.
const store = new Store(tempDataDir('relay-windows-unit-'));
after(() => store.close());
const at = (iso: string) => Date.parse(iso);
const created = at('2026-03-01T12:00:00Z');
const windows = new MaintenanceWindows(new MaintenanceWindowRows(store));
windows.create({ name: 'Saturday nights', scope: { group: 'acme' }, days: ['sat'], start: '23:00', end: '05:00', timeZone: 'Europe/Berlin' }, 'test', created);

const inHq: HoldSubject = { deviceId: 'dev-1', groupIds: () => ['hq', 'acme'], target: 'default' };
const elsewhere: HoldSubject = { deviceId: 'dev-2', groupIds: () => ['beta'], target: 'default' };
const until = (subject: HoldSubject, iso: string) => {
  const hold = windows.holdFor(subject, at(iso));
  return hold && new Date(hold.until!).toISOString();
};

test('a subgroup is held by its ancestor’s window; another group is not', () => {
  assert.equal(until(inHq, '2026-03-07T23:30:00Z'), '2026-03-08T04:00:00.000Z');
  assert.equal(windows.holdFor(inHq, at('2026-03-07T23:30:00Z'))!.reason, 'held: maintenance window “Saturday nights”');
  assert.equal(until(elsewhere, '2026-03-07T23:30:00Z'), undefined);
});

test('a wall clock stepped back out of the window and forward into it again gets the right answer each time', () => {
  assert.equal(until(inHq, '2026-03-14T23:00:00Z'), '2026-03-15T04:00:00.000Z', 'inside (00:00 CET)');
  assert.equal(until(inHq, '2026-03-14T21:00:00Z'), undefined, 'set back two hours: before the window (22:00 CET)');
  assert.equal(until(inHq, '2026-03-15T03:59:00Z'), '2026-03-15T04:00:00.000Z', 'forward again, inside');
  assert.equal(until(inHq, '2026-03-15T04:00:00Z'), undefined, 'at the end');
  assert.equal(until(inHq, '2026-03-15T02:00:00Z'), '2026-03-15T04:00:00.000Z', 'set back into the window after it had ended');
});

test('on the night the clocks spring forward the hold ends at 05:00 local, an hour earlier in UTC than in winter', () => {
  assert.equal(until(inHq, '2026-03-28T22:30:00Z'), '2026-03-29T03:00:00.000Z');
  assert.equal(until(inHq, '2026-03-29T02:59:00Z'), '2026-03-29T03:00:00.000Z');
  assert.equal(until(inHq, '2026-03-29T03:00:00Z'), undefined);
});

test('a window whose stored time zone stopped resolving holds nothing and says why', () => {
  // As if the system's zone data changed after it was saved: the check on saving cannot see that.
  new MaintenanceWindowRows(store).insert({
    name: 'Gone zone',
    reason: undefined,
    scope: { all: true },
    schedule: { kind: 'weekly', days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '00:00', end: '23:59', timeZone: 'Mars/Olympus_Mons' },
    createdAt: created,
    createdBy: 'test',
  });
  const reloaded = new MaintenanceWindows(new MaintenanceWindowRows(store));
  assert.equal(reloaded.holdFor(elsewhere, at('2026-03-10T12:00:00Z')), undefined);
  const gone = reloaded.list(at('2026-03-10T12:00:00Z')).find((window) => window.name === 'Gone zone')!;
  assert.equal(gone.state, 'scheduled');
  assert.match(gone.problem!, /time zone “Mars\/Olympus_Mons” is unknown to this system, so it holds nothing/);
});
