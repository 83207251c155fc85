import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CircuitBreaker } from './circuit-breaker.ts';

function breaker() {
  let now = 0;
  const b = new CircuitBreaker({ failures: 3, cooldownMs: 1000, now: () => now });
  return { b, advance: (ms: number) => (now += ms) };
}

test('closed until `failures` requests in a row fail; a success in between starts the count again', () => {
  const { b } = breaker();
  b.failure();
  b.failure();
  b.success();
  b.failure();
  b.failure();
  assert.equal(b.state, 'closed');
  assert.equal(b.tryAcquire(), true);
  b.failure();
  assert.equal(b.state, 'open');
  assert.equal(b.tryAcquire(), false);
});

test('open -> half-open after the cooldown, which lets exactly one trial through', () => {
  const { b, advance } = breaker();
  for (let i = 0; i < 3; i++) b.failure();
  advance(999);
  assert.equal(b.tryAcquire(), false);
  advance(1);
  assert.equal(b.state, 'half-open');
  assert.equal(b.tryAcquire(), true);
  assert.equal(b.tryAcquire(), false, 'a second request while the trial runs');
});

test('a failed trial opens it for another whole cooldown; a good one closes it', () => {
  const { b, advance } = breaker();
  for (let i = 0; i < 3; i++) b.failure();
  advance(1000);
  assert.equal(b.tryAcquire(), true);
  b.failure();
  assert.equal(b.state, 'open');
  advance(500);
  assert.equal(b.tryAcquire(), false);
  advance(500);
  assert.equal(b.tryAcquire(), true);
  b.success();
  assert.equal(b.state, 'closed');
  assert.equal(b.tryAcquire(), true);
});
