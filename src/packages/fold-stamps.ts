// Change stamps made of several: a virtual feed's (its members' stamps and settings) and SQLite's text search's
// (every feed's stamp, since bm25 weighs words over the whole index).

/**
 * A hash of the prefix and the parts, as a safe integer: equal parts give equal stamps, and one changed part
 * always gives another (each step below is a bijection of the state for a given part). NaN when a part is NaN
 * (a stamp that could not be read), which equals nothing. The parts are hashed as numbers, two 32-bit words each
 * (stamps are integers: times in ms, catalog numbers, -1 for a feed gone): this runs on every request a virtual
 * feed answers from its cache, where building and hashing their text cost a few microseconds.
 */
export function foldStamps(prefix: readonly [number, number], parts: readonly number[]): number {
  let [high, low] = prefix;
  for (const part of parts) {
    if (Number.isNaN(part)) return Number.NaN;
    const upper = Math.floor(part / 0x100000000) | 0;
    const lower = part >>> 0;
    high = Math.imul(Math.imul(high ^ upper, 0x01000193) ^ lower, 0x01000193) >>> 0;
    low = Math.imul(Math.imul(low ^ upper, 0x5bd1e995) ^ lower, 0x5bd1e995) >>> 0;
  }
  return (high & 0x1fffff) * 0x100000000 + low;
}

export const fnvSeed: readonly [number, number] = [0x811c9dc5, 0x01000193];

/** Two 32-bit FNV-1a-style hashes of `text`, continued from `seed`. */
export function hashText(seed: readonly [number, number], text: string): [number, number] {
  let [high, low] = seed;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    high = Math.imul(high ^ code, 0x01000193) >>> 0;
    low = Math.imul(low ^ code, 0x5bd1e995) >>> 0;
  }
  return [high, low];
}
