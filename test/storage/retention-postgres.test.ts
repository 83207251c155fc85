// Retention and quotas on PostgreSQL: the quotas hold under concurrent pushes (the feed's advisory write lock,
// taken inside the insert's transaction), and one retention run per feed holds a session advisory lock that a
// second node's run finds taken (409) and that the server releases when the holder's connection ends.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { quotaSuite } from '../http/quota-suite.ts';
import { assertClientError, startFeed } from '../http/feed-fixture.ts';
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
