import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { importedOnce } from './lazy-import.ts';

describe('importedOnce', () => {
  it('loads once for every caller, during and after the load', async () => {
    let loads = 0;
    const load = importedOnce(async () => {
      loads += 1;
      return { loaded: loads };
    });
    const [a, b] = await Promise.all([load(), load()]);
    const c = await load();
    assert.equal(loads, 1);
    assert.equal(a, b);
    assert.equal(a, c);
  });

  it('tries again after a failed load, and keeps the one that succeeds', async () => {
    let loads = 0;
    const load = importedOnce(async () => {
      loads += 1;
      if (loads === 1) throw new Error('EMFILE: too many open files');
      return 'module';
    });
    await assert.rejects(load(), /EMFILE/);
    assert.equal(await load(), 'module');
    assert.equal(await load(), 'module');
    assert.equal(loads, 2);
  });
});
