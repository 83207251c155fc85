import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isValidPackageId, maxPackageIdLength, toLowerId, validatePackageId } from './package-id.ts';

// Rows read like NuGet's PackageIdValidator: ^\w+([_.-]\w+)*$ and at most 100 characters.
describe('package ids NuGet accepts', () => {
  const valid = [
    'Newtonsoft.Json',
    'xunit',
    'Microsoft.NET.Test.Sdk',
    'a',
    '_',
    '_private',
    'trailing_',
    'a__b',
    'a_.b',
    'a-b.c_d',
    '1.0',
    'Ünïcödé.Pàckage',
    'пакет',
    '包',
    'x'.repeat(maxPackageIdLength),
  ];
  for (const id of valid) {
    test(`'${id.length > 20 ? `${id.slice(0, 10)}…(${id.length})` : id}' is valid`, () => {
      assert.equal(isValidPackageId(id), true);
      assert.doesNotThrow(() => validatePackageId(id));
    });
  }
});

describe('package ids NuGet refuses, each with its reason', () => {
  const invalid: [id: string, reason: RegExp][] = [
    ['', /empty/],
    ['x'.repeat(101), /too long: 101 > 100/],
    ['a b', /not allowed: U\+0020 at index 1/],
    ['a/b', /'\/' at index 1/],
    ['a+b', /'\+' at index 1/],
    ['tab\there', /U\+0009 at index 3/],
    ['.leading', /must start and end with a letter, digit or '_'/],
    ['-leading', /must start and end/],
    ['trailing.', /must start and end/],
    ['trailing-', /must start and end/],
    ['a..b', /'\.\.' at index 1/],
    ['a.-b', /'\.-' at index 1/],
    ['a-.b', /'-\.' at index 1/],
    ['emoji😀', /U\+D83D at index 5/],
    ['line\n', /U\+000A at index 4/],
  ];
  for (const [id, reason] of invalid) {
    test(`${JSON.stringify(id.length > 20 ? `${id.slice(0, 10)}…(${id.length})` : id)} is refused`, () => {
      assert.equal(isValidPackageId(id), false);
      assert.throws(
        () => validatePackageId(id),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.equal((error as { kind?: string }).kind, 'InvalidInput');
          assert.equal((error as { code?: string }).code, 'invalid_package_id');
          assert.match(error.message, reason);
          return true;
        },
      );
    });
  }
});

describe('lower id is ToLowerInvariant', () => {
  const rows: [id: string, lower: string][] = [
    ['Newtonsoft.Json', 'newtonsoft.json'],
    ['already.lower', 'already.lower'],
    ['ÄÖÜ.Package', 'äöü.package'],
    // .NET maps each character alone: a final capital sigma is σ, never the context form ς.
    ['ΟΔΟΣ', 'οδοσ'],
    // One character in, one character out (JavaScript would give 'i̇', two code points).
    ['İ', 'i'],
  ];
  for (const [id, lower] of rows) {
    test(`'${id}' -> '${lower}'`, () => assert.equal(toLowerId(id), lower));
  }
});
