// Feed quotas (docs/retention.md, "Quotas"), on any database: a push over maxVersionsPerId or maxFeedSize gets 413
// naming the quota, its limit and the usage, leaves nothing behind, and concurrent pushes never overshoot a quota
// (it is checked inside the insert's transaction, under the feed's write lock). Run on SQLite by
// test/http/retention.test.ts and on PostgreSQL by test/storage/retention-postgres.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { assertClientError, type FeedSettings, startFeed, type TestFeed } from './feed-fixture.ts';

async function createFeed(feed: TestFeed, name: string, settings: Record<string, unknown>): Promise<void> {
  const response = await feed.request('PUT', `/admin/feeds/${name}`, {
    headers: { 'x-nuget-apikey': feed.apiKey!, 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  });
  assert.equal(response.statusCode, 201, response.body);
}

const versionsOf = async (feed: TestFeed, name: string, id: string): Promise<string[]> => {
  const response = await feed.get(`/feeds/${name}/v3/flatcontainer/${id.toLowerCase()}/index.json`);
  return response.statusCode === 404 ? [] : (JSON.parse(response.body) as { versions: string[] }).versions;
};

export function quotaSuite(name: string, settings: () => Promise<FeedSettings>): void {
  describe(`feed quotas (${name})`, () => {
    let feed: TestFeed;
    before(async () => {
      feed = await startFeed(await settings());
    });
    after(() => feed.close());

    test('maxVersionsPerId: the push over it gets 413 naming the quota, the limit and the usage', async () => {
      await createFeed(feed, 'per-id', { maxVersionsPerId: 2 });
      for (const version of ['1.0.0', '1.1.0']) {
        const ok = await feed.push(await buildNupkg({ id: 'Quota.Core', version }), { feed: 'per-id' });
        assert.equal(ok.statusCode, 201, ok.body);
      }
      const refused = await feed.push(await buildNupkg({ id: 'Quota.Core', version: '1.2.0' }), {
        feed: 'per-id',
      });
      const error = assertClientError(refused, 413, 'third version');
      assert.equal(error.code, 'quota_versions_per_id');
      assert.match(error.message, /maxVersionsPerId/);
      assert.match(error.message, /at most 2 versions there and has 2/);
      assert.deepEqual(await versionsOf(feed, 'per-id', 'Quota.Core'), ['1.0.0', '1.1.0']);
      // A duplicate is still a 409 (so --skip-duplicate works), and another id is not limited by this one.
      const duplicate = await feed.push(await buildNupkg({ id: 'Quota.Core', version: '1.0.0' }), {
        feed: 'per-id',
      });
      assert.equal(duplicate.statusCode, 409);
      const other = await feed.push(await buildNupkg({ id: 'Quota.Other', version: '1.0.0' }), {
        feed: 'per-id',
      });
      assert.equal(other.statusCode, 201, other.body);
      // The refused push left no files.
      const files = await feed.filesUnder('blobs/feeds/per-id/packages/quota.core');
      assert.ok(!files.some((file) => file.startsWith('1.2.0/')), files.join('\n'));
    });

    test('maxFeedSize: the push that does not fit gets 413 with the limit and what the feed holds', async () => {
      const first = await buildNupkg({ id: 'Size.A', version: '1.0.0' });
      await createFeed(feed, 'sized', { maxFeedSize: first.length * 2 + 10 });
      for (const id of ['Size.A', 'Size.B']) {
        const ok = await feed.push(await buildNupkg({ id, version: '1.0.0' }), { feed: 'sized' });
        assert.equal(ok.statusCode, 201, ok.body);
      }
      const refused = await feed.push(await buildNupkg({ id: 'Size.C', version: '1.0.0' }), {
        feed: 'sized',
      });
      const error = assertClientError(refused, 413, 'third package');
      assert.equal(error.code, 'quota_feed_size');
      assert.match(error.message, /maxFeedSize/);
      assert.match(error.message, new RegExp(`\\(${first.length * 2 + 10} bytes\\)`));
      assert.deepEqual(await versionsOf(feed, 'sized', 'Size.C'), []);
      // Raising the quota lets the same push in.
      const raised = await feed.request('PATCH', '/admin/feeds/sized', {
        headers: { 'x-nuget-apikey': feed.apiKey!, 'content-type': 'application/json' },
        body: JSON.stringify({ maxFeedSize: null }),
      });
      assert.equal(raised.statusCode, 200, raised.body);
      const now = await feed.push(await buildNupkg({ id: 'Size.C', version: '1.0.0' }), { feed: 'sized' });
      assert.equal(now.statusCode, 201, now.body);
    });

    test('concurrent pushes never overshoot either quota', async () => {
      const sample = await buildNupkg({ id: 'Race.P00', version: '1.0.0' });
      const fits = 5;
      // Room for 5 packages of this size (their sizes differ by a few bytes at most).
      await createFeed(feed, 'race-size', {
        maxFeedSize: sample.length * fits + Math.floor(sample.length / 2),
      });
      const bySize = await Promise.all(
        Array.from({ length: 16 }, async (_, i) =>
          feed.push(await buildNupkg({ id: `Race.P${String(i).padStart(2, '0')}`, version: '1.0.0' }), {
            feed: 'race-size',
            overSocket: true,
          }),
        ),
      );
      assert.deepEqual(bySize.map((r) => r.statusCode).sort(), [
        ...Array<number>(fits).fill(201),
        ...Array<number>(16 - fits).fill(413),
      ]);

      await createFeed(feed, 'race-id', { maxVersionsPerId: 3 });
      const byId = await Promise.all(
        Array.from({ length: 12 }, async (_, i) =>
          feed.push(await buildNupkg({ id: 'Race.Id', version: `1.0.${i}` }), {
            feed: 'race-id',
            overSocket: true,
          }),
        ),
      );
      assert.deepEqual(byId.map((r) => r.statusCode).sort(), [201, 201, 201, ...Array<number>(9).fill(413)]);
      assert.equal((await versionsOf(feed, 'race-id', 'Race.Id')).length, 3);
    });
  });
}
