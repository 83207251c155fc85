import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkKeyLifetime, describeLifetime, lifetimeCapFor, strictestCap } from './key-lifetime.ts';

const hour = 3_600_000;
const day = 24 * hour;
const now = new Date('2026-06-01T00:00:00Z');
const at = (ms: number) => new Date(now.getTime() + ms);

describe('key lifetimes', () => {
  test('describeLifetime reads as people write it', () => {
    assert.equal(describeLifetime(day), '1 day');
    assert.equal(describeLifetime(30 * day), '30 days');
    assert.equal(describeLifetime(12 * hour), '12 hours');
    assert.equal(describeLifetime(day + 6 * hour), '1 day 6 hours');
  });

  test('the strictest cap wins', () => {
    assert.equal(strictestCap([]), undefined);
    assert.deepEqual(strictestCap([{ feed: 'a', maxMs: 30 * day }, undefined, { feed: 'b', maxMs: day }]), {
      feed: 'b',
      maxMs: day,
    });
  });

  test('under a cap: up to it is allowed, beyond it or never is refused with the longest allowed', () => {
    const cap = { feed: 'release', maxMs: 8 * day };
    checkKeyLifetime(cap, at(8 * day), now);
    checkKeyLifetime(undefined, undefined, now);
    assert.throws(
      () => checkKeyLifetime(cap, at(8 * day + 1), now),
      /Feed 'release' allows API keys of at most 8 days; this one would live until 2026-06-09T00:00:00.001Z/,
    );
    assert.throws(
      () => checkKeyLifetime(cap, undefined, now),
      /at most 8 days: give an expiry \(e\.g\. --expires 192h\)/,
    );
    assert.throws(
      () => checkKeyLifetime({ feed: '*', maxMs: day }, at(2 * day), now),
      /This server \(--max-api-key-lifetime\) allows API keys of at most 1 day/,
    );
  });

  test('a key for named feeds obeys theirs; a key for every feed obeys every feed and the server default', async () => {
    const source = {
      defaults: { maxApiKeyLifetime: 90 * day },
      list: async () => [
        { name: 'ci', settings: { maxApiKeyLifetime: undefined } },
        { name: 'release', settings: { maxApiKeyLifetime: 8 * day } },
        { name: 'nightly', settings: { maxApiKeyLifetime: 30 * day } },
      ],
    };
    assert.equal(await lifetimeCapFor(source, ['ci']), undefined);
    assert.deepEqual(await lifetimeCapFor(source, ['ci', 'nightly']), { feed: 'nightly', maxMs: 30 * day });
    assert.deepEqual(await lifetimeCapFor(source, ['*']), { feed: 'release', maxMs: 8 * day });
    const lenient = { ...source, list: async () => [] };
    assert.deepEqual(await lifetimeCapFor(lenient, ['*']), { feed: '*', maxMs: 90 * day });
  });
});
