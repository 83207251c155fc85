// Retention and quotas on PostgreSQL: the quotas hold under concurrent pushes (the feed's advisory write lock,
// taken inside the insert's transaction), and one retention run per feed holds a session advisory lock that a
// second node's run finds taken (409) and that the server releases when the holder's connection ends.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { quotaSuite } from '../http/quota-suite.ts';
import { assertClientError, startFeed } from '../http/feed-fixture.ts';
import { assertFeedInvariant, injectReader } from '../support/feed-invariant.ts';
import { startPostgresServer } from '../support/postgres-server.ts';

const server = await startPostgresServer();
after(() => server.stop());

quotaSuite('PostgreSQL', async () => ({ config: { database: await server.createDatabase() } }));

test('retention lock on PostgreSQL: a second node gets 409 while the first runs, then runs itself', async () => {
  const database = await server.createDatabase();
  const first = await startFeed({ config: { database } });
  const second = await startFeed({ config: { database } });
  try {
    const admin = { 'x-nuget-apikey': first.apiKey!, 'content-type': 'application/json' };
    const runOn = (node: typeof first) =>
      node.request('POST', '/v3/admin/retention/run', { headers: admin, body: '{"dryRun": true}' });
    await first.services.retention.lock.withLock('default', async () => {
      assert.equal(assertClientError(await runOn(second), 409).code, 'retention_running');
    });
    const ok = await runOn(second);
    assert.equal(ok.statusCode, 200, ok.body);
  } finally {
    await first.close();
    await second.close();
  }
});

test('a retention run on PostgreSQL removes what its dry run planned, in the catalog, and the feed stays whole', async () => {
  const feed = await startFeed({ config: { database: await server.createDatabase() } });
  try {
    const admin = { 'x-nuget-apikey': feed.apiKey!, 'content-type': 'application/json' };
    for (const version of ['1.0.0-ci.1', '1.0.0-ci.2', '1.0.0-ci.3', '1.0.0']) {
      await feed.publish({ id: 'Pg.Lib', version });
    }
    const set = await feed.request('PUT', '/v3/admin/retention', {
      headers: admin,
      body: JSON.stringify({ rules: [{ kind: 'keep-latest-prereleases', count: 1, action: 'delete' }] }),
    });
    assert.equal(set.statusCode, 200, set.body);
    const dry = await feed.request('POST', '/v3/admin/retention/run', {
      headers: admin,
      body: '{"dryRun": true}',
    });
    // Without a body, a run is a real run.
    const real = await feed.request('POST', '/v3/admin/retention/run', {
      headers: { 'x-nuget-apikey': feed.apiKey! },
    });
    assert.equal(real.statusCode, 200, real.body);
    assert.deepEqual(JSON.parse(real.body).plan.decisions, JSON.parse(dry.body).plan.decisions);
    assert.deepEqual((await feed.json('/v3/flatcontainer/pg.lib/index.json'))['versions'], [
      '1.0.0-ci.3',
      '1.0.0',
    ]);
    const report = await assertFeedInvariant([injectReader('node', feed.app)]);
    assert.deepEqual([...report.versions.keys()].sort(), ['pg.lib/1.0.0', 'pg.lib/1.0.0-ci.3']);
  } finally {
    await feed.close();
  }
});
