import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapSpaceStatistics } from 'node:v8';
import { collectGarbage, releaseFreeMallocMemory } from './heap.ts';

// Without --expose-gc (node --test does not pass it), the collector is still reached: the bounds on a push's memory
// and the idle collector depend on it (docs/decisions/0019-perf-writes-group-commit-and-memory.md).
for (const kind of ['minor', 'full'] as const) {
  test(`a ${kind} collection runs without --expose-gc`, () => {
    assert.equal((globalThis as { gc?: unknown }).gc, undefined);
    assert.equal(collectGarbage(kind), true);
  });
}

/** The young generation's size now (both semi-spaces), in bytes. */
const youngGenerationBytes = () =>
  getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? NaN;

test('a full collection hands the young generation back, whatever it grew to', () => {
  // Objects that live through a few scavenges make V8 grow its young generation (as a burst of pushes does).
  let survivors: object[] = [];
  for (let i = 0; i < 4_000_000 && youngGenerationBytes() < 8 * 1024 * 1024; i++) {
    survivors.push({ i, text: `package ${i}` });
    if (survivors.length > 50_000) survivors = [];
  }
  assert.ok(survivors.length > 0);
  assert.ok(youngGenerationBytes() >= 8 * 1024 * 1024, 'the young generation did not grow');
  assert.equal(collectGarbage('full'), true);
  assert.ok(
    youngGenerationBytes() <= 2 * 1024 * 1024,
    `the young generation still holds ${youngGenerationBytes() / 1024 / 1024} MB`,
  );
});

const glibc =
  process.platform === 'linux' &&
  (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime !==
    undefined;

test('the free memory inside the C heap goes back to the system where glibc can (malloc_trim)', () => {
  // 80 MB of buffers (malloc'ed outside V8's heap) with a small one kept after every 16: once the others are
  // collected, the kept ones pin the heap's pages, and glibc by itself gives back only the top of its heap.
  const kept: Buffer[] = [];
  const garbage: Buffer[] = [];
  for (let i = 0; i < 20_000; i++) {
    garbage.push(Buffer.allocUnsafeSlow(4096).fill(1));
    if (i % 16 === 0) kept.push(Buffer.allocUnsafeSlow(64).fill(1));
  }
  garbage.length = 0;
  collectGarbage('full');
  const before = process.memoryUsage.rss();
  assert.equal(releaseFreeMallocMemory(), glibc);
  const handedBackMB = (before - process.memoryUsage.rss()) / 1024 / 1024;
  if (glibc) assert.ok(handedBackMB > 40, `only ${handedBackMB.toFixed(1)} MB handed back`);
  assert.equal(kept.length, 1250);
});
