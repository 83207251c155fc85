import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareIds,
  compareRanked,
  pageOf,
  type RankedRow,
  RankingCache,
  windowMargin,
  windowOf,
  windowRange,
} from './search-ranking.ts';

const row = (lowerId: string, score: number, downloads = 0, exact = 1, prefix = 1): RankedRow => ({
  lowerId,
  key: [exact, prefix, score],
  downloads,
});

/** What a full ranking query answers for rows/skip/take: the rows windowRange asks for, in rank order. */
function fetched(all: readonly RankedRow[], skip: number, take: number): RankedRow[] {
  const { offset, limit } = windowRange(skip, take);
  return [...all].sort(compareRanked).slice(offset, offset + limit);
}

/** The page a full ranking gives. */
const fullPage = (all: readonly RankedRow[], skip: number, take: number) =>
  [...all]
    .sort(compareRanked)
    .slice(skip, skip + take)
    .map((r) => r.lowerId);

describe('search ranking windows', () => {
  it('orders by keys, then more downloads, then the id by code point', () => {
    const rows = [
      row('b', -2, 5),
      row('a', -2, 5),
      row('c', -2, 9),
      row('d', -3, 0),
      row('e', -1, 100, 0),
      row('f', -1, 0, 1, 0),
    ];
    assert.deepEqual(
      rows.sort(compareRanked).map((r) => r.lowerId),
      ['e', 'f', 'd', 'c', 'a', 'b'],
    );
    // UTF-16 puts U+FF21 after U+1F600's surrogates; UTF-8 (SQLite's BINARY, PostgreSQL's "C") before.
    assert.ok(compareIds('\uff21', '\u{1f600}') < 0);
    assert.ok(compareIds('a\u{1f600}b', 'a\u{1f600}c') < 0);
    assert.ok(compareIds('ab', 'abc') < 0);
    assert.equal(compareIds('x.y', 'x.y'), 0);
  });

  it('keeps the ties of both ends of a page and gives the page a full ranking would after downloads move', () => {
    // Scores 0..9, each shared by 3 ids: pages of 4 cut through ties at both ends.
    const all = Array.from({ length: 30 }, (_, i) =>
      row(`id${String(i).padStart(2, '0')}`, Math.floor(i / 3)),
    );
    for (const [skip, take] of [
      [0, 4],
      [4, 4],
      [5, 7],
      [27, 4],
      [29, 1],
    ] as const) {
      const window = windowOf(fetched(all, skip, take), { skip, take, totalHits: all.length });
      assert.ok(window, `skip ${skip} take ${take}`);
      assert.deepEqual(pageOf(window, new Map(all.map((r) => [r.lowerId, 0]))), fullPage(all, skip, take));
      // Every id gets new downloads: the window gives what ranking everything again gives.
      const counts = new Map(all.map((r, i) => [r.lowerId, (i * 7919) % 13]));
      const moved = all.map((r) => ({ ...r, downloads: counts.get(r.lowerId) ?? 0 }));
      assert.deepEqual(pageOf(window, counts), fullPage(moved, skip, take), `skip ${skip} take ${take}`);
    }
  });

  it('keeps no window when a tie runs past what was fetched, before or after the page', () => {
    const tie = Array.from({ length: windowMargin * 3 }, (_, i) => row(`t${i}`, 1));
    assert.equal(windowOf(fetched(tie, 0, 2), { skip: 0, take: 2, totalHits: tie.length }), undefined);
    const skip = windowMargin + 5;
    assert.equal(windowOf(fetched(tie, skip, 2), { skip, take: 2, totalHits: tie.length }), undefined);
    // The same tie, but ending within the fetched rows: kept.
    const short = tie.slice(0, windowMargin);
    const window = windowOf(fetched(short, 0, 2), { skip: 0, take: 2, totalHits: short.length });
    assert.equal(window?.rows.length, windowMargin);
  });

  it('keeps no window for a page past the last match', () => {
    const all = [row('a', 1), row('b', 2)];
    assert.equal(windowOf(fetched(all, 2, 5), { skip: 2, take: 5, totalHits: 2 }), undefined);
    assert.equal(windowOf([], { skip: 0, take: 5, totalHits: 0 }), undefined);
  });

  it('gives no page when an id of the window has no count any more', () => {
    const all = [row('a', 1), row('b', 1), row('c', 2)];
    const window = windowOf(fetched(all, 0, 1), { skip: 0, take: 1, totalHits: 3 });
    assert.ok(window);
    assert.equal(pageOf(window, new Map([['a', 1]])), undefined);
  });
});

describe('RankingCache', () => {
  const window = (rows: number) => ({
    totalHits: rows,
    rows: Array.from({ length: rows }, (_, i) => row(`r${i}`, i)),
    before: 0,
    take: rows,
  });

  it('answers a window only at the stamp it was ranked at', () => {
    const cache = new RankingCache(100_000);
    cache.set('q', 1, window(3));
    assert.equal(cache.get('q', 2), undefined);
    // A stamp that moved on drops the window: the next one is ranked again.
    assert.equal(cache.get('q', 1), undefined);
    assert.equal(cache.bytes, 0);
    cache.set('q', 2, window(3));
    assert.equal(cache.get('q', 2)?.rows.length, 3);
  });

  it('holds at most maxBytes, counted with keys, the least recently used going first', () => {
    const measure = new RankingCache(100_000);
    measure.set('a', 7, window(4));
    const four = measure.bytes;
    const cache = new RankingCache(2 * four + four / 2);
    cache.set('a', 7, window(4));
    cache.set('b', 7, window(4));
    assert.ok(cache.get('a', 7));
    cache.set('c', 7, window(4));
    assert.equal(cache.get('b', 7), undefined);
    assert.ok(cache.get('a', 7));
    assert.ok(cache.get('c', 7));
    assert.ok(cache.bytes <= 2 * four + four / 2);
    cache.set('big', 7, window(20));
    assert.equal(cache.get('big', 7), undefined);
    // The same rows under a long key weigh more: it pushes both others out.
    cache.set('q'.repeat(four / 2), 7, window(4));
    assert.equal(cache.size, 1);
    cache.delete('q'.repeat(four / 2));
    assert.equal(cache.size, 0);
    assert.equal(cache.bytes, 0);
  });
});

/** Numbers in [0, 1) from a seed: a linear congruential generator, plenty for picking test cases. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
}

describe('search ranking windows against a full ranking, random feeds', () => {
  // Random matches (few distinct keys, so long ties), random pages, then random new download counts: whenever a
  // window is kept, the page it gives is the page ranking every match again gives. Seeded: a failure names its seed.
  it('gives the full ranking page for every kept window, whatever the counts do', () => {
    let kept = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const random = seededRandom(seed);
      const pick = (n: number) => Math.floor(random() * n);
      const scores = [-2.5, -1, -0.25, 0, 0.5].slice(0, 1 + pick(5));
      const all = Array.from({ length: 1 + pick(150) }, (_, i) =>
        row(
          `id${pick(1000)}.${i}`,
          scores[pick(scores.length)] ?? 0,
          pick(3) === 0 ? 0 : pick(50),
          pick(10) === 0 ? 0 : 1,
          pick(4) === 0 ? 0 : 1,
        ),
      );
      const skip = pick(4) === 0 ? 0 : pick(all.length + 5);
      const take = 1 + pick(40);
      const window = windowOf(fetched(all, skip, take), { skip, take, totalHits: all.length });
      if (!window) continue;
      kept++;
      assert.deepEqual(
        pageOf(window, new Map(all.map((r) => [r.lowerId, r.downloads]))),
        fullPage(all, skip, take),
        `seed ${seed}: at the counts it was ranked with`,
      );
      for (let round = 0; round < 3; round++) {
        const counts = new Map(all.map((r) => [r.lowerId, pick(2) === 0 ? r.downloads : pick(60)]));
        const moved = all.map((r) => ({ ...r, downloads: counts.get(r.lowerId) ?? 0 }));
        assert.deepEqual(pageOf(window, counts), fullPage(moved, skip, take), `seed ${seed}, round ${round}`);
      }
    }
    assert.ok(kept > 1000, `only ${kept} windows kept`);
  });
});
