import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectGarbage } from './heap.ts';

// Without --expose-gc (node --test does not pass it), the collector is still reached: the bounds on a push's memory
// and the idle collector depend on it (docs/decisions/0019-perf-writes-group-commit-and-memory.md).
for (const kind of ['minor', 'full'] as const) {
  test(`a ${kind} collection runs without --expose-gc`, () => {
    assert.equal((globalThis as { gc?: unknown }).gc, undefined);
    assert.equal(collectGarbage(kind), true);
  });
}
