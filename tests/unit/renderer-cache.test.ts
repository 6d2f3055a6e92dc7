/**
 * The dashboard's cache of server state (renderer/src/api/queries.ts), driven through the same
 * bridge the desktop window uses (window.relay), with a relay that answers when the test says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueryObserver } from '@tanstack/react-query';
import type { RelayBridge } from '../../shared/bridge.ts';

type Pending = { method: string; answer: (value: unknown) => void };
const pending: Pending[] = [];
const bridge = {
  invoke: (method: string) => new Promise((resolve) => pending.push({ method, answer: (value) => resolve({ ok: true, value }) })),
  onChanges: () => () => {},
  onNavigate: () => () => {},
} as unknown as RelayBridge;
Object.assign(globalThis, { window: { relay: bridge } });

const { onChanges, queryClient } = await import('../../renderer/src/api/queries.ts');
const { call } = await import('../../renderer/src/api/client.ts');

function observe(method: 'getStatus' | 'getSettings' | 'getRouting') {
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

/** Lets every request the cache would start now start (promise jobs and a few event-loop turns, no clock). */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
}
const changes = (extra: object = {}) => ({ deliveries: [], jobs: [], alerts: [], ...extra });

test('a storm of pushed changes while an answer loads costs one more request, and the newest answer is shown', async () => {
  const { observer, stop } = observe('getStatus');
  (await nextRequest('getStatus')).answer({ version: 1 });
  await settle();

  onChanges(changes({ alerts: ['a1'] }));
  const slow = await nextRequest('getStatus');
  for (let batch = 0; batch < 20; batch++) onChanges(changes({ alerts: [`a${batch}`] }));
  await settle();
  assert.equal(pending.length, 0, 'no request overlaps the one under way');

  slow.answer({ version: 2 });
  (await nextRequest('getStatus')).answer({ version: 3 });
  await settle();
  assert.equal(pending.length, 0, 'twenty batches cost two requests in all');
  assert.deepEqual(observer.getCurrentResult().data, { version: 3 });
  stop();
});

test('a change refetches only the answers it concerns', async () => {
  const stops = [observe('getSettings').stop, observe('getRouting').stop];
  (await nextRequest('getSettings')).answer({});
  (await nextRequest('getRouting')).answer({});
  await settle();

  onChanges(changes({ alerts: ['a1'] }));
  (await nextRequest('getRouting')).answer({});
  await settle();
  assert.deepEqual(
    pending.map((entry) => entry.method),
    [],
    'settings are not fetched again for a new alert',
  );

  onChanges(changes({ setup: true }));
  const methods = [(await nextRequest('getSettings')).method, (await nextRequest('getRouting')).method];
  assert.deepEqual(methods.sort(), ['getRouting', 'getSettings']);
  for (const stop of stops) stop();
});
