// The ranked windows a search index keeps (search-hits.ts, docs/decisions/0024-perf-search-ranking-windows.md) under a
// flood of distinct queries: each key holds its query text (up to 1,000 characters), so a bound on the rows alone let
// keys hold many times the memory the rows do.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { collectGarbage } from '../../heap.ts';
import { RankingCache } from '../../packages/search-ranking.ts';
import { rankingCacheBytes, rankingKey } from './search-hits.ts';

const MB = 1024 * 1024;
const heapUsed = () => {
  collectGarbage('full');
  return process.memoryUsage().heapUsed;
};

test('a flood of distinct long queries, one match each, holds about the bytes the cache is given', () => {
  const cache = new RankingCache(rankingCacheBytes);
  const before = heapUsed();
  for (let i = 0; i < 40_000; i++) {
    // As a request makes them: a new key string each time.
    const q = randomBytes(495).toString('hex');
    const key = rankingKey(3, { q, skip: 0, take: 20, prerelease: true } as Parameters<typeof rankingKey>[1]);
    cache.set(key, 1_733_000_000_000, {
      totalHits: 1,
      rows: [{ lowerId: `contoso.package${i}`, key: [1, 1, -3.5], downloads: i }],
      before: 0,
      take: 20,
    });
  }
  const held = heapUsed() - before;
  assert.ok(cache.size > 0);
  assert.ok(
    held < rankingCacheBytes * 1.5,
    `${(held / MB).toFixed(1)} MB held for a cache of ${rankingCacheBytes / MB} MB (${cache.size} windows)`,
  );
});
