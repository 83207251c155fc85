// The contract of the catalog as every metadata backend writes and reads it (docs/architecture.md rule 5).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CatalogStore, PackageStore } from '../../packages/ports.ts';
import { catalogPageSize } from '../../protocol/catalog.ts';
import { samplePackageVersion } from './package-store-contract.ts';

export interface CatalogPorts {
  readonly packages: PackageStore;
  readonly catalog: CatalogStore;
}

export function catalogContract(name: string, create: () => Promise<CatalogPorts>): void {
  describe(`Catalog contract: ${name}`, () => {
    it('is empty before the first change', async () => {
      const { catalog } = await create();
      assert.deepEqual(await catalog.pages(), []);
      assert.deepEqual(await catalog.page(0), []);
      assert.equal(await catalog.entry(1), undefined);
    });

    it('records push, unlist, relist, deprecation and delete in order, with snapshots of each state', async () => {
      const { packages, catalog } = await create();
      await packages.insert(samplePackageVersion('Catalog.Flow', '1.0.0'));
      await packages.setListed('catalog.flow', '1.0.0', false);
      await packages.setListed('catalog.flow', '1.0.0', true);
      await packages.setDeprecation('catalog.flow', '1.0.0', { reasons: ['Legacy'], message: 'use 2.0' });
      await packages.remove('catalog.flow', '1.0.0');
      // A change that finds nothing writes nothing.
      assert.equal(await packages.setListed('catalog.flow', '9.9.9', false), false);

      const entries = await catalog.page(0);
      assert.deepEqual(
        entries.map((e) => [e.seq, e.type, e.snapshot?.listed, e.snapshot?.deprecation?.reasons]),
        [
          [1, 'PackageDetails', true, undefined],
          [2, 'PackageDetails', false, undefined],
          [3, 'PackageDetails', true, undefined],
          [4, 'PackageDetails', true, ['Legacy']],
          [5, 'PackageDelete', undefined, undefined],
        ],
      );
      for (const e of entries) {
        assert.equal(e.id, 'Catalog.Flow');
        assert.equal(e.lowerVersion, '1.0.0');
      }
      const stamps = entries.map((e) => Date.parse(e.commitTimestamp));
      for (let i = 1; i < stamps.length; i++) {
        assert.ok(stamps[i]! > stamps[i - 1]!, 'commit timestamps strictly increase');
      }
      assert.equal(new Set(entries.map((e) => e.commitId)).size, entries.length, 'one commit id per commit');
      assert.deepEqual(await catalog.entry(2), entries[1]);

      const pages = await catalog.pages();
      assert.deepEqual(pages, [
        { page: 0, count: 5, commitId: entries[4]!.commitId, commitTimestamp: entries[4]!.commitTimestamp },
      ]);
    });

    it(`starts a new page after ${catalogPageSize} entries and never changes a full page`, async () => {
      const { packages, catalog } = await create();
      await packages.insert(samplePackageVersion('Catalog.Pages', '1.0.0'));
      for (let i = 1; i <= catalogPageSize; i++)
        await packages.setListed('catalog.pages', '1.0.0', i % 2 === 0);
      const pages = await catalog.pages();
      assert.deepEqual(
        pages.map((p) => [p.page, p.count]),
        [
          [0, catalogPageSize],
          [1, 1],
        ],
      );
      const second = await catalog.page(1);
      assert.equal(second[0]?.seq, catalogPageSize + 1);
      assert.ok(Date.parse(pages[1]!.commitTimestamp) > Date.parse(pages[0]!.commitTimestamp));
    });
  });
}
