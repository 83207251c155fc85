import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { ChangeStamps } from '../packages/ports.ts';
import { ByteLru } from './byte-lru.ts';
import { StampedCache } from './response-cache.ts';
import { collectGarbage } from '../heap.ts';

/** Stamps a test moves by hand: a feed-wide one, and one per id. */
function fakeStamps() {
  const perId = new Map<string, number>();
  let global = 1;
  const stamps: ChangeStamps & { calls: { latest: number; latestFor: number } } = {
    calls: { latest: 0, latestFor: 0 },
    async latest() {
      stamps.calls.latest++;
      return global;
    },
    async latestFor(lowerId: string) {
      stamps.calls.latestFor++;
      return perId.get(lowerId) ?? 0;
    },
  };
  const change = (lowerId: string) => {
    global++;
    perId.set(lowerId, global);
  };
  return { stamps, change };
}

function counter() {
  let n = 0;
  const build = async () => ({ value: `v${++n}`, bytes: 10 });
  return { build, count: () => n };
}

describe('StampedCache', () => {
  it('builds once while nothing changes', async () => {
    const { stamps } = fakeStamps();
    const cache = new StampedCache<string>(1_000_000);
    const { build, count } = counter();
    for (let i = 0; i < 5; i++)
      assert.equal(await cache.getOrBuild('k', { feed: 'default', stamps, lowerId: 'a' }, build), 'v1');
    assert.equal(count(), 1);
    assert.equal(stamps.calls.latestFor, 1, 'the per-id stamp is read only to build');
  });

  it("keeps an id's document when another id changes, and rebuilds it when its own id changes", async () => {
    const { stamps, change } = fakeStamps();
    const cache = new StampedCache<string>(1_000_000);
    const { build, count } = counter();
    await cache.getOrBuild('a', { feed: 'default', stamps, lowerId: 'a' }, build);
    change('b');
    assert.equal(await cache.getOrBuild('a', { feed: 'default', stamps, lowerId: 'a' }, build), 'v1');
    assert.equal(count(), 1);
    change('a');
    assert.equal(await cache.getOrBuild('a', { feed: 'default', stamps, lowerId: 'a' }, build), 'v2');
    assert.equal(count(), 2);
  });

  it('rebuilds a feed-wide document after any change', async () => {
    const { stamps, change } = fakeStamps();
    const cache = new StampedCache<string>(1_000_000);
    const { build } = counter();
    assert.equal(await cache.getOrBuild('search', { feed: 'default', stamps }, build), 'v1');
    change('z');
    assert.equal(await cache.getOrBuild('search', { feed: 'default', stamps }, build), 'v2');
  });

  it('past its max age, answers the current-stamp value and rebuilds it once behind the answer', async () => {
    const { stamps } = fakeStamps();
    const cache = new StampedCache<string>(1_000_000);
    let builds = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const build = async () => {
      builds++;
      if (builds > 1) await gate; // the rebuild stays in flight until the test releases it
      return { value: `v${builds}`, bytes: 10 };
    };
    await cache.getOrBuild('s', { feed: 'default', stamps, maxAgeMs: 1 }, build);
    await delay(5);
    assert.equal(await cache.getOrBuild('s', { feed: 'default', stamps, maxAgeMs: 1 }, build), 'v1');
    assert.equal(await cache.getOrBuild('s', { feed: 'default', stamps, maxAgeMs: 1 }, build), 'v1');
    await delay(1);
    assert.equal(builds, 2, 'one rebuild for two late reads');
    release();
    await delay(1);
    assert.equal(await cache.getOrBuild('s', { feed: 'default', stamps, maxAgeMs: 1_000 }, build), 'v2');
  });

  it('rebuilds answers behind them each in a turn of its own, other work running between two', async () => {
    const { stamps } = fakeStamps();
    const cache = new StampedCache<string>(1_000_000);
    const order: string[] = [];
    // Synchronous work, as a SQLite query is: nothing else runs until it returns.
    const build = (name: string) => async () => {
      order.push(`build ${name}`);
      return { value: name, bytes: 1 };
    };
    const keys = ['a', 'b', 'c'];
    for (const k of keys) await cache.getOrBuild(k, { feed: 'default', stamps, maxAgeMs: 1 }, build(k));
    await delay(5);
    // Answers built together turn old together: each read answers at once and asks for a rebuild behind it.
    for (const k of keys) {
      assert.equal(await cache.getOrBuild(k, { feed: 'default', stamps, maxAgeMs: 1 }, build(k)), k);
    }
    // A request arriving meanwhile is served before the second rebuild starts.
    setImmediate(() => order.push('request'));
    await delay(30);
    assert.deepEqual(order.slice(keys.length), ['build a', 'request', 'build b', 'build c']);
  });

  it('keeps at most four rebuilds behind answers waiting at once; one that hangs holds up no other', async () => {
    const { stamps } = fakeStamps();
    const cache = new StampedCache<string>(1_000_000);
    const started: string[] = [];
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const build = (name: string, rebuilds: { n: number }) => async () => {
      if (rebuilds.n++ > 0) {
        started.push(name);
        // An upstream that does not answer: the rebuild waits until the test releases it.
        if (name.startsWith('slow')) await gate;
      }
      return { value: `${name}${rebuilds.n}`, bytes: 1 };
    };
    const keys = ['slow1', 'fast1', 'slow2', 'slow3', 'slow4', 'slow5', 'fast2'];
    const builds = new Map(keys.map((k) => [k, build(k, { n: 0 })]));
    const read = (k: string) =>
      cache.getOrBuild(
        k,
        { feed: 'default', stamps, maxAgeMs: 1 },
        builds.get(k) as () => Promise<{
          value: string;
          bytes: number;
        }>,
      );
    for (const k of keys) await read(k);
    await delay(5);
    for (const k of keys) await read(k);
    await delay(30);
    // fast1 finished beside slow1; slow2-slow4 fill the four places; slow5 and fast2 wait for one.
    assert.deepEqual(started, ['slow1', 'fast1', 'slow2', 'slow3', 'slow4']);
    assert.equal(await read('fast1'), 'fast12');
    release();
    await delay(30);
    assert.deepEqual(started.slice(5, 7), ['slow5', 'fast2']);
    assert.equal(await read('fast2'), 'fast22');
  });

  it('rebuilds waiting behind answers hold no more than the byte budget, whatever churns through it', async () => {
    // A slow upstream or database holds the four places; meanwhile many distinct answers turn old, are read once
    // more (a rebuild asked each) and are pushed out of the cache by newer ones. What waits must not keep them.
    const { stamps } = fakeStamps();
    const budget = 1024 * 1024;
    const cache = new StampedCache<Buffer>(budget);
    const hang = new Promise<never>(() => {});
    const built = new Set<string>();
    const build = (key: string) => async () => {
      if (built.has(key)) return hang;
      built.add(key);
      return { value: Buffer.alloc(100_000, 1), bytes: 100_000 };
    };
    const external = () => {
      collectGarbage('full');
      return process.memoryUsage().arrayBuffers;
    };
    const before = external();
    for (let i = 0; i < 400; i++) {
      const key = `answer ${i}`;
      await cache.getOrBuild(key, { feed: 'default', stamps, maxAgeMs: 0 }, build(key));
      await cache.getOrBuild(key, { feed: 'default', stamps, maxAgeMs: 0 }, build(key));
    }
    await delay(20);
    const held = external() - before;
    assert.ok(held < 2 * budget, `${(held / 1024 / 1024).toFixed(1)} MB held for a budget of 1 MB`);
  });

  it('does not cache a failed build', async () => {
    const { stamps } = fakeStamps();
    const cache = new StampedCache<string>(1_000_000);
    await assert.rejects(
      cache.getOrBuild('x', { feed: 'default', stamps }, async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(
      await cache.getOrBuild('x', { feed: 'default', stamps }, async () => ({ value: 'ok', bytes: 1 })),
      'ok',
    );
  });
});

describe('ByteLru', () => {
  it('evicts the least recently used entries beyond its byte budget', () => {
    const lru = new ByteLru<string>(800);
    lru.set('a', 'A', 100);
    lru.set('b', 'B', 100);
    assert.equal(lru.get('a'), 'A');
    for (const key of ['c', 'd', 'e', 'f', 'g', 'h', 'i']) lru.set(key, key, 100);
    assert.equal(lru.get('b'), undefined, 'b was the least recently used');
    assert.equal(lru.get('a'), 'A');
    assert.equal(lru.size, 8);
  });

  it('keeps the entry just stored, even when every older one was read since (their second chance)', () => {
    const lru = new ByteLru<string>(800);
    const older = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    for (const key of older) lru.set(key, key, 100);
    for (const key of older) lru.get(key);
    lru.set('i', 'I', 100);
    assert.equal(lru.get('i'), 'I', 'the newest entry stays');
    assert.equal(lru.size, 8);
    assert.equal(lru.get('a'), undefined, 'the oldest goes once every second chance is used');
    lru.set('j', 'J', 100);
    assert.equal(lru.get('b'), undefined, 'b, not read again since its second chance, goes next');
    assert.equal(lru.get('i'), 'I');
  });

  it('refuses an entry larger than an eighth of its budget', () => {
    const lru = new ByteLru<string>(800);
    lru.set('big', 'x', 101);
    assert.equal(lru.get('big'), undefined);
  });
});

describe('StampedCache: concurrent misses', () => {
  it('share one build of a key at the same stamps, and each gets its value', async () => {
    const { stamps } = fakeStamps();
    const cache = new StampedCache<string>(1_000_000);
    let builds = 0;
    const build = async () => {
      builds++;
      await delay(20);
      return { value: `v${builds}`, bytes: 10 };
    };
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => cache.getOrBuild('search', { feed: 'default', stamps }, build)),
    );
    assert.equal(builds, 1);
    assert.deepEqual(new Set(answers), new Set(['v1']));
  });

  it('a build at older stamps is not shared with a request that reads newer ones', async () => {
    const { stamps, change } = fakeStamps();
    const cache = new StampedCache<string>(1_000_000);
    let builds = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const build = async () => {
      const n = ++builds;
      if (n === 1) await gate;
      return { value: `v${n}`, bytes: 10 };
    };
    const first = cache.getOrBuild('search', { feed: 'default', stamps }, build);
    await delay(5);
    change('a');
    const second = cache.getOrBuild('search', { feed: 'default', stamps }, build);
    await delay(5);
    release();
    assert.equal(await first, 'v1');
    assert.equal(await second, 'v2', 'the request after the change waits for no build from before it');
  });

  it('a failed build fails the requests that shared it, and the next request builds again', async () => {
    const { stamps } = fakeStamps();
    const cache = new StampedCache<string>(1_000_000);
    let builds = 0;
    const build = async () => {
      builds++;
      await delay(5);
      if (builds === 1) throw new Error('database went away');
      return { value: 'ok', bytes: 10 };
    };
    const shared = await Promise.allSettled(
      Array.from({ length: 3 }, () => cache.getOrBuild('k', { feed: 'default', stamps }, build)),
    );
    assert.deepEqual(
      shared.map((result) => result.status),
      ['rejected', 'rejected', 'rejected'],
    );
    assert.equal(await cache.getOrBuild('k', { feed: 'default', stamps }, build), 'ok');
    assert.equal(builds, 2);
  });
});
