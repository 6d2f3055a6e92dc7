import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureAuditBudget, FailureLimiter } from '../../electron/core/admin/failure-limiter.ts';

test('the failure limiter says which failure is an address’s first in its window and which locks it out', () => {
  const limiter = new FailureLimiter({ limit: 3, windowMs: 1000, blockMs: 5000 });
  const outcomes = [0, 10, 20, 30].map((at) => limiter.fail('10.0.0.5', at));
  assert.deepEqual(outcomes, ['first', 'counted', 'counted', 'locked-out']);
  assert.equal(limiter.blockedFor('10.0.0.5', 30), 5000);
  assert.equal(limiter.blockedFor('10.0.0.6', 30), 0, 'another address is not affected');
  assert.equal(limiter.blockedFor('10.0.0.5', 5030), 0);
  assert.equal(limiter.fail('10.0.0.5', 6000), 'first', 'a fresh window after the lock-out');
});

test('failed sign-ins from ever new addresses write at most so many audit rows per window; the rest are counted in the next row', () => {
  const budget = new FailureAuditBudget(3, 60_000);
  const taken = Array.from({ length: 1000 }, (_, index) => budget.take(1_000 + index).ok);
  assert.equal(taken.filter(Boolean).length, 3, 'a thousand addresses, three rows');
  assert.deepEqual(budget.take(61_000), { ok: true, leftOut: 997 }, 'the next window’s first row says how many were left out');
  assert.deepEqual(budget.take(61_001), { ok: true, leftOut: 0 });
});
