// Replication: feed B follows feed A's catalog (pushes, unlists, relists, deprecations, hard deletes), catches up
// incrementally, and then answers the same version lists and registrations.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ReplicationSummary,
  replicateFeed,
  type RemoteFeed,
} from '../../src/packages/replicate-feed.ts';
import { HttpRemoteFeed } from '../../src/storage/remote/http-remote-feed.ts';
import { type JsonObject, startFeed, type TestFeed, testApiKey } from './feed-fixture.ts';

const ids = ['Repl.Alpha', 'Repl.Beta', 'Repl.Gamma'];
const noProgress = { start: () => {}, advance: () => {} };

/** What must agree between the feeds: each id's version list and, per version, listed and deprecation. */
async function view(get: (url: string) => Promise<{ status: number; body: JsonObject }>) {
  const result: Record<string, unknown> = {};
  for (const id of ids) {
    const lower = id.toLowerCase();
    const list = await get(`/v3/flatcontainer/${lower}/index.json`);
    const registration = await get(`/v3/registration-gz-semver2/${lower}/index.json`);
    const leaves =
      registration.status === 200
        ? (registration.body['items'] as JsonObject[]).flatMap((page) =>
            (page['items'] as JsonObject[]).map((leaf) => {
              const entry = leaf['catalogEntry'] as JsonObject;
              return [entry['version'], entry['listed'], entry['deprecation'] ?? null];
            }),
          )
        : registration.status;
    result[id] = { versions: list.status === 200 ? list.body['versions'] : list.status, leaves };
  }
  return result;
}

describe('nugget replicate', () => {
  let source: TestFeed;
  let target: TestFeed;
  let sourceUrl: string;
  let remote: RemoteFeed;

  const viaHttp = async (url: string) => {
    const response = await fetch(new URL(url, sourceUrl));
    return {
      status: response.status,
      body: response.status === 200 ? ((await response.json()) as JsonObject) : {},
    };
  };
  const viaInject = async (url: string) => {
    const response = await target.get(url, { 'accept-encoding': 'identity' });
    return {
      status: response.statusCode,
      body: response.statusCode === 200 ? (response.json() as JsonObject) : {},
    };
  };
  const replicate = (options: { ids?: string[]; remote?: RemoteFeed } = {}): Promise<ReplicationSummary> =>
    replicateFeed(
      {
        ...target.feed,
        feed: target.defaultFeed.feed,
        cursors: target.feed.replicationCursors,
        remote: options.remote ?? remote,
      },
      { source: `${sourceUrl}/v3/index.json`, ...(options.ids ? { ids: options.ids } : {}) },
      noProgress,
    );
  const unlist = (id: string, version: string) =>
    source.request('DELETE', `/v3/package/${id}/${version}`, { headers: { 'x-nuget-apikey': testApiKey } });

  before(async () => {
    // The source hard-deletes on DELETE; unlisting goes through the use case the unlist behaviour uses.
    source = await startFeed({ deleteBehavior: 'delete' });
    target = await startFeed();
    const address = await source.app.listen({ host: '127.0.0.1', port: 0 });
    sourceUrl = address;
    remote = new HttpRemoteFeed({ tempDir: join(target.dataDir, 'tmp') });
  });
  after(async () => {
    await source.close();
    await target.close();
  });

  it('copies pushes, unlists, deprecations and deletes, and leaves nothing to do on a rerun', async () => {
    for (const version of ['1.0.0', '1.1.0', '2.0.0-beta.1+build.7'])
      await source.publish({ id: 'Repl.Alpha', version });
    await source.publish({ id: 'Repl.Beta', version: '1.0.0' });
    await source.publish({ id: 'Repl.Gamma', version: '1.0.0' });
    await source.feed.packages.setListed('repl.alpha', '1.1.0', false);
    await source.feed.packages.setDeprecation('repl.beta', '1.0.0', {
      reasons: ['Legacy'],
      message: 'use Repl.Alpha',
      alternatePackage: { id: 'Repl.Alpha', range: '[1.0.0, )' },
    });
    assert.equal((await unlist('Repl.Gamma', '1.0.0')).statusCode, 204);

    const first = await replicate();
    assert.deepEqual(
      { added: first.added, deleted: first.deleted },
      { added: 4, deleted: 0 },
      'Gamma was pushed and deleted before the first run: its nupkg is gone, nothing to copy',
    );
    const expected = await view(viaHttp);
    assert.deepEqual(await view(viaInject), expected);
    assert.deepEqual((expected['Repl.Alpha'] as JsonObject)['versions'], ['1.0.0', '1.1.0', '2.0.0-beta.1']);
    assert.deepEqual((expected['Repl.Gamma'] as JsonObject)['versions'], 404);
    assert.deepEqual((expected['Repl.Beta'] as JsonObject)['leaves'], [
      [
        '1.0.0',
        true,
        {
          reasons: ['Legacy'],
          message: 'use Repl.Alpha',
          alternatePackage: { id: 'Repl.Alpha', range: '[1.0.0, )' },
        },
      ],
    ]);
    assert.deepEqual((expected['Repl.Alpha'] as JsonObject)['leaves'], [
      ['1.0.0', true, null],
      ['1.1.0', false, null],
      ['2.0.0-beta.1+build.7', true, null],
    ]);

    const again = await replicate();
    assert.deepEqual(
      [again.added, again.updated, again.deleted],
      [0, 0, 0],
      'a rerun with nothing new changes nothing',
    );
  });

  it('catches up incrementally with what changed since', async () => {
    await source.publish({ id: 'Repl.Alpha', version: '3.0.0' });
    await source.feed.packages.setListed('repl.alpha', '1.1.0', true);
    await source.feed.packages.setListed('repl.beta', '1.0.0', false);
    await source.feed.packages.setDeprecation('repl.beta', '1.0.0', undefined);
    assert.equal((await unlist('Repl.Alpha', '2.0.0-beta.1')).statusCode, 204);

    const second = await replicate();
    assert.deepEqual([second.added, second.deleted], [1, 1]);
    assert.ok(second.updated >= 2, `relist, unlist and undeprecation applied (updated ${second.updated})`);
    assert.deepEqual(await view(viaInject), await view(viaHttp));
    const catalogStats = await target.feed.catalog.pages();
    assert.ok(catalogStats[0]!.count > 0, 'the copy has its own catalog');
  });

  it('walks the flat container for the given ids when the source has no catalog', async () => {
    const fresh = await startFeed();
    try {
      // The same source, seen without its Catalog/3.0.0 resource.
      const withoutCatalog: RemoteFeed = {
        getJson: async (url) => {
          const document = (await remote.getJson(url)) as JsonObject | undefined;
          if (!url.endsWith('/v3/index.json') || !document) return document;
          const resources = (document['resources'] as JsonObject[]).filter(
            (r) => r['@type'] !== 'Catalog/3.0.0',
          );
          return { ...document, resources };
        },
        download: (url) => remote.download(url),
      };
      const run = (ids?: string[]) =>
        replicateFeed(
          {
            ...fresh.feed,
            feed: fresh.defaultFeed.feed,
            cursors: fresh.feed.replicationCursors,
            remote: withoutCatalog,
          },
          { source: `${sourceUrl}/v3/index.json`, ...(ids ? { ids } : {}) },
          noProgress,
        );
      await assert.rejects(run(), /has no catalog.*--ids/);
      const summary = await run(['Repl.Alpha']);
      assert.equal(summary.added, 3);
      const list = await fresh.json('/v3/flatcontainer/repl.alpha/index.json', {
        'accept-encoding': 'identity',
      });
      assert.deepEqual(list['versions'], ['1.0.0', '1.1.0', '3.0.0']);
    } finally {
      await fresh.close();
    }
  });

  it('refuses a source that is not a V3 feed', async () => {
    const notV3: RemoteFeed = { getJson: async () => ({ hello: 'world' }), download: async () => undefined };
    await assert.rejects(
      replicateFeed(
        {
          ...target.feed,
          feed: target.defaultFeed.feed,
          cursors: target.feed.replicationCursors,
          remote: notV3,
        },
        { source: 'http://127.0.0.1:1/v3/index.json' },
        noProgress,
      ),
      /not a NuGet V3 service index/,
    );
  });
});
