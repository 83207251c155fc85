import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Readable } from 'node:stream';
import type { BlobStore } from './ports.ts';
import { ReadinessCheck } from './readiness.ts';

/** Blobs in a Map, counting what is asked of it. */
function memoryBlobs() {
  const blobs = new Map<string, Buffer>();
  const calls = { put: 0, open: 0, deletePrefix: 0 };
  const store: BlobStore = {
    async putFile() {
      throw new Error('not used');
    },
    async put(key, bytes) {
      calls.put++;
      blobs.set(key, Buffer.from(bytes));
    },
    async copy(fromKey, toKey) {
      const bytes = blobs.get(fromKey);
      if (bytes) blobs.set(toKey, bytes);
      return bytes !== undefined;
    },
    async open(key) {
      calls.open++;
      const bytes = blobs.get(key);
      return bytes && { size: bytes.length, stream: Readable.from([bytes]) };
    },
    async deletePrefix(prefix) {
      calls.deletePrefix++;
      for (const key of [...blobs.keys()])
        if (key === prefix || key.startsWith(`${prefix}/`)) blobs.delete(key);
    },
    async *list() {},
  };
  return { store, blobs, calls };
}

/** A store that fails (or hangs) while `mode` says so, and otherwise does what `inner` does. */
function failing(inner: BlobStore) {
  const state: { mode: 'ok' | 'fail' | 'hang' | 'corrupt' } = { mode: 'ok' };
  const guard = async () => {
    if (state.mode === 'fail') throw Object.assign(new Error('EIO: /secret/path/blobs'), { code: 'EIO' });
    if (state.mode === 'hang') await new Promise(() => {});
  };
  const store: BlobStore = {
    ...inner,
    async put(key, bytes) {
      await guard();
      await inner.put(key, state.mode === 'corrupt' ? Buffer.from('other') : bytes);
    },
    async open(key) {
      await guard();
      return inner.open(key);
    },
  };
  return { store, state };
}

const queryDatabase = (state: { down: boolean }) => async () => {
  if (state.down)
    throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
  return 1;
};

describe('ReadinessCheck', () => {
  test('ready when the database answers and a probe blob round-trips; the probe is removed', async () => {
    const { store, blobs, calls } = memoryBlobs();
    const check = new ReadinessCheck(
      { queryDatabase: queryDatabase({ down: false }), blobs: store },
      { cacheMs: 0 },
    );
    const result = await check.check();
    assert.equal(result.ready, true);
    assert.equal(result.checks.database.ok, true);
    assert.equal(result.checks.storage.ok, true);
    assert.deepEqual(calls, { put: 1, open: 1, deletePrefix: 1 });
    assert.equal(blobs.size, 0, 'no probe left behind');
  });

  test('names the failed check with an error code only, and reports the full error', async () => {
    const memory = memoryBlobs();
    const { store, state } = failing(memory.store);
    const database = { down: false };
    const failures: [string, unknown][] = [];
    const check = new ReadinessCheck(
      { queryDatabase: queryDatabase(database), blobs: store },
      { cacheMs: 0, onFailure: (name, error) => failures.push([name, error]) },
    );
    state.mode = 'fail';
    let result = await check.check();
    assert.equal(result.ready, false);
    assert.deepEqual(result.checks.storage.ok, false);
    assert.equal(result.checks.storage.error, 'EIO');
    assert.equal(result.checks.database.ok, true);
    assert.equal(failures[0]?.[0], 'storage');

    state.mode = 'corrupt';
    result = await check.check();
    assert.equal(result.checks.storage.error, 'corrupt');

    state.mode = 'ok';
    database.down = true;
    result = await check.check();
    assert.equal(result.ready, false);
    assert.equal(result.checks.database.error, 'ECONNREFUSED');
    assert.equal(result.checks.storage.ok, true);
    assert.doesNotMatch(JSON.stringify(result), /10\.0\.0\.5|secret/);
  });

  test('a hanging store fails by the deadline, and is not probed again while it hangs', async () => {
    const memory = memoryBlobs();
    const { store, state } = failing(memory.store);
    const check = new ReadinessCheck(
      { queryDatabase: queryDatabase({ down: false }), blobs: store },
      { cacheMs: 0, timeoutMs: 50 },
    );
    state.mode = 'hang';
    const first = await check.check();
    assert.equal(first.ready, false);
    assert.match(first.checks.storage.error ?? '', /timed out after 50 ms/);
    const second = await check.check();
    assert.match(second.checks.storage.error ?? '', /previous check has not finished/);
    assert.equal(second.checks.database.ok, true);
  });

  test('a result is kept for cacheMs: many polls, one probe', async () => {
    const { store, calls } = memoryBlobs();
    const check = new ReadinessCheck(
      { queryDatabase: queryDatabase({ down: false }), blobs: store },
      { cacheMs: 60_000 },
    );
    const results = await Promise.all(Array.from({ length: 50 }, () => check.check()));
    assert.ok(results.every((r) => r.ready));
    assert.equal(calls.put, 1);
  });
});
