// A small, fast, seeded PRNG (mulberry32): the same seed yields the same sequence on every machine, so a
// property-style test that fails names a seed that reproduces it, and a benchmark's synthetic feed is the same
// feed on every run. Not for anything secret.

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
