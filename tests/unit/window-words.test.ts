/**
 * The maintenance window form's pure half (renderer/src/views/quiet/window-words.ts): the schedule
 * in words as the Routing list shows it, and what the form sends for each kind of "When".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newScheduleDraft, scheduleInput, scheduleWords } from '../../renderer/src/views/quiet/window-words.ts';

test('a weekly schedule in words: one day across midnight names both days; several say "next day"; the zone closes it', () => {
  assert.equal(scheduleWords({ kind: 'weekly', days: ['sat'], start: '22:00', end: '04:00', timeZone: 'Europe/Berlin' }), 'Sat 22:00–Sun 04:00 Europe/Berlin');
  assert.equal(scheduleWords({ kind: 'weekly', days: ['sun'], start: '23:30', end: '00:30', timeZone: 'UTC' }), 'Sun 23:30–Mon 00:30 UTC');
  assert.equal(
    scheduleWords({ kind: 'weekly', days: ['wed', 'mon'], start: '22:00', end: '06:00', timeZone: 'America/New_York' }),
    'Mon, Wed 22:00–06:00 next day America/New_York',
    'Monday first, whatever order they were picked in',
  );
  assert.equal(scheduleWords({ kind: 'weekly', days: ['sun', 'sat'], start: '08:00', end: '12:00', timeZone: 'Europe/Berlin' }), 'Sat, Sun 08:00–12:00 Europe/Berlin');
});

test('what the form sends: from now, once (browser time, as ISO), weekly (days Monday first, the zone as typed); a blank part is named', () => {
  const now = Date.parse('2026-12-07T07:00:00Z');
  const draft = newScheduleDraft();
  assert.ok(draft.timeZone.length > 0, 'the browser’s zone is the default');
  assert.deepEqual(scheduleInput({ ...draft, kind: 'now', length: '2h' }, now), { start: '2026-12-07T07:00:00.000Z', end: '2026-12-07T09:00:00.000Z' });
  assert.deepEqual(scheduleInput({ ...draft, kind: 'now', length: 'until', until: '' }, now), { problem: 'Give the time the window ends, as HH:MM' });
  const once = scheduleInput({ ...draft, kind: 'once', from: '2026-12-08T01:00', to: '2026-12-08T03:00' }, now);
  assert.ok(!('problem' in once));
  assert.equal(Date.parse(once.end) - Date.parse(once.start), 2 * 3_600_000);
  assert.deepEqual(scheduleInput({ ...draft, kind: 'once', from: '', to: '' }, now), { problem: 'Give the start and the end, each a date and a time' });
  assert.deepEqual(scheduleInput({ ...draft, kind: 'weekly', days: [] }, now), { problem: 'Pick at least one day the window starts on' });
  // Start = end and an unknown zone are the relay's to refuse: the form sends them as they are.
  assert.deepEqual(scheduleInput({ ...draft, kind: 'weekly', days: ['sun', 'sat'], startTime: '22:00', endTime: '22:00', timeZone: ' Mars/Olympus ' }, now), {
    start: '22:00',
    end: '22:00',
    days: ['sat', 'sun'],
    timeZone: 'Mars/Olympus',
  });
});
