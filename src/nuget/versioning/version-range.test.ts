// Rows come from the "Version ranges" and "Semantic Versioning 2.0.0" sections of
// ../../../../shared/spec/reference/Package-Versioning.md and from NuGet.Client's VersionRange tests.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isNuggetError } from '../../errors.ts';
import { isSemVer2Package } from './index.ts';
import { parseVersion, toNormalizedString } from './nuget-version.ts';
import {
  anyVersionRange,
  formatVersionRange,
  isSemVer2Range,
  parseVersionRange,
  rangeSatisfies,
  tryParseVersionRange,
  type VersionRange,
} from './version-range.ts';

describe('range notation -> normalized range', () => {
  // [notation, normalized (VersionRange.ToNormalizedString())]
  const rows: [string, string][] = [
    // the spec's table
    ['1.0', '[1.0.0, )'], // x ≥ 1.0
    ['[1.0,)', '[1.0.0, )'], // x ≥ 1.0
    ['(1.0,)', '(1.0.0, )'], // x > 1.0
    ['[1.0]', '[1.0.0, 1.0.0]'], // x == 1.0
    ['(,1.0]', '(, 1.0.0]'], // x ≤ 1.0
    ['(,1.0)', '(, 1.0.0)'], // x < 1.0
    ['[1.0,2.0]', '[1.0.0, 2.0.0]'], // 1.0 ≤ x ≤ 2.0
    ['(1.0,2.0)', '(1.0.0, 2.0.0)'], // 1.0 < x < 2.0
    ['[1.0,2.0)', '[1.0.0, 2.0.0)'], // 1.0 ≤ x < 2.0
    // the spec's nuspec and packages.config examples
    ['6.1', '[6.1.0, )'],
    ['(4.1.3,)', '(4.1.3, )'],
    ['(,5.0)', '(, 5.0.0)'],
    ['[1,3)', '[1.0.0, 3.0.0)'],
    ['[1.3.2,1.5)', '[1.3.2, 1.5.0)'],
    ['[6.1.0]', '[6.1.0, 6.1.0]'],
    ['[6,7)', '[6.0.0, 7.0.0)'],
    // whitespace is tolerated
    ['  [1.0 , 2.0 )  ', '[1.0.0, 2.0.0)'],
    ['[ 1.0.0 ]', '[1.0.0, 1.0.0]'],
    [' 1.0.0 ', '[1.0.0, )'],
    // an empty bound is an open end, whatever its bracket
    ['[1.0.0, ]', '[1.0.0, )'],
    ['[1.0.0,]', '[1.0.0, )'],
    ['(1.0.0, ]', '(1.0.0, )'],
    ['[, 2.0.0)', '(, 2.0.0)'],
    ['[, 2.0.0]', '(, 2.0.0]'],
    // no version, or NuGet's own "any version", means any version
    ['', '(, )'],
    ['   ', '(, )'],
    ['(, )', '(, )'],
    // versions inside are normalized: metadata dropped, 4th part kept when not zero, case kept
    ['(1.0,1.2]', '(1.0.0, 1.2.0]'],
    ['(1.2.3.4, 3.2]', '(1.2.3.4, 3.2.0]'],
    ['[1.0.0.0, 2.0.0.0)', '[1.0.0, 2.0.0)'],
    ['[1.0.0+beta.1, 2.0.0+alpha.2]', '[1.0.0, 2.0.0]'],
    ['1.2.3-beta.2.4.55.X+900', '[1.2.3-beta.2.4.55.X, )'],
    ['[1.2.3-0+90]', '[1.2.3-0, 1.2.3-0]'],
    ['[1.0.0-BETA]', '[1.0.0-BETA, 1.0.0-BETA]'],
    ['0', '[0.0.0, )'],
    ['02', '[2.0.0, )'],
    ['[2021,)', '[2021.0.0, )'],
    ['[,2021)', '(, 2021.0.0)'],
    // empty but accepted by NuGet
    ['(1.0.0, 1.0.0)', '(1.0.0, 1.0.0)'],
  ];
  for (const [notation, normalized] of rows) {
    it(`${JSON.stringify(notation)} -> ${normalized}`, () => {
      const range = parseVersionRange(notation);
      assert.equal(formatVersionRange(range), normalized);
      // the normalized form parses back to the same range
      assert.equal(formatVersionRange(parseVersionRange(normalized)), normalized);
      assert.equal(formatVersionRange(tryParseVersionRange(notation)!), normalized);
    });
  }
});

describe('range bounds', () => {
  // [notation, min, isMinInclusive, max, isMaxInclusive]
  const rows: [string, string | undefined, boolean, string | undefined, boolean][] = [
    ['1.0', '1.0.0', true, undefined, false],
    ['(1.2.3.4, 3.2)', '1.2.3.4', false, '3.2.0', false],
    ['(1.2.3.4, 3.2]', '1.2.3.4', false, '3.2.0', true],
    ['[1.2, 3.2.5)', '1.2.0', true, '3.2.5', false],
    ['[2.3.7, 3.2.4.5]', '2.3.7', true, '3.2.4.5', true],
    ['(, 3.2.4.5]', undefined, false, '3.2.4.5', true],
    // no bound, so nothing to include
    ['(1.6, ]', '1.6.0', false, undefined, false],
    ['[, 1.0)', undefined, false, '1.0.0', false],
    ['[2.7]', '2.7.0', true, '2.7.0', true],
  ];
  for (const [notation, min, minInclusive, max, maxInclusive] of rows) {
    it(notation, () => {
      const range = parseVersionRange(notation);
      assert.equal(range.minVersion && toNormalizedString(range.minVersion), min);
      assert.equal(range.isMinInclusive, minInclusive);
      assert.equal(range.maxVersion && toNormalizedString(range.maxVersion), max);
      assert.equal(range.isMaxInclusive, maxInclusive);
    });
  }

  it('keeps the trimmed input as original', () => {
    assert.equal(parseVersionRange('  [1.0.0, 2.0.0)  ').original, '[1.0.0, 2.0.0)');
    assert.equal(parseVersionRange(' 1.0.0').original, '1.0.0');
  });

  it("'' and whitespace are anyVersionRange", () => {
    assert.equal(parseVersionRange(''), anyVersionRange);
    assert.equal(parseVersionRange(' \t '), anyVersionRange);
    assert.deepEqual(parseVersionRange('(, )'), anyVersionRange);
    assert.equal(formatVersionRange(anyVersionRange), '(, )');
  });
});

describe('invalid ranges say why', () => {
  // [notation, reason substring]
  const rows: [string, string][] = [
    ['(1.0)', "names one version without '[' and ']'; an exact version is written '[1.0]'"], // spec table
    ['(1.0.0)', 'names one version'],
    ['[2.0.0)', 'names one version'],
    ['(2.0.0]', 'names one version'],
    ['[1.1.4, 1.1.2)', 'has a minimum version above its maximum version'],
    ['[1.1.4, 1.1.2]', 'minimum version above'],
    ['(1.1.4, 1.1.2)', 'minimum version above'],
    ['(1.1.4, 1.1.2]', 'minimum version above'],
    ['[1.0.0, 1.0.0)', 'equal minimum and maximum versions with only one of them inclusive'],
    ['(1.0.0, 1.0.0]', 'only one of them inclusive'],
    ['(1.0, 1.0.0]', 'only one of them inclusive'],
    ['[1.0.0-beta, 1.0.0-beta+900)', 'only one of them inclusive'],
    ['(1.0.0-beta+600, 1.0.0-beta]', 'only one of them inclusive'],
    ['(,)', 'has neither a minimum nor a maximum version'],
    ['[,]', 'neither a minimum nor a maximum'],
    ['[,)', 'neither a minimum nor a maximum'],
    ['(,]', 'neither a minimum nor a maximum'],
    ['[]', 'neither a minimum nor a maximum'],
    ['(,1.3..2]', "has an invalid maximum version: '1.3..2' has an empty numeric part"],
    ['(1.2.3.4.5,1.2]', "has an invalid minimum version: '1.2.3.4.5' has 5 numeric parts"],
    ['   [-1, 2]  ', "has an invalid minimum version: '-1' must start with a number"],
    ['[1.0.0-, 2.0.0)', 'has an empty prerelease label'],
    ['[1.0, 2147483648.0]', 'has a part over 2147483647'],
    // floating versions belong to PackageReference, not to a nuspec
    ['*', 'is a floating version'],
    ['1.*', 'is a floating version'],
    ['1.0.0-*', 'is a floating version'],
    ['1.0.0-beta*', 'is a floating version'],
    ['[1.0.*, 2.0.0)', 'is a floating version'],
    ['(*, *]', 'is a floating version'],
    // brackets and commas
    ['[1.0', "starts with '[' but does not end with ']' or ')'"],
    ['(', 'does not end with'],
    ['1.0]', "ends with a bracket but does not start with '[' or '('"],
    ['1.0,2.0', "has two versions but no brackets; write it like '[1.0, 2.0)'"],
    ['1,', 'has two versions but no brackets'],
    [',1', 'has two versions but no brackets'],
    [',', 'has two versions but no brackets'],
    ['[1.0,2.0,3.0]', 'has more than two versions'],
    // plain versions that are not versions
    ['a', "'a' is not a valid version range: 'a' has a numeric part 'a' that is not a number"],
    ['-1', 'must start with a number'],
    ['+1', 'must start with a number'],
    ['-', 'must start with a number'],
    ['+', 'must start with a number'],
    ['1.', 'has an empty numeric part'],
    ['.1', 'has an empty numeric part'],
    ['v1.0.0', "remove the 'v' prefix"],
  ];
  for (const [notation, reason] of rows) {
    it(`${JSON.stringify(notation)}: ${reason}`, () => {
      assert.throws(
        () => parseVersionRange(notation),
        (error: unknown) => {
          assert.ok(isNuggetError(error), 'a NuggetError');
          assert.equal(error.kind, 'InvalidInput');
          assert.equal(error.code, 'invalid_version_range');
          assert.ok(error.message.includes(reason), `"${error.message}" should include "${reason}"`);
          return true;
        },
      );
      assert.equal(tryParseVersionRange(notation), undefined);
    });
  }
});

describe('range satisfies', () => {
  // [range, version, satisfied]
  const rows: [string, string, boolean][] = [
    // the spec's table, at and around each bound
    ['1.0', '0.9', false],
    ['1.0', '1.0', true],
    ['1.0', '99.0', true],
    ['[1.0,)', '1.0.0', true],
    ['[1.0,)', '0.9.9', false],
    ['(1.0,)', '1.0', false],
    ['(1.0,)', '1.0.0.1', true],
    ['[1.0]', '1.0.0.0', true],
    ['[1.0]', '1.0.1', false],
    ['[1.0]', '1.0.0-rc', false],
    ['(,1.0]', '1.0', true],
    ['(,1.0]', '0.0.0', true],
    ['(,1.0]', '1.0.0.1', false],
    ['(,1.0)', '1.0', false],
    ['(,1.0)', '0.9', true],
    ['(,1.0)', '1.0.0-beta', true], // prereleases of 1.0 are below 1.0
    ['[1.0,2.0]', '1.0', true],
    ['[1.0,2.0]', '2.0', true],
    ['[1.0,2.0]', '2.0.1', false],
    ['(1.0,2.0)', '1.0', false],
    ['(1.0,2.0)', '1.5', true],
    ['(1.0,2.0)', '2.0', false],
    ['[1.0,2.0)', '1.0', true],
    ['[1.0,2.0)', '2.0', false],
    ['[1.0,2.0)', '1.9.9.9', true],
    ['[1,3)', '2.99', true],
    ['[1.3.2,1.5)', '1.4.9', true],
    ['[1.3.2,1.5)', '1.5', false],
    // NuGet.Client's Satisfies / DoesNotSatisfy rows
    ['1.0.0', '2.0.0', true],
    ['[1.0.0, 2.0.0]', '2.0.0', true],
    ['(2.0.0,)', '2.1.0', true],
    ['[2.0.0]', '2.0.0', true],
    ['[1.0.0, 1.0.0]', '1.0.0', true],
    ['1.0.0', '0.0.0', false],
    ['[1.0.0, 2.0.0]', '2.0.1', false],
    ['[1.0.0, 2.0.0]', '3.0.0', false],
    // metadata is ignored on both sides
    ['[1.0.0-beta+meta, 2.0.0-beta+meta]', '1.0.0', true],
    ['[1.0.0-beta+meta, 2.0.0-beta+meta]', '1.0.0-beta+meta', true],
    ['[1.0.0-beta+meta, 2.0.0-beta+meta]', '2.0.0-beta', true],
    ['[1.0.0-beta+meta, 2.0.0-beta+meta]', '1.0.0+meta', true],
    ['(1.0.0-beta+meta, 2.0.0-beta+meta)', '2.0.0-alpha+meta', true],
    ['(, 2.0.0-beta+meta)', '2.0.0-alpha', true],
    ['[1.0.0-beta+meta, 2.0.0-beta+meta]', '1.0.0-alpha', false],
    ['[1.0.0-beta+meta, 2.0.0-beta+meta]', '2.0.0-rc', false],
    ['[1.0.0-beta+meta, 2.0.0-beta+meta]', '2.0.0+meta', false],
    ['(1.0.0-beta+meta, 2.0.0-beta+meta)', '2.0.0-beta+meta', false],
    ['(, 2.0.0-beta+meta)', '2.0.0-beta+meta', false],
    // satisfies is pure order: a prerelease inside the bounds is in the range
    ['[1.0.0, 2.0.0]', '1.5.0-beta', true],
    ['[1.0.0-beta, 2.0.0)', '2.0.0-beta', true],
    ['[1.0.0-beta, 2.0.0)', '2.0.0', false],
    // labels compare case-insensitively
    ['[1.0.0-BETA]', '1.0.0-beta', true],
    // any version
    ['', '0.0.0', true],
    ['(, )', '2147483647.2147483647.2147483647.2147483647', true],
    ['(, )', '1.0.0-alpha', true],
    // empty range
    ['(1.0.0, 1.0.0)', '1.0.0', false],
  ];
  for (const [range, version, satisfied] of rows) {
    it(`${JSON.stringify(range)} ${satisfied ? 'contains' : 'excludes'} ${version}`, () => {
      assert.equal(rangeSatisfies(parseVersionRange(range), parseVersion(version)), satisfied);
    });
  }
});

describe('SemVer 2 ranges and packages', () => {
  // [range, isSemVer2]
  const rangeRows: [string, boolean][] = [
    ['[1.0.0-alpha.1, )', true], // the spec's example
    ['(, 2.0.0-rc.1]', true],
    ['[1.0.0+build, )', true],
    ['(, 2.0.0+build)', true],
    ['[1.0.0-alpha, )', false],
    ['[1.0.0, 2.0.0-rc)', false],
    ['1.0.0', false],
    ['(, )', false],
  ];
  for (const [range, semVer2] of rangeRows) {
    it(`range ${range} is${semVer2 ? '' : ' not'} SemVer 2`, () => {
      assert.equal(isSemVer2Range(parseVersionRange(range)), semVer2);
    });
  }

  // [package version, dependency ranges, isSemVer2Package]
  const packageRows: [string, string[], boolean][] = [
    ['1.0.0', [], false],
    ['1.0.0-beta', ['[1.0, 2.0)', '1.0.0-rc'], false],
    // the package's own version is SemVer 2
    ['1.0.0-alpha.1', [], true],
    ['1.0.0+githash', ['1.0.0'], true],
    // a dependency range's minimum or maximum is SemVer 2
    ['1.0.0', ['[1.0.0, 2.0.0)', '[1.0.0-alpha.1, )'], true],
    ['1.0.0', ['(, 3.0.0+meta]'], true],
  ];
  for (const [version, ranges, semVer2] of packageRows) {
    it(`package ${version} with dependencies ${JSON.stringify(ranges)} is${semVer2 ? '' : ' not'} SemVer 2`, () => {
      const dependencyRanges: VersionRange[] = ranges.map(parseVersionRange);
      assert.equal(isSemVer2Package({ version: parseVersion(version), dependencyRanges }), semVer2);
    });
  }
});
