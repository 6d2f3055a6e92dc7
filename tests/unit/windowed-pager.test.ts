/**
 * The one pager under the Alerts and Deliveries lists (renderer/src/components/windowed-pager.ts),
 * with a relay that answers each page when the test says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAGE_SIZE, WindowedPager, type PageAnswer } from '../../renderer/src/components/windowed-pager.ts';

type Query = { status?: string };
type Answer = PageAnswer<string> & { newer: number };
interface Request {
  query: Query;
  offset: number;
  anchorId: number | undefined;
  answer: (total: number, extra?: Partial<Answer>) => void;
  fail: (message: string) => void;
}

function relay() {
  const requests: Request[] = [];
  const pager = new WindowedPager<Query, Answer>({}, ({ query, offset, limit, anchorId }) => {
    return new Promise<Answer>((resolve, reject) => {
      requests.push({
        query,
        offset,
        anchorId,
        answer: (total, extra = {}) => {
          const rows = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, index) => `${query.status ?? 'all'}-${offset + index}`);
          resolve({ rows, total, anchorId: 42, newer: 0, ...extra });
        },
        fail: (message) => reject(new Error(message)),
      });
    });
  });
  const changed: number[] = [];
  pager.subscribe(() => changed.push(pager.getSnapshot()));
  /** Lets the pager take an answer (its continuation runs on the microtask queue). */
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const take = (offset: number) => {
    const index = requests.findIndex((request) => request.offset === offset);
    assert.ok(index >= 0, `a request for offset ${offset}; open: ${requests.map((request) => request.offset).join(', ')}`);
    return requests.splice(index, 1)[0]!;
  };
  return { pager, requests, changed, settle, take };
}

test('only the pages on screen are fetched, under the anchor the first page set, and pages far off are dropped', async () => {
  const { pager, requests, changed, settle, take } = relay();
  const started = pager.reset({ status: 'failed' });
  take(0).answer(10_000);
  await started;
  assert.equal(pager.total, 10_000);
  assert.equal(pager.row(3), 'failed-3');
  assert.ok(changed.length > 0, 'subscribers (useSyncExternalStore) hear of the answer');

  pager.want({ start: 5_000, end: 5_030 });
  const page = take(5_000);
  assert.equal(page.anchorId, 42, 'a later page is read under the first page’s anchor');
  assert.deepEqual(page.query, { status: 'failed' });
  assert.deepEqual(requests, [], 'one page covers the rows on screen');
  page.answer(10_000);
  await settle();
  assert.equal(pager.row(5_001), 'failed-5001');
  assert.equal(pager.row(0), undefined, 'the first page, far from the screen, is dropped');
});

test('a storm of refreshes while a page loads costs one more request for it, never two at once', async () => {
  const { pager, requests, settle, take } = relay();
  const started = pager.reset({});
  take(0).answer(50);
  await started;

  void pager.refresh();
  const slow = take(0);
  for (let turn = 0; turn < 20; turn++) void pager.refresh();
  assert.deepEqual(requests, [], 'nothing is asked again while the page is under way');
  slow.answer(50);
  await settle();
  take(0).answer(60);
  await settle();
  assert.deepEqual(requests, [], 'twenty refreshes cost two requests in all');
  assert.equal(pager.total, 60, 'the newest answer is shown');
});

test('a new query drops the answers of the old one, and shows the old rows until its first page arrives', async () => {
  const { pager, settle, take } = relay();
  const first = pager.reset({ status: 'failed' });
  take(0).answer(30);
  await first;
  pager.want({ start: 0, end: 30 });

  void pager.refresh();
  const late = take(0);
  const second = pager.reset({ status: 'sent' });
  assert.equal(pager.row(0), 'failed-0', 'the old rows stay until the new ones come, so nothing flashes');
  late.answer(999);
  await settle();
  assert.equal(pager.total, 30, 'an answer to the old query is dropped');
  take(0).answer(5);
  await second;
  assert.equal(pager.row(0), 'sent-0');
  assert.equal(pager.total, 5);
});

test('a failed first page is tried again on the next refresh, and the error clears once it answers', async () => {
  const { pager, take } = relay();
  const started = pager.reset({});
  take(0).fail('the relay is not answering');
  await started;
  assert.equal(pager.loaded, true);
  assert.equal(pager.error, 'the relay is not answering');

  const retried = pager.refresh();
  take(0).answer(PAGE_SIZE + 1, { newer: 3 });
  await retried;
  assert.equal(pager.error, undefined);
  assert.equal(pager.answer?.newer, 3, 'what else the list shows comes with the page');
});
