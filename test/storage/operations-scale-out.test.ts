// Health, metrics and ranged downloads of a node on PostgreSQL and an S3-compatible store (docs/operations.md):
// /health/ready round-trips a probe through the bucket and fails, naming the check, when the bucket or the database
// goes away for real; /metrics shows the pg pool; a Range of a large package is read from the bucket as a range.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { composeNugget, type Nugget } from '../../src/compose.ts';
import { configSchema } from '../../src/config/config.ts';
import { buildApp } from '../../src/http/app.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { multipartBody } from '../http/feed-fixture.ts';
import { type PostgresServer, startPostgresServer } from '../support/postgres-server.ts';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.ts';
import { type S3TestServer, startS3Server } from '../support/s3-server.ts';

const apiKey = 'operations-test-key';

describe('a node on PostgreSQL and S3', () => {
  let postgres: PostgresServer;
  let s3: S3TestServer;
  let dataDir: string;
  let nugget: Nugget;
  const get = (url: string, headers: Record<string, string> = {}) =>
    nugget.app.inject({ method: 'GET', url, headers });

  before(async () => {
    postgres = await startPostgresServer();
    s3 = await startS3Server();
    process.env['AWS_ACCESS_KEY_ID'] = s3.credentials.accessKeyId;
    process.env['AWS_SECRET_ACCESS_KEY'] = s3.credentials.secretAccessKey;
    dataDir = await mkdtemp(join(tmpdir(), 'nugget-operations-'));
    const config = configSchema.parse({
      dataDir,
      apiKey,
      database: await postgres.createDatabase(),
      storage: s3.storageUrl('feed'),
      logLevel: 'silent',
    });
    nugget = await composeNugget(config, { downloadFlushMs: 0 });
  });
  after(async () => {
    await nugget?.close().catch(() => {});
    await s3?.stop();
    await postgres?.stop();
    await rm(dataDir, { recursive: true, force: true });
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
    const push = await nugget.app.inject({
      method: 'PUT',
      url: '/v3/package',
      headers: { 'x-nuget-apikey': apiKey, 'content-type': 'multipart/form-data; boundary="b0undary"' },
      payload: multipartBody(nupkg, 'b0undary'),
    });
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
    const app = await buildApp({ ...nugget.feed, options: { ...nugget.feed.options, readinessCacheMs: 0 } });
    const get = (url: string) => app.inject({ method: 'GET', url });
    try {
      const ready = await get('/health/ready');
      assert.equal(ready.statusCode, 200, ready.body);
      const probes = [];
      for await (const blob of nugget.feed.blobs.list('health')) probes.push(blob.key);
      assert.deepEqual(probes, [], 'the probe blob is removed');

      await s3.stop();
      const noBucket = await get('/health/ready');
      assert.equal(noBucket.statusCode, 503);
      assert.equal(noBucket.json().checks.storage.ok, false);
      assert.equal(noBucket.json().checks.database.ok, true);

      await postgres.stop();
      const nothing = await get('/health/ready');
      assert.equal(nothing.statusCode, 503);
      assert.equal(nothing.json().checks.database.ok, false);
      assert.equal((await get('/health/live')).statusCode, 200, 'the process itself is still live');
    } finally {
      await app.close();
    }
  });
});
