import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flapReason, holdDown, laterHold, refireReason, resolveGrace, spokenDuration } from '../../electron/core/holds/flapping.ts';

test('durations read as a technician says them', () => {
  assert.deepEqual([0, 1_000, 59_400, 60_000, 90_000, 600_000, 630_000, 3_600_000, 5_400_000].map(spokenDuration), [
    '0 s',
    '1 s',
    '59 s',
    '1 min',
    '1 min 30 s',
    '10 min',
    '10 min',
    '1 h',
    '1 h 30 min',
  ]);
});

test('a hold-down and a resolve grace are holds with their own refs, shown as “held until …: hold-down 10 min”', () => {
  assert.deepEqual(holdDown('level-alert-7', 600, 1_000), { reason: 'held: hold-down 10 min', until: 601_000, ref: 'flap:level-alert-7' });
  assert.deepEqual(resolveGrace('level-alert-7', 300, 1_000), { reason: 'held: resolve grace 5 min', until: 301_000, ref: 'grace:level-alert-7' });
});

test('when a window and the hold-down both hold an ALERT, the later release wins', () => {
  const window = { reason: 'held: maintenance window “Patch night”', until: 10_000, ref: 'window:1' };
  const flap = holdDown('k', 20, 0);
  assert.equal(laterHold(window, flap), flap);
  assert.equal(laterHold({ ...window, until: 30_000 }, flap)?.ref, 'window:1');
  assert.equal(laterHold({ ...window, until: undefined }, flap)?.ref, 'window:1', 'a hold with no end outlasts any other');
  assert.equal(laterHold(undefined, flap), flap);
  assert.equal(laterHold(window, undefined), window);
  assert.equal(laterHold(undefined, undefined), undefined);
});

test('a flap and a refire say what happened', () => {
  assert.equal(flapReason(0, 600_000, 180_000), 'flap: resolved after 3 min, within the 10 min hold-down');
  assert.equal(
    refireReason('2026-12-08T03:12:40Z', 4, 300_000),
    'cancelled: fired again at 03:12 UTC on 2026-12-08 (occurrence 4), within the 5 min resolve grace; ilert’s alert stays open and gets a comment',
  );
});
