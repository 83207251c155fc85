// The contract every SymbolStore passes (docs/architecture.md rule 5). Run from test/storage/.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SymbolPackage, SymbolStore } from '../../packages/ports.ts';

export function sampleSymbolPackage(lowerId: string, lowerVersion: string, keys: string[]): SymbolPackage {
  const blobPrefix = `symbols/${lowerId}/${lowerVersion}/s`;
  return {
    lowerId,
    lowerVersion,
    blobPrefix,
    packageSize: 4321,
    packageHash: 'hash',
    published: '2026-11-20T10:00:00.000Z',
    files: keys.map((symbolKey) => ({
      fileName: `${lowerId}.pdb`,
      symbolKey,
      lowerId,
      lowerVersion,
      blobKey: `${blobPrefix}/${lowerId}.pdb/${symbolKey}/${lowerId}.pdb`,
      size: 1000,
    })),
  };
}

const key = (n: number) => `${n.toString(16).padStart(32, '0')}ffffffff`;

export function symbolStoreContract(name: string, create: () => Promise<SymbolStore>): void {
  describe(`SymbolStore contract: ${name}`, () => {
    it('stores a package with its files and finds both, files case-insensitively', async () => {
      const symbols = await create();
      const pkg = sampleSymbolPackage('contoso.core', '1.0.0', [key(1), key(2)]);
      assert.equal(await symbols.insert(pkg), 'inserted');
      assert.deepEqual(await symbols.findPackage('contoso.core', '1.0.0'), pkg);
      assert.deepEqual(await symbols.findFile('Contoso.Core.PDB', key(2).toUpperCase()), pkg.files[1]);
      assert.equal(await symbols.findFile('contoso.core.pdb', key(3)), undefined);
      assert.equal(await symbols.findPackage('contoso.core', '2.0.0'), undefined);
    });

    it("a second package for the same version is 'duplicate-package' and changes nothing", async () => {
      const symbols = await create();
      const first = sampleSymbolPackage('dup', '1.0.0', [key(1)]);
      assert.equal(await symbols.insert(first), 'inserted');
      assert.equal(await symbols.insert(sampleSymbolPackage('dup', '1.0.0', [key(9)])), 'duplicate-package');
      assert.deepEqual(await symbols.findPackage('dup', '1.0.0'), first);
      assert.equal(await symbols.findFile('dup.pdb', key(9)), undefined);
    });

    it('the same file for two packages: each keeps its own row, and removing one leaves the other', async () => {
      const symbols = await create();
      const first = sampleSymbolPackage('same', '1.0.0', [key(1)]);
      const second = sampleSymbolPackage('same', '1.0.1', [key(1), key(2)]);
      assert.equal(await symbols.insert(first), 'inserted');
      assert.equal(await symbols.insert(second), 'inserted');
      assert.deepEqual(await symbols.findPackage('same', '1.0.1'), second);
      assert.ok(await symbols.findFile('same.pdb', key(1)));
      await symbols.remove('same', '1.0.0');
      assert.deepEqual(
        await symbols.findFile('same.pdb', key(1)),
        second.files.find((file) => file.symbolKey === key(1)),
      );
      await symbols.remove('same', '1.0.1');
      assert.equal(await symbols.findFile('same.pdb', key(1)), undefined);
    });

    it("replacing swaps a version's symbols in one step; replacing symbols that changed meanwhile changes nothing", async () => {
      const symbols = await create();
      const first = sampleSymbolPackage('again', '1.0.0', [key(1), key(2)]);
      assert.equal(await symbols.insert(first), 'inserted');
      const next = {
        ...sampleSymbolPackage('again', '1.0.0', [key(3)]),
        blobPrefix: 'symbols/again/1.0.0/t',
      };
      const stale = {
        ...sampleSymbolPackage('again', '1.0.0', [key(4)]),
        blobPrefix: 'symbols/again/1.0.0/u',
      };
      assert.equal(await symbols.insert(next, { replacing: first.blobPrefix }), 'inserted');
      assert.deepEqual(await symbols.findPackage('again', '1.0.0'), next);
      assert.equal(await symbols.findFile('again.pdb', key(1)), undefined);
      assert.equal(await symbols.insert(stale, { replacing: first.blobPrefix }), 'duplicate-package');
      assert.deepEqual(await symbols.findPackage('again', '1.0.0'), next);
      assert.equal(await symbols.findFile('again.pdb', key(4)), undefined);
      assert.ok((await symbols.referencedBlobPrefixes()).includes(next.blobPrefix));
      assert.ok(!(await symbols.referencedBlobPrefixes()).includes(first.blobPrefix));
    });

    it('remove returns the package and its files, and they are gone', async () => {
      const symbols = await create();
      const pkg = sampleSymbolPackage('gone', '1.0.0', [key(1)]);
      await symbols.insert(pkg);
      assert.deepEqual(await symbols.remove('gone', '1.0.0'), pkg);
      assert.equal(await symbols.findPackage('gone', '1.0.0'), undefined);
      assert.equal(await symbols.findFile('gone.pdb', key(1)), undefined);
      assert.equal(await symbols.remove('gone', '1.0.0'), undefined);
      // The key is free again.
      assert.equal(await symbols.insert(pkg), 'inserted');
    });
  });
}
