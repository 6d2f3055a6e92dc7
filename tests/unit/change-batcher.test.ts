import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeBatcher, type RelayChange } from '../../electron/core/change-batcher.ts';
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
