import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTimeZone, instantOf, nextStartAfter, occurrenceAt, scheduleProblem, type Weekday, type WindowSchedule } from '../../electron/core/holds/window-schedule.ts';

// The schedule is a function of the instant it is asked about: DST changes and clock steps are
// tested by asking about the instants around them, with no clock to fake. Dates: 2026, when
// Europe/Berlin springs forward on Sunday 29 March (02:00 CET → 03:00 CEST) and falls back on
// Sunday 25 October (03:00 CEST → 02:00 CET); America/New_York changes on 8 March and 1 November.
const at = (iso: string) => Date.parse(iso);
const weekly = (days: Weekday[], start: string, end: string, timeZone = 'Europe/Berlin'): WindowSchedule => ({
  kind: 'weekly',
  days,
  start,
  end,
  timeZone,
});
const iso = (occurrence: { startMs: number; endMs: number } | undefined) =>
  occurrence && { start: new Date(occurrence.startMs).toISOString(), end: new Date(occurrence.endMs).toISOString() };

test('a one-off window is open from its start, inclusive, to its end, exclusive', () => {
  const once: WindowSchedule = { kind: 'once', startMs: at('2026-12-07T22:00:00Z'), endMs: at('2026-12-08T06:00:00Z') };
  assert.equal(occurrenceAt(once, at('2026-12-07T21:59:59.999Z')), undefined);
  assert.deepEqual(iso(occurrenceAt(once, at('2026-12-07T22:00:00Z'))), { start: '2026-12-07T22:00:00.000Z', end: '2026-12-08T06:00:00.000Z' });
  assert.equal(occurrenceAt(once, at('2026-12-08T06:00:00Z')), undefined);
  assert.equal(nextStartAfter(once, at('2026-12-07T10:00:00Z')), at('2026-12-07T22:00:00Z'));
  assert.equal(nextStartAfter(once, at('2026-12-07T23:00:00Z')), undefined);
});

test('a weekly window follows the wall clock: the same local hour in winter and in summer', () => {
  const mondays = weekly(['mon'], '09:00', '10:00');
  assert.deepEqual(iso(occurrenceAt(mondays, at('2026-12-07T08:30:00Z'))), { start: '2026-12-07T08:00:00.000Z', end: '2026-12-07T09:00:00.000Z' });
  assert.deepEqual(iso(occurrenceAt(mondays, at('2026-07-06T07:30:00Z'))), { start: '2026-07-06T07:00:00.000Z', end: '2026-07-06T08:00:00.000Z' });
  assert.equal(occurrenceAt(mondays, at('2026-07-06T08:30:00Z')), undefined, '10:30 in Berlin in summer');
  assert.equal(occurrenceAt(mondays, at('2026-12-08T08:30:00Z')), undefined, 'a Tuesday');
});

test('a weekly window may cross midnight: it starts on its day and ends on the next', () => {
  const nights = weekly(['mon'], '22:00', '06:00');
  const occurrence = { start: '2026-12-07T21:00:00.000Z', end: '2026-12-08T05:00:00.000Z' };
  assert.deepEqual(iso(occurrenceAt(nights, at('2026-12-07T21:00:00Z'))), occurrence, 'Monday 22:00 Berlin');
  assert.deepEqual(iso(occurrenceAt(nights, at('2026-12-08T04:59:00Z'))), occurrence, 'Tuesday 05:59 Berlin, still Monday’s night');
  assert.equal(occurrenceAt(nights, at('2026-12-08T05:00:00Z')), undefined);
  assert.equal(occurrenceAt(nights, at('2026-12-08T22:00:00Z')), undefined, 'Tuesday night is not in the window');
  assert.equal(occurrenceAt(nights, at('2026-12-07T03:00:00Z')), undefined, 'Monday early morning belongs to Sunday’s night, and Sunday is not a day of it');
  assert.equal(nextStartAfter(nights, at('2026-12-08T12:00:00Z')), at('2026-12-14T21:00:00Z'));
});

test('the night the clocks spring forward is an hour shorter, and ends at the local time it names', () => {
  const sundays = weekly(['sat'], '23:00', '05:00');
  // Saturday 28 March 23:00 CET = 22:00Z; Sunday 05:00 CEST = 03:00Z: five hours of real time, not six.
  const night = { start: '2026-03-28T22:00:00.000Z', end: '2026-03-29T03:00:00.000Z' };
  assert.deepEqual(iso(occurrenceAt(sundays, at('2026-03-29T00:59:00Z'))), night, '01:59 CET');
  assert.deepEqual(iso(occurrenceAt(sundays, at('2026-03-29T01:00:00Z'))), night, '03:00 CEST, one minute of wall time later');
  assert.deepEqual(iso(occurrenceAt(sundays, at('2026-03-29T02:59:00Z'))), night, '04:59 CEST');
  assert.equal(occurrenceAt(sundays, at('2026-03-29T03:00:00Z')), undefined, '05:00 CEST: over');
});

test('the night the clocks fall back is an hour longer, and a time that happens twice is taken the first time', () => {
  const sundays = weekly(['sat'], '23:00', '05:00');
  // Saturday 24 October 23:00 CEST = 21:00Z; Sunday 05:00 CET = 04:00Z: seven hours.
  const night = { start: '2026-10-24T21:00:00.000Z', end: '2026-10-25T04:00:00.000Z' };
  assert.deepEqual(iso(occurrenceAt(sundays, at('2026-10-25T00:30:00Z'))), night, '02:30 CEST');
  assert.deepEqual(iso(occurrenceAt(sundays, at('2026-10-25T01:30:00Z'))), night, '02:30 CET, the same wall time again');
  assert.deepEqual(iso(occurrenceAt(sundays, at('2026-10-25T03:59:00Z'))), night);
  assert.equal(occurrenceAt(sundays, at('2026-10-25T04:00:00Z')), undefined);
  // 02:30 on that Sunday happens twice: the first (CEST) is the one meant.
  assert.equal(new Date(instantOf({ year: 2026, month: 10, day: 25 }, 150, 'Europe/Berlin')).toISOString(), '2026-10-25T00:30:00.000Z');
});

test('a start in the hour that is skipped opens the window as far after the gap', () => {
  // 02:30 does not exist in Berlin on 29 March: read as 03:30 CEST (01:30Z), as Temporal's "compatible" rule does.
  assert.equal(new Date(instantOf({ year: 2026, month: 3, day: 29 }, 150, 'Europe/Berlin')).toISOString(), '2026-03-29T01:30:00.000Z');
  const early = weekly(['sun'], '02:30', '04:00');
  assert.deepEqual(iso(occurrenceAt(early, at('2026-03-29T01:45:00Z'))), { start: '2026-03-29T01:30:00.000Z', end: '2026-03-29T02:00:00.000Z' });
  assert.equal(occurrenceAt(early, at('2026-03-29T01:15:00Z')), undefined, '03:15 CEST: before the (shifted) start');
});

test('another zone changes on its own dates: New York springs forward on 8 March', () => {
  const mornings = weekly(['sun'], '01:00', '04:00', 'America/New_York');
  // 01:00 EST = 06:00Z; 04:00 EDT = 08:00Z.
  assert.deepEqual(iso(occurrenceAt(mornings, at('2026-03-08T07:30:00Z'))), { start: '2026-03-08T06:00:00.000Z', end: '2026-03-08T08:00:00.000Z' });
  // The same Sunday in Berlin is a plain winter day there.
  assert.deepEqual(iso(occurrenceAt(weekly(['sun'], '01:00', '04:00'), at('2026-03-08T01:00:00Z'))), { start: '2026-03-08T00:00:00.000Z', end: '2026-03-08T03:00:00.000Z' });
});

test('a clock stepped back or forward is just another instant: the answer depends only on the wall time asked about', () => {
  const nights = weekly(['mon'], '22:00', '06:00');
  const inside = at('2026-12-08T01:00:00Z');
  // An NTP step of an hour back, then forward again: each answer is the one for that instant, with nothing remembered in between.
  assert.ok(occurrenceAt(nights, inside));
  assert.equal(occurrenceAt(nights, at('2026-12-07T20:00:00Z')), undefined);
  assert.ok(occurrenceAt(nights, inside));
});

test('saving refuses start = end, bad times, no days and unknown zones, with a reason', () => {
  assert.match(scheduleProblem(weekly(['mon'], '22:00', '22:00'))!, /same time/);
  assert.match(scheduleProblem(weekly(['mon'], '24:00', '06:00'))!, /HH:MM/);
  assert.match(scheduleProblem(weekly([], '22:00', '06:00'))!, /at least one day/);
  assert.match(scheduleProblem(weekly(['mon'], '22:00', '06:00', 'Europe/Atlantis'))!, /unknown time zone “Europe\/Atlantis”/);
  assert.equal(scheduleProblem(weekly(['mon', 'fri'], '22:00', '06:00', 'Asia/Kolkata')), undefined);
  assert.match(scheduleProblem({ kind: 'once', startMs: at('2026-12-08T06:00:00Z'), endMs: at('2026-12-08T06:00:00Z') })!, /end must be after the start/);
  assert.match(scheduleProblem({ kind: 'once', startMs: Number.NaN, endMs: at('2026-12-08T06:00:00Z') })!, /ISO times/);
  assert.deepEqual(checkTimeZone('Europe/Berlin'), { ok: true, timeZone: 'Europe/Berlin' });
});

test('a stored zone that stops resolving suppresses nothing', () => {
  const gone = weekly(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], '00:00', '23:59', 'Mars/Olympus_Mons');
  assert.equal(occurrenceAt(gone, at('2026-12-07T12:00:00Z')), undefined);
  assert.equal(nextStartAfter(gone, at('2026-12-07T12:00:00Z')), undefined);
});
