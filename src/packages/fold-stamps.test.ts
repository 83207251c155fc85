import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foldStamps } from './fold-stamps.ts';

describe('a change stamp made of several (foldStamps)', () => {
  const prefix: readonly [number, number] = [0x811c9dc5, 0x01000193];
  // Stamps as they come: times in ms, catalog numbers, 0 for nothing yet, -1 for a feed gone.
  const parts = [1_764_633_600_123, 42, 0, -1, 2, 1_764_633_600_999];

  it('is the same for the same parts, and a safe integer', () => {
    assert.equal(foldStamps(prefix, parts), foldStamps(prefix, [...parts]));
    assert.ok(Number.isSafeInteger(foldStamps(prefix, parts)));
  });

  it('changes whenever any one part changes, by any amount', () => {
    const base = foldStamps(prefix, parts);
    const seen = new Set([base]);
    for (let i = 0; i < parts.length; i++) {
      for (const delta of [1, -1, 2 ** 32, -(2 ** 32), 1000, 2 ** 40]) {
        const moved = parts.map((p, j) => (j === i ? p + delta : p));
        const folded = foldStamps(prefix, moved);
        assert.notEqual(folded, base, `part ${i} moved by ${delta}`);
        seen.add(folded);
      }
    }
    assert.equal(seen.size, 1 + parts.length * 6, 'every change gives its own stamp');
  });

  it('differs with the prefix (the settings) and with parts swapped', () => {
    assert.notEqual(foldStamps(prefix, parts), foldStamps([prefix[0] + 1, prefix[1]], parts));
    assert.notEqual(foldStamps(prefix, [1, 2]), foldStamps(prefix, [2, 1]));
  });

  it('is NaN, equal to no kept stamp, when a part could not be read', () => {
    assert.ok(Number.isNaN(foldStamps(prefix, [1, Number.NaN, 3])));
  });
});
