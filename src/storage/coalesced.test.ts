import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Coalesced, moment } from './coalesced.ts';

/** An operation whose answers the test releases one by one; each answers with `committed` as it was when begun. */
function controlledReads() {
  const state = { committed: 0, begun: 0 };
  const pending: (() => void)[] = [];
  const reads = new Coalesced<number>(async () => {
    state.begun++;
    const seen = state.committed;
    await new Promise<void>((release) => pending.push(release));
    return seen;
  });
  const releaseOne = async () => {
    pending.shift()?.();
    // Let the released read's callers and the next read begin.
    await new Promise((settle) => setImmediate(settle));
  };
  return { state, reads, releaseOne };
}

test('a caller never gets the answer of a read begun before its call', async () => {
  const { state, reads, releaseOne } = controlledReads();
  const first = reads.run('feed');
  // A commit acknowledged while the first read is in flight, then a caller: the first read began before it.
  state.committed = 1;
  const second = reads.run('feed');
  const third = reads.run('feed');
  await releaseOne();
  assert.equal(await first, 0);
  await releaseOne();
  assert.equal(await second, 1, 'the caller after the commit sees it');
  assert.equal(await third, 1);
  assert.equal(state.begun, 2, 'the callers arriving during one read share the next one');
});

test('callers arriving during a read share the next one; different keys do not', async () => {
  const { state, reads, releaseOne } = controlledReads();
  const a = [reads.run('a'), reads.run('a'), reads.run('a')];
  const b = reads.run('b');
  assert.equal(state.begun, 2, "one read of each key; a's next one waits for the first");
  for (let i = 0; i < 3; i++) await releaseOne();
  assert.deepEqual(await Promise.all([...a, b]), [0, 0, 0, 0]);
  assert.deepEqual(reads.counts, { operations: 3, callers: 4 });
});

test('under random interleavings every caller sees every commit made before its call', async () => {
  for (let round = 0; round < 50; round++) {
    const { state, reads, releaseOne } = controlledReads();
    const calls: { before: number; answer: number | undefined }[] = [];
    const call = () => {
      const made: { before: number; answer: number | undefined } = {
        before: state.committed,
        answer: undefined,
      };
      void reads.run('feed').then((answer) => (made.answer = answer));
      calls.push(made);
    };
    for (let step = 0; step < 40; step++) {
      const choice = Math.random();
      if (choice < 0.3) state.committed++;
      else if (choice < 0.7) call();
      else await releaseOne();
    }
    while (calls.some((made) => made.answer === undefined)) await releaseOne();
    for (const made of calls) assert.ok(made.answer! >= made.before, `${made.answer} < ${made.before}`);
  }
});

test('a failed read fails its callers only; the next caller starts another', async () => {
  let calls = 0;
  const reads = new Coalesced<number>(async () => {
    calls++;
    if (calls === 1) throw new Error('connection lost');
    return calls;
  });
  await assert.rejects(reads.run('feed'), /connection lost/);
  assert.equal(await reads.run('feed'), 2);
});

test('moments only grow', () => {
  const first = moment();
  assert.ok(moment() > first);
});
