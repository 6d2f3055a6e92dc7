import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  initialUpdateState,
  isNewerVersion,
  nextUpdateState,
  UPDATE_CHECK_INTERVAL_MS,
  updateCheckDue,
  updateOffer,
  withUpdatesEnabled,
  type UpdaterEvent,
  type UpdateState,
} from '../../electron/core/desktop/updates.ts';

const CURRENT = '1.2.0';
const T0 = Date.UTC(2026, 0, 5, 9, 0);

function after(events: UpdaterEvent[], start: UpdateState = { phase: 'idle' }, now = T0): UpdateState {
  return events.reduce((state, event) => nextUpdateState(state, event, now, CURRENT), start);
}

test('a development run and a person who switched updates off never check', () => {
  const dev = initialUpdateState({ isPackaged: false, enabled: true });
  assert.deepEqual([dev.phase, updateCheckDue(dev, T0)], ['off', false]);
  assert.match(dev.reason!, /development run/);
  const switchedOff = initialUpdateState({ isPackaged: true, enabled: false });
  assert.deepEqual([switchedOff.phase, switchedOff.reason, updateCheckDue(switchedOff, T0)], ['off', 'switched off in Settings', false]);
  // Events that still arrive (a check already under way) change nothing.
  assert.equal(nextUpdateState(switchedOff, { type: 'downloaded', version: '9.0.0' }, T0, CURRENT), switchedOff);
  assert.equal(updateOffer(nextUpdateState(switchedOff, { type: 'downloaded', version: '9.0.0' }, T0, CURRENT)), undefined);
});

test('an installed app checks at once, then every 6 hours, never while a check runs or an update waits', () => {
  const start = initialUpdateState({ isPackaged: true, enabled: true });
  assert.equal(updateCheckDue(start, T0), true);
  const checking = after([{ type: 'checking' }], start);
  assert.equal(updateCheckDue(checking, T0), false);
  const nothing = after([{ type: 'checking' }, { type: 'not-available' }], start);
  assert.equal(updateCheckDue(nothing, T0 + UPDATE_CHECK_INTERVAL_MS - 1), false);
  assert.equal(updateCheckDue(nothing, T0 + UPDATE_CHECK_INTERVAL_MS), true);
  const failed = after([{ type: 'checking' }, { type: 'error', message: 'net::ERR_INTERNET_DISCONNECTED' }], start);
  assert.deepEqual([failed.phase, failed.reason], ['failed', 'net::ERR_INTERNET_DISCONNECTED']);
  assert.equal(updateCheckDue(failed, T0 + UPDATE_CHECK_INTERVAL_MS), true, 'a failed check is retried on the same schedule');
  const ready = after(
    [
      { type: 'available', version: '1.3.0' },
      { type: 'downloaded', version: '1.3.0' },
    ],
    start,
  );
  assert.equal(updateCheckDue(ready, T0 + 10 * UPDATE_CHECK_INTERVAL_MS), false);
});

test('a newer release is offered only once downloaded, as a question', () => {
  const downloading = after([{ type: 'checking' }, { type: 'available', version: '1.3.0' }]);
  assert.deepEqual([downloading.phase, updateOffer(downloading)], ['downloading', undefined]);
  const ready = after([{ type: 'downloaded', version: '1.3.0' }], downloading);
  assert.deepEqual(updateOffer(ready)?.label, 'Version 1.3.0 is available — restart to update');
  assert.match(updateOffer(ready)!.detail, /only when you choose Restart to update/);
});

test('a downloaded update stays offered through later checks that find nothing or fail, and a newer one replaces it', () => {
  const ready = after([
    { type: 'available', version: '1.3.0' },
    { type: 'downloaded', version: '1.3.0' },
  ]);
  for (const event of [{ type: 'checking' }, { type: 'not-available' }, { type: 'error', message: 'offline' }, { type: 'available', version: '1.2.5' }] as UpdaterEvent[])
    assert.equal(updateOffer(nextUpdateState(ready, event, T0 + 1, CURRENT))?.version, '1.3.0', event.type);
  const newer = after(
    [
      { type: 'available', version: '1.4.0' },
      { type: 'downloaded', version: '1.4.0' },
    ],
    ready,
  );
  assert.equal(updateOffer(newer)?.version, '1.4.0');
});

test('a feed naming this version or an older one offers nothing', () => {
  for (const version of ['1.2.0', '1.1.9', 'v1.2.0', '1.2.0-rc.1', 'not-a-version']) {
    const state = after([
      { type: 'available', version },
      { type: 'downloaded', version },
    ]);
    assert.equal(updateOffer(state), undefined, version);
    assert.equal(state.phase, 'idle', version);
  }
});

test('switching checks off keeps a downloaded update offered; switching on checks again', () => {
  const packaged = { isPackaged: true, enabled: false };
  const ready = after([
    { type: 'available', version: '1.3.0' },
    { type: 'downloaded', version: '1.3.0' },
  ]);
  assert.equal(withUpdatesEnabled(ready, packaged), ready);
  const idle = after([{ type: 'not-available' }]);
  assert.equal(withUpdatesEnabled(idle, packaged).phase, 'off');
  const back = withUpdatesEnabled(withUpdatesEnabled(idle, packaged), { isPackaged: true, enabled: true });
  assert.equal(updateCheckDue(back, T0), true);
  assert.equal(withUpdatesEnabled(idle, { isPackaged: true, enabled: true }), idle, 'unchanged when nothing changed');
});

test('versions compare as semantic versions', () => {
  const newer: Array<[string, string]> = [
    ['1.10.0', '1.9.9'],
    ['2.0.0', '1.99.99'],
    ['1.2.1', '1.2.0'],
    ['1.2.0', '1.2.0-beta.3'],
    ['1.2.0-beta.10', '1.2.0-beta.9'],
    ['1.2.0-beta', '1.2.0-alpha.1'],
    ['1.2.0-beta.1', '1.2.0-beta'],
    ['v1.3.0', '1.2.0'],
  ];
  for (const [a, b] of newer) {
    assert.equal(isNewerVersion(a, b), true, `${a} > ${b}`);
    assert.equal(isNewerVersion(b, a), false, `${b} < ${a}`);
  }
  assert.equal(isNewerVersion('1.2.0', '1.2.0'), false);
  assert.equal(isNewerVersion('1.2.0+build.5', '1.2.0'), false);
  assert.equal(isNewerVersion('latest', '1.2.0'), false);
});
