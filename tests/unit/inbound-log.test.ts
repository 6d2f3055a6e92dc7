import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../electron/core/store/store.ts';
import { InboundLog } from '../../electron/core/store/inbound-log.ts';
import { tempDataDir } from '../helpers/relay-harness.ts';
import { appendAcked } from '../helpers/inbound.ts';

const store = new Store(tempDataDir('relay-inbound-log-'));
after(() => store.close());
const log = new InboundLog(store);

const append = (bytes: number) => appendAcked(store, Buffer.alloc(bytes, 0x20));

test('the processor reads the log in order, and never more bodies at once than its byte budget (but always the next one)', async () => {
  const ids: number[] = [];
  for (const size of [400_000, 400_000, 400_000, 2_000_000, 10]) ids.push((await append(size)).id);
  const MiB = 1024 * 1024;
  assert.deepEqual(
    log.unprocessed(500, MiB).map((row) => row.id),
    ids.slice(0, 2),
    'two bodies of 400 kB fit in 1 MiB, a third does not',
  );
  store.transaction(() => ids.slice(0, 3).forEach((id) => log.settle(id, 'accepted', undefined)));
  assert.deepEqual(
    log.unprocessed(500, MiB).map((row) => row.id),
    [ids[3]],
    'a body larger than the budget is still read, alone',
  );
  assert.equal(log.unprocessed(500, MiB)[0]!.body.length, 2_000_000);
  assert.deepEqual(
    log.unprocessed(1, 100 * MiB).map((row) => row.id),
    [ids[3]],
    'and never more rows than asked',
  );
  assert.equal(store.facts().unprocessed, 2, 'the counter follows: two still to apply');
});
