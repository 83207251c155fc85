// Health, metrics and ranged downloads of a node on PostgreSQL and an S3-compatible store (docs/operations.md):
// /health/ready round-trips a probe through the bucket and fails, naming the check, when the bucket or the database
// goes away for real; /metrics shows the pg pool; a Range of a large package is read from the bucket as a range.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/http/app.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import type { TestFeed } from '../http/feed-fixture.ts';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.ts';
import { type SharedBackends, startSharedBackends } from '../support/shared-backends.ts';

describe('a node on PostgreSQL and S3', () => {
  let backends: SharedBackends;
  let node: TestFeed;
  const get = (url: string, headers: Record<string, string> = {}) =>
    node.app.inject({ method: 'GET', url, headers });

  before(async () => {
    backends = await startSharedBackends();
    [node] = (await backends.startNodes(['unlist'])) as [TestFeed];
  });
  after(async () => {
    // The last test stops both servers under the node.
    await node?.close().catch(() => {});
    await backends?.stop();
  });

  test('/metrics parses and shows the PostgreSQL pool', async () => {
    const response = await get('/metrics');
    assert.equal(response.statusCode, 200);
    const families = parsePrometheusText(response.body);
    assert.ok(sampleValue(families, 'nugget_db_pool_connections') >= 1);
    assert.ok(families.has('nugget_db_pool_idle_connections'));
    assert.ok(families.has('nugget_db_pool_waiting_requests'));
    assert.ok(!families.has('nugget_sqlite_database_bytes'));
  });

  test('a Range of a package too large to keep in memory is read from the bucket as that range', async () => {
    const nupkg = await buildNupkg({
      id: 'Ranged.Large',
      version: '1.0.0',
      files: [{ path: 'content/noise.bin', content: randomBytes(1300 * 1024) }],
    });
    const push = await node.push(nupkg);
    assert.equal(push.statusCode, 201, push.body);
    const url = '/v3/flatcontainer/ranged.large/1.0.0/ranged.large.1.0.0.nupkg';
    const size = nupkg.length;
    for (const [range, start, end] of [
      ['bytes=0-0', 0, 0],
      ['bytes=100-1099', 100, 1099],
      ['bytes=-10', size - 10, size - 1],
    ] as const) {
      const answer = await get(url, { range });
      assert.equal(answer.statusCode, 206, range);
      assert.equal(answer.headers['content-range'], `bytes ${start}-${end}/${size}`);
      assert.deepEqual(answer.rawPayload, nupkg.subarray(start, end + 1), range);
    }
    const past = await get(url, { range: `bytes=${size}-` });
    assert.equal(past.statusCode, 416);
    assert.equal(past.headers['content-range'], `bytes */${size}`);
  });

  test('/health/ready: 200 with a round trip through the bucket, then 503 naming what went away', async () => {
    // Results of /health/ready are kept for 2 s; this app's results follow failures as they happen.
    const app = await buildApp({ ...node.feed, options: { ...node.feed.options, readinessCacheMs: 0 } });
    const get = (url: string) => app.inject({ method: 'GET', url });
    try {
      const ready = await get('/health/ready');
      assert.equal(ready.statusCode, 200, ready.body);
      const probes = [];
      for await (const blob of node.feed.blobs.list('health')) probes.push(blob.key);
      assert.deepEqual(probes, [], 'the probe blob is removed');

      await backends.s3.stop();
      const noBucket = await get('/health/ready');
      assert.equal(noBucket.statusCode, 503);
      assert.equal(noBucket.json().checks.storage.ok, false);
      assert.equal(noBucket.json().checks.database.ok, true);

      await backends.postgres.stop();
      const nothing = await get('/health/ready');
      assert.equal(nothing.statusCode, 503);
      assert.equal(nothing.json().checks.database.ok, false);
      assert.equal((await get('/health/live')).statusCode, 200, 'the process itself is still live');
    } finally {
      await app.close();
    }
  });
});
