import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Store } from '../../electron/core/store/store.ts';
import { InboundLog } from '../../electron/core/store/inbound-log.ts';
import { tempDataDir } from '../helpers/relay-harness.ts';
import { appendAcked } from '../helpers/inbound.ts';
import { waitUntil } from '../helpers/wait.ts';

const append = (store: Store, eventId?: string) => appendAcked(store, Buffer.from('{}'), eventId);

test('the same event id twice in one group commit (a retry racing its original): one is received, the other answered as a duplicate', async (t) => {
  const store = new Store(tempDataDir('relay-append-'));
  t.after(() => store.close());
  const eventId = randomUUID();
  const [first, second] = await Promise.all([append(store, eventId), append(store, eventId)]);
  assert.deepEqual([first.duplicate, second.duplicate], [false, true]);
  assert.notEqual(first.id, second.id, 'both are in the delivery log');
  assert.deepEqual(
    new InboundLog(store).unprocessed(10, 1 << 20).map((row) => row.id),
    [first.id],
    'only the first waits to be applied',
  );
});

test('closing the store while acknowledgements are on their way to the disk commits every one of them first', async () => {
  const dataDir = tempDataDir('relay-append-');
  let store = new Store(dataDir);
  const appends = Array.from({ length: 300 }, () => append(store));
  await store.close();
  const appended = await Promise.all(appends);
  store = new Store(dataDir);
  try {
    assert.equal(store.facts().unprocessed, 300, 'all 300 are in the log after a restart');
    assert.deepEqual(
      new InboundLog(store).unprocessed(1000, 64 << 20).map((row) => row.id),
      appended.map((row) => row.id),
      'in the order they were acknowledged',
    );
  } finally {
    await store.close();
  }
});

test('the main connection writes while acknowledgements stream: each of its transactions waits for the commit in progress, none fails as locked', async (t) => {
  const store = new Store(tempDataDir('relay-append-'));
  t.after(() => store.close());
  // Commits slow enough (a 16 MiB batch and its fsync) to outlast a transaction's 50 ms wait for the lock.
  const body = Buffer.alloc(256 * 1024, 0x20);
  let streaming = true;
  const stream = (async () => {
    while (streaming) {
      await Promise.all(Array.from({ length: 64 }, () => appendAcked(store, body)));
    }
  })();
  const failures: string[] = [];
  const deadline = Date.now() + 1500;
  let transactions = 0;
  while (Date.now() < deadline) {
    try {
      store.transaction(() => store.facts(), 'derived');
      transactions++;
    } catch (error) {
      failures.push((error as Error).message);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  streaming = false;
  await stream;
  assert.ok(transactions >= 3, `only ${transactions} transactions`);
  assert.deepEqual(failures.slice(0, 3), [], `${failures.length} of ${transactions + failures.length} transactions failed`);
});

test('a moment after acknowledgements, the append thread copies the WAL into relay.sqlite, between its commits', async (t) => {
  const dataDir = tempDataDir('relay-append-');
  const store = new Store(dataDir);
  t.after(() => store.close());
  const file = path.join(dataDir, 'relay.sqlite');
  const before = fs.statSync(file).size;
  // 200 × 8 KiB bodies: about 400 pages, all in the WAL until a checkpoint (SQLite's own comes at 10,000).
  await Promise.all(Array.from({ length: 200 }, () => appendAcked(store, Buffer.alloc(8192, 0x20))));
  assert.ok(fs.statSync(file).size - before < 1 << 20, 'committed to the WAL, not yet to relay.sqlite');
  const grown = await waitUntil(() => fs.statSync(file).size - before >= 1 << 20 && fs.statSync(file).size, 5000, 'relay.sqlite to take the acknowledged rows');
  assert.ok(grown > before);
});
