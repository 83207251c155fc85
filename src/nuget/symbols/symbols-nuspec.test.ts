import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isNuggetError } from '../../errors.ts';
import { toNormalizedString } from '../versioning/index.ts';
import { parseSymbolsNuspec } from './symbols-nuspec.ts';

const nuspec = (metadata: string) =>
  `<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2012/06/nuspec.xsd"><metadata>${metadata}</metadata></package>`;

describe('parseSymbolsNuspec', () => {
  test('what dotnet pack writes for a .snupkg: no authors, a SymbolsPackage type', () => {
    const parsed = parseSymbolsNuspec(
      nuspec(
        '<id>Sym.Lib</id><version>1.0.0.0</version><description>d</description>' +
          '<packageTypes><packageType name="SymbolsPackage" /></packageTypes>',
      ),
    );
    assert.equal(parsed.id, 'Sym.Lib');
    assert.equal(toNormalizedString(parsed.version), '1.0.0');
    assert.deepEqual(parsed.packageTypes, ['SymbolsPackage']);
  });

  test('no <packageTypes> -> no types', () =>
    assert.deepEqual(parseSymbolsNuspec(nuspec('<id>A</id><version>1.0.0</version>')).packageTypes, []));

  const refusals: [string, string, string][] = [
    ['no id', nuspec('<version>1.0.0</version>'), 'nuspec_missing_element'],
    ['a bad id', nuspec('<id>a b</id><version>1.0.0</version>'), 'nuspec_invalid_id'],
    ['a bad version', nuspec('<id>A</id><version>one</version>'), 'nuspec_invalid_version'],
    ['no metadata', '<package/>', 'nuspec_missing_metadata'],
    ['another root', '<metadata/>', 'nuspec_not_package'],
    ['a DOCTYPE', '<!DOCTYPE package><package/>', 'nuspec_doctype'],
  ];
  for (const [name, xml, code] of refusals) {
    test(`${name} -> ${code}`, () =>
      assert.throws(
        () => parseSymbolsNuspec(xml),
        (error) => isNuggetError(error) && error.code === code,
      ));
  }
});
