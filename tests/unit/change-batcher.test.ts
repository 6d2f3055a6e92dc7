import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BATCH_INTERVAL_MS, ChangeBatcher, SETTLE_MAX_MS, type RelayChange } from '../../electron/core/change-batcher.ts';
import type { PushedEvent } from '../../shared/contract.ts';

function batcher() {
  let listener: (change: RelayChange) => void = () => {};
  const sent: PushedEvent<'changes'>[] = [];
  const changes = new ChangeBatcher(
    (next) => {
      listener = next;
      return () => {};
    },
    (batch) => sent.push(batch),
  );
  return { announce: (change: RelayChange) => listener(change), flush: () => changes.flush(), close: () => changes.close(), sent };
}

test('app events and the store’s other writes reach the UI as topics, each once, with `setup` for UIs that predate topics', () => {
  const { announce, flush, close, sent } = batcher();
  announce({ kind: 'app', topic: 'tunnel' });
  announce({ kind: 'app', topic: 'tunnel' });
  announce({ kind: 'mirror' });
  announce({ kind: 'alert', levelAlertId: 'a1' });
  flush();
  assert.deepEqual(sent, [{ deliveries: [], jobs: [], alerts: ['a1'], setup: true, topics: ['tunnel', 'mirror'] }]);

  announce({ kind: 'delivery', id: 7 });
  flush();
  assert.deepEqual(sent[1], { deliveries: [7], jobs: [], alerts: [] }, 'rows alone carry no topic');
  close();
});

test('a batch due while what was acknowledged is still being applied waits for it (up to a second), so a burst and its alerts arrive together', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  let listener: (change: RelayChange) => void = () => {};
  const sent: PushedEvent<'changes'>[] = [];
  let applying = true;
  const changes = new ChangeBatcher(
    (next) => {
      listener = next;
      return () => {};
    },
    (batch) => sent.push(batch),
    { settling: () => applying },
  );
  t.after(() => changes.close());
  listener({ kind: 'delivery', id: 1 });
  listener({ kind: 'delivery', id: 2 });
  t.mock.timers.tick(BATCH_INTERVAL_MS);
  assert.equal(sent.length, 0, 'due, but the processor is applying them');
  listener({ kind: 'alert', levelAlertId: 'a1' });
  listener({ kind: 'alert', levelAlertId: 'a2' });
  applying = false;
  t.mock.timers.tick(100);
  assert.deepEqual(sent, [{ deliveries: [1, 2], jobs: [], alerts: ['a1', 'a2'] }], 'one batch: the deliveries with their alerts');

  applying = true;
  listener({ kind: 'delivery', id: 3 });
  t.mock.timers.tick(SETTLE_MAX_MS);
  assert.deepEqual(sent[1], { deliveries: [3], jobs: [], alerts: [] }, 'a processor that stays busy (Level’s API hanging) holds a batch back a second at most');

  listener({ kind: 'app', topic: 'processing' });
  t.mock.timers.tick(BATCH_INTERVAL_MS);
  assert.deepEqual(
    sent[2],
    { deliveries: [], jobs: [], alerts: [], setup: true, topics: ['processing'] },
    'news of the moment (the lag passing a second) goes when due, busy or not',
  );
});
