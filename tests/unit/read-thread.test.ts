import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Store } from '../../electron/core/store/store.ts';
import { ReadThread } from '../../electron/core/store/read-thread.ts';
import { tempDataDir } from '../helpers/relay-harness.ts';
import { waitUntil } from '../helpers/wait.ts';

/** This process's threads (Linux): a search thread is one, with its own V8 isolate. */
const threads = () => fs.readdirSync('/proc/self/task').length;

test(
  'the search thread ends when searches stop, giving its memory back, and the next search starts it again',
  { skip: process.platform !== 'linux' && 'counts threads in /proc' },
  async (t) => {
    const dataDir = tempDataDir('relay-read-');
    const store = new Store(dataDir);
    t.after(() => store.close());
    const reader = new ReadThread(path.join(dataDir, 'relay.sqlite'), 5_000, 200);
    t.after(() => reader.close());
    const before = threads();
    const count = async () => (await reader.read([{ sql: 'SELECT count(*) AS n FROM deliveries', params: [] }]))[0]![0]!.n;
    assert.equal(await count(), 0);
    assert.equal(threads(), before + 1, 'the first search starts the thread');
    await waitUntil(() => threads() === before, 5000, 'the idle thread to end');
    assert.equal(await count(), 0, 'a search after it ended is answered');
    // Two searches in a row keep one thread: the idle time counts from the last answer.
    assert.equal(await count(), 0);
    assert.equal(threads(), before + 1);
  },
);

test('a search that starts while the idle thread is ending is answered by the next thread, not failed with the old one', async (t) => {
  const dataDir = tempDataDir('relay-read-');
  const store = new Store(dataDir);
  t.after(() => store.close());
  const reader = new ReadThread(path.join(dataDir, 'relay.sqlite'));
  t.after(() => reader.close());
  const query = [{ sql: 'SELECT 1 AS one', params: [] }];
  await reader.read(query);
  const ending = reader.close();
  const answer = reader.read(query);
  await ending;
  assert.deepEqual(await answer, [[{ one: 1 }]]);
});
