// ../../../../shared/spec/reference/Symbol-Packages-snupkg.md: allowed extensions and the PDB-beside-DLL layout.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isNuggetError } from '../../errors.ts';
import { assemblyPathsFor, symbolFileNameOf, symbolFilesOf } from './symbol-package-entries.ts';

const packed = [
  '_rels/.rels',
  'Contoso.nuspec',
  'lib/net8.0/Contoso.pdb',
  'lib/netstandard2.0/Contoso.pdb',
  '[Content_Types].xml',
  'package/services/metadata/core-properties/abc.psmdcp',
];

describe('symbolFilesOf', () => {
  test('what dotnet pack writes: the PDBs', () => {
    assert.deepEqual(symbolFilesOf(packed), ['lib/net8.0/Contoso.pdb', 'lib/netstandard2.0/Contoso.pdb']);
  });
  test('a signature, XML docs, upper-case extensions and folder entries are allowed', () => {
    assert.deepEqual(
      symbolFilesOf([...packed, '.signature.p7s', 'lib/net8.0/Contoso.XML', 'lib/', 'X.PDB']),
      ['lib/net8.0/Contoso.pdb', 'lib/netstandard2.0/Contoso.pdb', 'X.PDB'],
    );
  });

  const refusals: [string, string[], string][] = [
    ['a DLL', [...packed, 'lib/net8.0/Contoso.dll'], 'snupkg_file_not_allowed'],
    ['a file without an extension', [...packed, 'README'], 'snupkg_file_not_allowed'],
    ['source files', [...packed, 'src/Contoso.cs'], 'snupkg_file_not_allowed'],
    ['no PDB', ['_rels/.rels', 'Contoso.nuspec'], 'snupkg_no_pdb'],
  ];
  for (const [name, paths, code] of refusals) {
    test(`${name} -> ${code}`, () =>
      assert.throws(
        () => symbolFilesOf(paths),
        (error) => isNuggetError(error) && error.code === code,
      ));
  }

  test('the refusal names the offending files', () => {
    assert.throws(() => symbolFilesOf([...packed, 'lib/net8.0/Contoso.dll']), /'lib\/net8\.0\/Contoso\.dll'/);
  });
});

describe('assemblyPathsFor and symbolFileNameOf', () => {
  test('the DLL or EXE in the same folder', () =>
    assert.deepEqual(assemblyPathsFor('lib/net8.0/Contoso.Core.pdb'), [
      'lib/net8.0/Contoso.Core.dll',
      'lib/net8.0/Contoso.Core.exe',
    ]));
  test('the file name is the last segment', () => {
    assert.equal(symbolFileNameOf('lib/net8.0/Contoso.Core.pdb'), 'Contoso.Core.pdb');
    assert.equal(symbolFileNameOf('Contoso.pdb'), 'Contoso.pdb');
  });
});
