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

    it("a file another package serves is 'duplicate-file', and nothing of the push is kept", async () => {
      const symbols = await create();
      assert.equal(await symbols.insert(sampleSymbolPackage('same', '1.0.0', [key(1)])), 'inserted');
      const second = sampleSymbolPackage('same', '1.0.1', [key(2), key(1)]);
      assert.equal(await symbols.insert(second), 'duplicate-file');
      assert.equal(await symbols.findPackage('same', '1.0.1'), undefined);
      assert.equal(await symbols.findFile('same.pdb', key(2)), undefined);
      assert.equal((await symbols.findFile('same.pdb', key(1)))?.lowerVersion, '1.0.0');
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
