// The contract every database's feed-bound stores pass (docs/architecture.md rule 5; docs/feeds.md): two feeds on
// one database never see each other's versions, search documents, catalog, symbols, advisories or stamps, and the
// same id and version may live in both. Run from test/storage/.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FeedStore, FeedStores } from '../../packages/ports.ts';
import { samplePackageVersion } from './package-store-contract.ts';

export interface FeedIsolationSubject {
  readonly feeds: FeedStore;
  storesFor(feed: string): FeedStores;
}

const query = { q: '', skip: 0, take: 20, prerelease: true, semVer2: true };

export function feedIsolationContract(name: string, create: () => Promise<FeedIsolationSubject>): void {
  describe(`feed isolation contract: ${name}`, () => {
    it('the same id and version in two feeds: each feed sees only its own rows, catalog and stamps', async () => {
      const { feeds, storesFor } = await create();
      for (const feed of ['alpha', 'beta']) {
        assert.equal(
          await feeds.create({
            name: feed,
            description: '',
            overrides: {},
            created: new Date().toISOString(),
          }),
          'created',
        );
      }
      const alpha = storesFor('alpha');
      const beta = storesFor('beta');
      const betaStamp = await beta.stamps.latest();
      assert.equal(await alpha.packages.insert(samplePackageVersion('Shared.Lib', '1.0.0')), 'inserted');
      assert.equal(await alpha.packages.insert(samplePackageVersion('Alpha.Only', '1.0.0')), 'inserted');
      assert.equal(await beta.stamps.latest(), betaStamp, "alpha's pushes do not move beta's stamp");
      assert.equal(await beta.stamps.latestFor('shared.lib'), 0);
      assert.equal(
        await beta.packages.insert(samplePackageVersion('Shared.Lib', '1.0.0')),
        'inserted',
        'the same id and version may be in another feed',
      );
      assert.equal(await alpha.packages.insert(samplePackageVersion('Shared.Lib', '1.0.0')), 'duplicate');

      assert.deepEqual((await beta.packages.findVersions('alpha.only')).length, 0);
      assert.equal(await beta.packages.findVersion('alpha.only', '1.0.0'), undefined);
      assert.deepEqual(
        (await beta.search.search(query)).hits.map((hit) => hit.lowerId),
        ['shared.lib'],
      );
      assert.deepEqual((await beta.search.autocompleteIds(query)).ids, ['Shared.Lib']);
      assert.deepEqual((await alpha.search.search(query)).hits.map((hit) => hit.lowerId).sort(), [
        'alpha.only',
        'shared.lib',
      ]);

      // Each feed numbers its own catalog from 1.
      const alphaPage = await alpha.catalog.page(0);
      const betaPage = await beta.catalog.page(0);
      assert.deepEqual(
        alphaPage.map((entry) => [entry.seq, entry.lowerId]),
        [
          [1, 'shared.lib'],
          [2, 'alpha.only'],
        ],
      );
      assert.deepEqual(
        betaPage.map((entry) => [entry.seq, entry.lowerId]),
        [[1, 'shared.lib']],
      );
      assert.equal((await beta.catalog.entry(2))?.lowerId, undefined);

      await alpha.advisories.importAdvisories(
        [{ lowerId: 'shared.lib', url: 'https://example.com/a', severity: 2, versions: '[1.0.0, )' }],
        { replace: false },
      );
      assert.equal((await alpha.advisories.listAdvisories()).length, 1);
      assert.deepEqual(await beta.advisories.listAdvisories(), []);
      assert.equal(await beta.advisories.lastUpdated(), undefined);

      // Removing from one feed leaves the other's copy, and only that feed remembers the delete.
      assert.ok(await alpha.packages.remove('shared.lib', '1.0.0'));
      assert.equal(await alpha.packages.wasDeleted('shared.lib', '1.0.0'), true);
      assert.equal(await beta.packages.wasDeleted('shared.lib', '1.0.0'), false);
      assert.ok(await beta.packages.findVersion('shared.lib', '1.0.0'));

      // Deleting a feed removes its rows, not the other's.
      const removed = await feeds.remove('alpha');
      assert.equal(removed?.versions, 1);
      assert.equal(await feeds.find('alpha'), undefined);
      assert.equal(await alpha.stamps.latest(), -1, 'a deleted feed matches no stamp a cache holds');
      assert.deepEqual(await alpha.packages.findVersions('alpha.only'), []);
      assert.ok(await beta.packages.findVersion('shared.lib', '1.0.0'));
      assert.equal((await beta.search.search(query)).totalHits, 1);
    });
  });
}
