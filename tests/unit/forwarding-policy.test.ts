import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../electron/core/http/rate-limiter.ts';
import { retryDelay, DEFAULT_BACKOFF } from '../../electron/core/forwarder/backoff.ts';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { postEvent } from '../../electron/core/ilert/events-client.ts';
import { rankFor } from '../../electron/core/store/alert-ledger.ts';

test('the rate limiter allows at most the limit in any rolling window, counted from each answer', () => {
  const limiter = new RateLimiter({ limit: () => 3, windowMs: 1000 });
  const done = [0, 100, 200].map((at) => limiter.take('k', at));
  assert.equal(limiter.available('k', 300), 0);
  assert.equal(limiter.nextFreeAt('k', 300), Infinity, 'all three still in flight: wait for an answer');
  done[0]!(50);
  done[1]!(400);
  done[2]!(250);
  assert.equal(limiter.nextFreeAt('k', 500), 1050, 'the earliest answer plus the window');
  assert.equal(limiter.available('k', 1049), 0);
  assert.equal(limiter.available('k', 1050), 1);
  assert.equal(limiter.available('k', 1250), 2);
  assert.equal(limiter.available('other', 500), 3, 'keys are limited separately');
});

test('the rate limiter remembers sends from before a restart', () => {
  const limiter = new RateLimiter({ limit: () => 2, windowMs: 60_000, history: (_key, since) => [since + 10, since + 20] });
  assert.equal(limiter.available('k', 100_000), 0);
});

test('a blocked key waits until the block ends', () => {
  const limiter = new RateLimiter({ limit: () => 50 });
  limiter.block('k', 30_000);
  assert.equal(limiter.available('k', 10_000), 0);
  assert.equal(limiter.nextFreeAt('k', 10_000), 30_000);
  assert.equal(limiter.available('k', 30_000), 50);
});

test('a waiting caller gets a slot only after the send in flight answered and its window passed', { timeout: 5_000 }, async () => {
  const limiter = new RateLimiter({ limit: () => 1, windowMs: 50 });
  const now = () => performance.now();
  const answered = await limiter.acquire('k', now);
  let granted = false;
  const second = limiter.acquire('k', now).then((release) => {
    granted = true;
    return release;
  });
  await new Promise(setImmediate);
  assert.equal(granted, false, 'the only slot is still in flight');
  const answeredAt = now();
  answered();
  (await second)();
  assert.ok(now() - answeredAt >= 49, `granted ${now() - answeredAt} ms after the answer, before the window passed`);
});

test('backoff starts at seconds, doubles with jitter and caps at ten minutes', () => {
  const low = () => 0;
  const high = () => 1;
  assert.equal(retryDelay(DEFAULT_BACKOFF, 1, low), 1_000);
  assert.equal(retryDelay(DEFAULT_BACKOFF, 1, high), 2_000);
  assert.equal(retryDelay(DEFAULT_BACKOFF, 4, high), 16_000);
  assert.equal(retryDelay(DEFAULT_BACKOFF, 30, high), 600_000);
  assert.equal(retryDelay(DEFAULT_BACKOFF, 30, low), 300_000);
  assert.equal(DEFAULT_BACKOFF.giveUpAfterMs, 24 * 3_600_000);
});

test('ilert answers are classified: 4xx is configuration, 429/5xx are retried', async (t) => {
  // Answers with the status named by the first path segment: /503/api/events → 503.
  const server = http.createServer((request, response) => response.writeHead(Number(request.url!.split('/')[1])).end()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kindFor = async (status: number) => (await postEvent(`${base}/${status}`, 'il1key', { eventType: 'ALERT', alertKey: 'k', summary: 's' })).kind;
  t.after(() => server.close());
  assert.equal(await kindFor(202), 'delivered');
  for (const status of [400, 401, 403, 404]) assert.equal(await kindFor(status), 'config-error', `${status}`);
  assert.equal(await kindFor(429), 'rate-limited');
  for (const status of [500, 502, 503, 504, 408]) assert.equal(await kindFor(status), 'retry', `${status}`);
});

test('in a backlog, critical alerts and resolves go first, then warnings, then information', () => {
  assert.equal(rankFor('ALERT', 'emergency'), 0);
  assert.equal(rankFor('ALERT', 'critical'), 0);
  assert.equal(rankFor('RESOLVE', 'information'), 0);
  assert.equal(rankFor('ALERT', 'warning'), 1);
  assert.equal(rankFor('ALERT', 'information'), 2);
  assert.equal(rankFor('ALERT', undefined), 2);
});
