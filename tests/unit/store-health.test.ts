import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreHealth } from '../../electron/core/store/store-health.ts';

test('a failed commit keeps the store unhealthy until a later commit succeeds and the hold has passed', () => {
  const health = new StoreHealth(120_000);
  let changes = 0;
  health.on('change', () => changes++);
  assert.equal(health.problem(0), undefined);
  health.failed(new Error('the store could not commit: database or disk is full'), 1000);
  assert.equal(health.problem(1000), 'cannot write to the database: database or disk is full');
  assert.equal(health.problem(10 * 60_000), 'cannot write to the database: database or disk is full', 'no success since: still failing, however long ago');
  health.committed(2000);
  assert.match(health.problem(62_000)!, /could not write to the database 61 s ago: database or disk is full/, 'failing on and off never looks healthy to the heartbeat');
  assert.equal(health.problem(121_001), undefined);
  assert.equal(changes, 2, 'announced when it starts failing and when it writes again');
});
