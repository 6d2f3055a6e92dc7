/**
 * The dashboard's cache of server state (renderer/src/api/queries.ts), driven through the same
 * bridge the desktop window uses (window.relay), with a relay that answers when the test says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueryObserver } from '@tanstack/react-query';
import type { RelayBridge } from '../../shared/bridge.ts';

type Pending = { method: string; answer: (value: unknown) => void };
/** Requests not yet taken by the test, and every request ever made. */
const pending: Pending[] = [];
const requested: string[] = [];
/** Requests made while another for the same method was still unanswered. */
const overlapping: string[] = [];
const unanswered = new Map<string, number>();
const bridge = {
  invoke: (method: string) =>
    new Promise((resolve) => {
      requested.push(method);
      if (unanswered.get(method)) overlapping.push(method);
      unanswered.set(method, (unanswered.get(method) ?? 0) + 1);
      pending.push({
        method,
        answer: (value) => {
          unanswered.set(method, unanswered.get(method)! - 1);
          resolve({ ok: true, value });
        },
      });
    }),
  onChanges: () => () => {},
  onNavigate: () => () => {},
} as unknown as RelayBridge;
Object.assign(globalThis, { window: { relay: bridge } });

const { onChanges, queryClient } = await import('../../renderer/src/api/queries.ts');
const { call } = await import('../../renderer/src/api/client.ts');

function observe(method: 'getStatus' | 'getSettings' | 'getRouting' | 'getSetup') {
  const observer = new QueryObserver(queryClient, { queryKey: [method, {}], queryFn: () => call(method, {}) as Promise<unknown> });
  return { observer, stop: observer.subscribe(() => {}) };
}

async function nextRequest(method: string): Promise<Pending> {
  for (let turn = 0; turn < 200; turn++) {
    const index = pending.findIndex((entry) => entry.method === method);
    if (index >= 0) return pending.splice(index, 1)[0]!;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`no ${method} request`);
}

/** Resolves once `check` holds, re-checked whenever a query in the cache changes (a fetch starting or ending). */
function cacheReaches(check: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; requests: ${requested.join(', ')}`));
    }, timeoutMs);
    const unsubscribe = queryClient.getQueryCache().subscribe(() => {
      if (!check()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}

/** Every fetch the cache started has been answered, and it starts no other: nothing is loading. */
const idle = () => cacheReaches(() => queryClient.isFetching() === 0, 'the cache to stop fetching');
const changes = (extra: object = {}) => ({ deliveries: [], jobs: [], alerts: [], ...extra });

test('a storm of pushed changes while an answer loads costs one more request, and the newest answer is shown', async () => {
  const { observer, stop } = observe('getStatus');
  (await nextRequest('getStatus')).answer({ version: 1 });
  await idle();
  const before = requested.length;

  onChanges(changes({ alerts: ['a1'] }));
  const slow = await nextRequest('getStatus');
  for (let batch = 0; batch < 20; batch++) onChanges(changes({ alerts: [`a${batch}`] }));
  slow.answer({ version: 2 });
  (await nextRequest('getStatus')).answer({ version: 3 });
  await cacheReaches(() => queryClient.isFetching() === 0 || overlapping.length > 0, 'the cache to stop fetching');
  assert.deepEqual(overlapping, [], 'no request overlaps the one under way');
  assert.deepEqual(requested.slice(before), ['getStatus', 'getStatus'], 'twenty batches cost two requests in all');
  assert.deepEqual(observer.getCurrentResult().data, { version: 3 });
  stop();
});

test('a change refetches only the answers it concerns', async () => {
  const stops = [observe('getSettings').stop, observe('getRouting').stop];
  (await nextRequest('getSettings')).answer({});
  (await nextRequest('getRouting')).answer({});
  await idle();
  const before = requested.length;

  onChanges(changes({ alerts: ['a1'] }));
  // Both refetches would start at once, so when the routing is answered and nothing loads, the settings were not asked for.
  (await nextRequest('getRouting')).answer({});
  await cacheReaches(() => queryClient.isFetching() === 0 || pending.length > 0, 'the cache to stop fetching');
  assert.deepEqual(requested.slice(before), ['getRouting'], 'settings are not fetched again for a new alert');

  onChanges(changes({ setup: true }));
  for (const method of ['getSettings', 'getRouting']) (await nextRequest(method)).answer({});
  await idle();
  assert.deepEqual(requested.slice(before + 1).sort(), ['getRouting', 'getSettings'], 'a setup change concerns both');
  for (const stop of stops) stop();
});

test('a topic refetches only the answers that show it; a batch from a relay without topics refetches them all', async () => {
  const methods = ['getSettings', 'getRouting', 'getSetup'] as const;
  const stops = methods.map((method) => observe(method).stop);
  for (const method of methods) (await nextRequest(method)).answer({});
  await idle();

  const before = requested.length;
  // What a relay with topics sends for a tunnel that found its URL: `setup` too, for older UIs.
  onChanges(changes({ setup: true, topics: ['tunnel'] }));
  (await nextRequest('getSetup')).answer({});
  await cacheReaches(() => queryClient.isFetching() === 0 || pending.length > 0, 'the cache to stop fetching');
  assert.deepEqual(requested.slice(before), ['getSetup'], 'a tunnel change concerns the setup only');

  onChanges(changes({ setup: true, topics: ['mirror'] }));
  (await nextRequest('getRouting')).answer({});
  await cacheReaches(() => queryClient.isFetching() === 0 || pending.length > 0, 'the cache to stop fetching');
  assert.deepEqual(requested.slice(before + 1), ['getRouting'], 'a synced group mirror concerns the routing only');

  onChanges(changes({ setup: true }));
  for (const method of methods) (await nextRequest(method)).answer({});
  await idle();
  assert.deepEqual(requested.slice(before + 2).sort(), ['getRouting', 'getSettings', 'getSetup'], 'an older relay says only that something changed');
  for (const stop of stops) stop();
});
