import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FailedAuthLimiter } from './failed-auth-limiter.ts';

const at = (seconds: number) => new Date(Date.UTC(2025, 5, 1) + seconds * 1000);

describe('FailedAuthLimiter: a bucket of `limit` failures per address, refilled over the window', () => {
  test('limit failures are allowed at once; the next attempt waits for one token (window/limit)', () => {
    const limiter = new FailedAuthLimiter({ limit: 3, windowMs: 30_000 });
    for (let i = 0; i < 3; i++) {
      assert.equal(limiter.retryAfterSeconds('10.0.0.1', at(0)), undefined, `attempt ${i + 1}`);
      limiter.recordFailure('10.0.0.1', at(0));
    }
    assert.equal(limiter.retryAfterSeconds('10.0.0.1', at(0)), 10);
    assert.equal(limiter.retryAfterSeconds('10.0.0.1', at(4)), 6);
    assert.equal(limiter.retryAfterSeconds('10.0.0.1', at(10)), undefined);
  });

  test('Retry-After is a whole number of seconds, at least 1', () => {
    const limiter = new FailedAuthLimiter({ limit: 2, windowMs: 1_000 });
    limiter.recordFailure('a', at(0));
    limiter.recordFailure('a', at(0));
    assert.equal(limiter.retryAfterSeconds('a', at(0)), 1);
  });

  test('addresses are counted apart', () => {
    const limiter = new FailedAuthLimiter({ limit: 1, windowMs: 60_000 });
    limiter.recordFailure('10.0.0.1', at(0));
    assert.ok(limiter.retryAfterSeconds('10.0.0.1', at(0)));
    assert.equal(limiter.retryAfterSeconds('10.0.0.2', at(0)), undefined);
  });

  test('an address whose bucket is full again is forgotten', () => {
    const limiter = new FailedAuthLimiter({ limit: 2, windowMs: 10_000 });
    limiter.recordFailure('a', at(0));
    assert.equal(limiter.size, 1);
    limiter.retryAfterSeconds('a', at(60));
    assert.equal(limiter.size, 0);
  });

  test('memory is bounded: the least recently failing address is forgotten first', () => {
    const limiter = new FailedAuthLimiter({ limit: 1, windowMs: 60_000, maxAddresses: 2 });
    limiter.recordFailure('a', at(0));
    limiter.recordFailure('b', at(0));
    limiter.recordFailure('c', at(0));
    assert.equal(limiter.size, 2);
    assert.equal(limiter.retryAfterSeconds('a', at(0)), undefined);
    assert.ok(limiter.retryAfterSeconds('c', at(0)));
  });

  test('limit 0 turns it off', () => {
    const limiter = new FailedAuthLimiter({ limit: 0, windowMs: 60_000 });
    for (let i = 0; i < 100; i++) limiter.recordFailure('a', at(0));
    assert.equal(limiter.retryAfterSeconds('a', at(0)), undefined);
    assert.equal(limiter.size, 0);
  });
});
