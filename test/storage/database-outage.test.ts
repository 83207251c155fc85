// An S3 store out of reach answers 503 storage_unavailable the same way, leaving no row and no temporary upload.
// A PostgreSQL database that goes away and comes back: while it is down every request that needs it answers 503
// with Retry-After and a message an operator can act on (never a 500, never a 4xx: the NuGet client retries a 503),
// a push in progress when it stops leaves nothing behind, and once it is back the same server process serves and
// accepts pushes again without a restart. Spec for Retry-After: RFC 9110 §10.2.3.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { parseJson, startFeed, type Response, type TestFeed } from '../http/feed-fixture.ts';
import { assertFeedInvariant, injectReader } from '../support/feed-invariant.ts';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server.ts';
import { startS3Server } from '../support/s3-server.ts';
import { startSocketPush } from '../support/socket-push.ts';

function assertUnavailable(response: Response, what: string): void {
  assert.equal(response.statusCode, 503, `${what}: ${response.statusCode} ${response.body}`);
  const error = parseJson(response)['error'] as { code: string; message: string };
  assert.equal(error.code, 'database_unavailable', what);
  assert.match(error.message, /database/, what);
  assert.ok(Number(response.headers['retry-after']) > 0, `${what}: Retry-After`);
}

describe('PostgreSQL stopped mid-run, then started again', () => {
  let postgres: PostgresServer;
  let feed: TestFeed;
  let databaseUrl: string;

  before(async () => {
    postgres = await startPostgresServer();
    databaseUrl = await postgres.createDatabase();
    feed = await startFeed({ config: { database: databaseUrl } });
    await feed.publish({ id: 'Outage.Before', version: '1.0.0' });
  });
  after(async () => {
    await feed?.close();
    await postgres?.stop();
  });

  test('a push in progress when the database stops gets 503 and leaves nothing behind', async () => {
    const nupkg = await buildNupkg({ id: 'Outage.InFlight', version: '1.0.0' });
    await feed.app.listen({ host: '127.0.0.1', port: 0 });
    const address = feed.app.server.address();
    assert.ok(address && typeof address === 'object');
    // Half the body now, the rest once the database is down.
    const push = startSocketPush(`http://127.0.0.1:${address.port}`, feed.apiKey, nupkg, {
      firstHalfOnly: true,
    });
    await postgres.pause();
    push.sendRest();
    const response = await push.answer;
    assert.equal(response.status, 503, response.body);
    assert.match(response.body, /database_unavailable/);
    assert.ok(Number(response.retryAfter) > 0);
    assert.deepEqual(await feed.filesUnder('tmp'), [], 'no temporary upload is left');
    assert.deepEqual(await feed.filesUnder('blobs/packages/outage.inflight'), [], 'no package file is left');
  });

  test('while it is down: reads and writes answer 503 with Retry-After', async () => {
    assertUnavailable(await feed.get('/v3/flatcontainer/outage.before/index.json'), 'version list');
    assertUnavailable(
      await feed.get('/v3/flatcontainer/outage.before/1.0.0/outage.before.1.0.0.nupkg'),
      'download',
    );
    assertUnavailable(await feed.get('/v3/registration/outage.before/index.json'), 'registration');
    assertUnavailable(await feed.get('/v3/search?q=outage'), 'search');
    assertUnavailable(await feed.get('/v3/catalog/index.json'), 'catalog');
    assertUnavailable(await feed.push(await buildNupkg({ id: 'Outage.During', version: '1.0.0' })), 'push');
    assertUnavailable(
      await feed.request('DELETE', '/v3/package/Outage.Before/1.0.0', {
        headers: { 'x-nuget-apikey': feed.apiKey ?? '' },
      }),
      'unlist',
    );
    assert.deepEqual(await feed.filesUnder('tmp'), []);
  });

  test('once it is back, the same process serves and accepts pushes again', async () => {
    await postgres.resume();
    const list = await feed.get('/v3/flatcontainer/outage.before/index.json');
    assert.equal(list.statusCode, 200, list.body);
    await feed.publish({ id: 'Outage.After', version: '1.0.0' });
    // What failed while the database was down was not stored: it can be pushed now.
    await feed.publish({ id: 'Outage.InFlight', version: '1.0.0' });
    await feed.publish({ id: 'Outage.During', version: '1.0.0' });
    const report = await assertFeedInvariant([injectReader('node', feed.app)]);
    assert.deepEqual([...report.versions.keys()].sort(), [
      'outage.after/1.0.0',
      'outage.before/1.0.0',
      'outage.during/1.0.0',
      'outage.inflight/1.0.0',
    ]);
  });

  test('connections cut by the database (57P01) fail at most one request each with 503, then it recovers', async () => {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
    } finally {
      await admin.end();
    }
    for (let i = 0; i < 12; i++) {
      const response = await feed.get('/v3/flatcontainer/outage.after/index.json');
      assert.ok([200, 503].includes(response.statusCode), `${response.statusCode} ${response.body}`);
    }
    assert.equal((await feed.get('/v3/flatcontainer/outage.after/index.json')).statusCode, 200);
    await feed.publish({ id: 'Outage.After', version: '2.0.0' });
  });
});

describe('the object store out of reach', () => {
  test('pushes and downloads answer 503 storage_unavailable with Retry-After; nothing is left behind', async () => {
    const s3 = await startS3Server();
    process.env['AWS_ACCESS_KEY_ID'] = s3.credentials.accessKeyId;
    process.env['AWS_SECRET_ACCESS_KEY'] = s3.credentials.secretAccessKey;
    const feed = await startFeed({ config: { storage: s3.storageUrl('outage') } });
    try {
      await feed.publish({ id: 'Outage.Stored', version: '1.0.0' });
      await s3.stop();
      const assertStorageUnavailable = (response: Response, what: string) => {
        assert.equal(response.statusCode, 503, `${what}: ${response.body}`);
        assert.equal(parseJson(response)['error'].code, 'storage_unavailable', what);
        assert.ok(Number(response.headers['retry-after']) > 0, `${what}: Retry-After`);
      };
      assertStorageUnavailable(
        await feed.push(await buildNupkg({ id: 'Outage.Unstored', version: '1.0.0' })),
        'push',
      );
      assert.equal((await feed.get('/v3/flatcontainer/outage.unstored/index.json')).statusCode, 404);
      assert.deepEqual(await feed.filesUnder('tmp'), []);
      assertStorageUnavailable(
        await feed.get('/v3/flatcontainer/outage.stored/1.0.0/outage.stored.1.0.0.nupkg'),
        'download',
      );
    } finally {
      await feed.close();
      await s3.stop();
    }
  });
});
