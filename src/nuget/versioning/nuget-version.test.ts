// Rows come from ../../../../shared/spec/reference/Package-Versioning.md and from the cases
// NuGet.Client's NuGet.Versioning tests use, so that nugget and the NuGet client agree.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isNuggetError } from '../../errors.ts';
import {
  compareVersions,
  isPrerelease,
  isSemVer2Version,
  type NuGetVersion,
  normalizeVersion,
  parseVersion,
  toFullString,
  toNormalizedString,
  tryParseVersion,
  versionsEqual,
} from './nuget-version.ts';

describe('normalized version numbers', () => {
  // [input, normalized, full]
  const rows: [string, string, string][] = [
    // "Normalized version numbers": leading zeroes are removed
    ['1.00', '1.0.0', '1.0.0'],
    ['1.01.1', '1.1.1', '1.1.1'],
    ['1.00.0.1', '1.0.0.1', '1.0.0.1'],
    // a zero in the fourth part is omitted
    ['1.0.0.0', '1.0.0', '1.0.0'],
    ['1.0.01.0', '1.0.1', '1.0.1'],
    // build metadata is removed
    ['1.0.7+r3456', '1.0.7', '1.0.7+r3456'],
    // "Version basics" examples
    ['1.0.1', '1.0.1', '1.0.1'],
    ['6.11.1231', '6.11.1231', '6.11.1231'],
    ['4.3.1-rc', '4.3.1-rc', '4.3.1-rc'],
    ['2.2.44-beta.1', '2.2.44-beta.1', '2.2.44-beta.1'],
    // "diverges" item 2: only the major part is required
    ['1', '1.0.0', '1.0.0'],
    ['1.0', '1.0.0', '1.0.0'],
    ['2', '2.0.0', '2.0.0'],
    ['2.0.0.0', '2.0.0', '2.0.0'],
    // a non-zero revision is kept
    ['1.0.0.1', '1.0.0.1', '1.0.0.1'],
    ['1.3.42.10133', '1.3.42.10133', '1.3.42.10133'],
    // labels keep their case
    ['1.0.0-BETA', '1.0.0-BETA', '1.0.0-BETA'],
    ['1.022-Beta', '1.22.0-Beta', '1.22.0-Beta'],
    ['3.4.0.3-RC-3', '3.4.0.3-RC-3', '3.4.0.3-RC-3'],
    ['1.0+A', '1.0.0', '1.0.0+A'],
    ['1.0-1.1', '1.0.0-1.1', '1.0.0-1.1'],
    ['1.0-1.1+B.B', '1.0.0-1.1', '1.0.0-1.1+B.B'],
    ['1.0.0009.01-1.1+A', '1.0.9.1-1.1', '1.0.9.1-1.1+A'],
    ['1.0.0-RC.X.35.A.3455+Meta-A-B-C', '1.0.0-RC.X.35.A.3455', '1.0.0-RC.X.35.A.3455+Meta-A-B-C'],
    ['1.2.3+0', '1.2.3', '1.2.3+0'],
    ['1.2.3-0', '1.2.3-0', '1.2.3-0'],
    ['1.0.0+01', '1.0.0', '1.0.0+01'], // metadata may have leading zeros
    ['1.0.0-beta01', '1.0.0-beta01', '1.0.0-beta01'], // not a numeric label, so no leading-zero rule
    ['1.0.0-0A', '1.0.0-0A', '1.0.0-0A'],
    // NuGet trims the input and tolerates whitespace around numeric parts
    ['  1.022-Beta', '1.22.0-Beta', '1.22.0-Beta'],
    ['23.2.3-Alpha  ', '23.2.3-Alpha', '23.2.3-Alpha'],
    ['   19   .   19   .   19   .   19   ', '19.19.19.19', '19.19.19.19'],
    ['19   .19   ', '19.19.0', '19.19.0'],
    ['\t1.0.0\n', '1.0.0', '1.0.0'],
    // Int32 is the limit for each part
    ['2147483647.1.1.1', '2147483647.1.1.1', '2147483647.1.1.1'],
    ['1.1.1.2147483647', '1.1.1.2147483647', '1.1.1.2147483647'],
  ];
  for (const [input, normalized, full] of rows) {
    it(`${JSON.stringify(input)} -> ${normalized} (full ${full})`, () => {
      const version = parseVersion(input);
      assert.equal(toNormalizedString(version), normalized);
      assert.equal(toFullString(version), full);
      assert.equal(normalizeVersion(input), normalized);
    });
  }
});

describe('parsed parts', () => {
  // [input, major, minor, patch, revision, releaseLabels, metadata]
  const rows: [string, number, number, number, number, string[], string | undefined][] = [
    ['1.0.0', 1, 0, 0, 0, [], undefined],
    ['2.3-alpha', 2, 3, 0, 0, ['alpha'], undefined],
    ['3.4.0.3-RC-3', 3, 4, 0, 3, ['RC-3'], undefined],
    ['1.0.0-beta.x.y.5.79.0+AA', 1, 0, 0, 0, ['beta', 'x', 'y', '5', '79', '0'], 'AA'],
    ['1.0.0+Metadata', 1, 0, 0, 0, [], 'Metadata'],
    ['1.0.0-RC.X+Meta', 1, 0, 0, 0, ['RC', 'X'], 'Meta'],
    ['234.234234.1111', 234, 234234, 1111, 0, [], undefined],
    ['3.5.1-x.y.z+AA', 3, 5, 1, 0, ['x', 'y', 'z'], 'AA'],
    ['01.1.1.1', 1, 1, 1, 1, [], undefined],
    ['1.01.1.1', 1, 1, 1, 1, [], undefined],
    ['1.1.01.1', 1, 1, 1, 1, [], undefined],
    ['1.1.1.01', 1, 1, 1, 1, [], undefined],
    ['   19', 19, 0, 0, 0, [], undefined],
    // '+' before any '-' starts the metadata, so later '-' belong to it
    ['1.0.0+meta-data', 1, 0, 0, 0, [], 'meta-data'],
    // after the first '-', further '-' are part of the label
    ['1.3.2-CTP-2-Refresh-Alpha', 1, 3, 2, 0, ['CTP-2-Refresh-Alpha'], undefined],
  ];
  for (const [input, major, minor, patch, revision, releaseLabels, metadata] of rows) {
    it(`${JSON.stringify(input)}`, () => {
      const version = parseVersion(input);
      assert.deepEqual(
        { ...version, original: undefined },
        { major, minor, patch, revision, releaseLabels, metadata, original: undefined },
      );
    });
  }

  it('keeps the trimmed input as original', () => {
    assert.equal(parseVersion('  01.42.0-alpha+metadata  ').original, '01.42.0-alpha+metadata');
    assert.equal(parseVersion('1.0').original, '1.0');
  });
});

describe('invalid versions say why', () => {
  // [input, reason substring]
  const rows: [string, string][] = [
    ['', 'must not be empty'],
    [' ', 'must not be empty'],
    ['         ', 'must not be empty'],
    ['v1.0.0', "'v1' that is not a number (remove the 'v' prefix)"],
    ['1.0.0.0.0', 'has 5 numeric parts; NuGet allows at most 4'],
    ['1.2.3.4.5', 'has 5 numeric parts'],
    ['1.0.0-', 'has an empty prerelease label'],
    ['1.0.0+', 'has an empty build metadata part'],
    ['1.0.0-beta+', 'has an empty build metadata part'],
    ['1..0', 'has an empty numeric part'],
    ['1..2', 'has an empty numeric part'],
    ['1.', 'has an empty numeric part'],
    ['..1', 'has an empty numeric part'],
    ['1.0.0-a..b', 'has an empty prerelease label'],
    ['1.0.0-a.', 'has an empty prerelease label'],
    ['1.0.0+a..b', 'has an empty build metadata part'],
    ['-1.0', 'must start with a number'],
    ['+1', 'must start with a number'],
    ['1.0.0beta', "'0beta' that is not a number (a prerelease label must follow a '-'"],
    ['1beta', "'1beta' that is not a number"],
    ['1.2.3.Beta', "'Beta' that is not a number"],
    ['So.is.this', "'So' that is not a number"],
    ['1 9', "'1 9' that is not a number"],
    ['1.-1.1.1', 'has an empty numeric part'], // '-' starts the label, leaving '1.'
    ['2147483648.0.0', "'2147483648.0.0' has a part over 2147483647"],
    ['1.2147483648', 'has a part over 2147483647'],
    ['1.1.1.2147483648', 'has a part over 2147483647'],
    ['10000000000000000000', 'has a part over 2147483647'],
    ['1.0.0-01', "numeric prerelease label '01' with a leading zero"],
    ['1.0.0-beta.00', "numeric prerelease label '00' with a leading zero"],
    ['1.4.7-A^A', "prerelease label 'A^A' with a character other than 0-9, A-Z, a-z and '-'"],
    ['1.4.7-*', "prerelease label '*'"],
    ['1.4.7-AA.0A^', "prerelease label '0A^'"],
    ['1.0.0-beta 1', "prerelease label 'beta 1'"],
    ['1.4.7+*', "build metadata '*'"],
    ['1.4.7+AA.01^', "build metadata '01^'"],
    ['1.0.0+a+b', "build metadata 'a+b'"],
    ['1.0.0-é', "prerelease label 'é'"],
  ];
  for (const [input, reason] of rows) {
    it(`${JSON.stringify(input)}: ${reason}`, () => {
      assert.throws(
        () => parseVersion(input),
        (error: unknown) => {
          assert.ok(isNuggetError(error), 'a NuggetError');
          assert.equal(error.kind, 'InvalidInput');
          assert.equal(error.code, 'invalid_version');
          assert.ok(error.message.includes(reason), `"${error.message}" should include "${reason}"`);
          return true;
        },
      );
      assert.equal(tryParseVersion(input), undefined);
      assert.throws(() => normalizeVersion(input), { code: 'invalid_version' });
    });
  }

  // NuGet.Client's own list of strings NuGetVersion.Parse rejects.
  const nugetRejects = [
    '1.2Av^c',
    '1.2..',
    '1.2.3.4This version is full of awesomeness!!',
    '1.34.2Alpha',
    '1.34.2Release Candidate',
    '1.1.2147483648',
    '1.1.1.1.2147483648',
    '1.10000000000000000000',
    '....',
    '-1.1.1.1',
    '1.1.-1.1',
    '1.1.1.-1',
    '1.1.',
    '1.1.1.',
    '1.1.1.1.',
    '1     1.1.1.1',
    '1.1.1.1     1',
    ' .1.1.1',
    '1. .1.1',
    '1.1.1. ',
    '1 .',
    '1.1.1.1 .',
    '2147483648.2.3.4',
    '1.2.3.2147483648',
    '1.2.-3.4',
    '   1 9',
    '   19.   19.   19.   1 9',
    '19   .19   .19   .1 9   ',
    '   19   .   19   .   19   .   1 9   ',
  ];
  for (const input of nugetRejects) {
    it(`NuGet rejects ${JSON.stringify(input)}`, () => {
      assert.throws(() => parseVersion(input), { kind: 'InvalidInput', code: 'invalid_version' });
    });
  }
});

describe('version equality', () => {
  const rows: [string, string][] = [
    // "diverges" item 2: 1, 1.0, 1.0.0 and 1.0.0.0 are equal
    ['1', '1.0'],
    ['1.0', '1.0.0'],
    ['1.0.0', '1.0.0.0'],
    // "diverges" item 3: labels compare case-insensitively
    ['1.0.0-alpha', '1.0.0-Alpha'],
    ['1.0.0-BETA', '1.0.0-beta'],
    ['1.0.0-BETA.X.y.5.77.0+AA', '1.0.0-beta.x.y.5.77.0+aa'],
    // metadata is ignored
    ['1.0.0', '1.0.0+beta'],
    ['1.0', '1.0.0.0+beta'],
    ['1.0.0.0+beta.2', '1.0.0.0+beta.1'],
    // leading zeros
    ['1.23.01', '1.23.1'],
    ['1.6.2-BeTa', '1.6.02-beta'],
    ['22.3.07     ', '22.3.07'],
    ['1.0.0.1-1.2.A', '1.0.0.1-1.2.a+A'],
  ];
  for (const [a, b] of rows) {
    it(`${a} == ${b}`, () => {
      const x = parseVersion(a);
      const y = parseVersion(b);
      assert.equal(versionsEqual(x, y), true);
      assert.equal(versionsEqual(y, x), true);
      assert.equal(compareVersions(x, y), 0);
    });
  }
});

describe('version order', () => {
  // [lower, higher]
  const rows: [string, string][] = [
    ['1.0', '1.0.1'],
    ['1.23', '1.231'],
    ['1.4.5.6', '1.45.6'],
    ['1.4.5.6', '1.4.5.60'],
    ['1.0.0', '1.0.0.1'],
    ['1.01', '1.10'],
    ['1.999.9999', '2.1.1'],
    // a release is above its prereleases
    ['1.01-RC-1', '1.01'],
    ['1.0.0-beta+AA', '1.0.0+aa'],
    ['1.01', '1.2-preview'],
    ['1.01-alpha', '1.10-beta'],
    ['1.01.0-RC-1', '1.10.0-rc-2'],
    // labels: shorter prefix is lower, strings ordinal ignoring case
    ['1.0.0-BETA', '1.0.0-beta2'],
    ['1.0.0-BETA', '1.0.0-beta.1+AA'],
    ['1.0.0-rc', '1.0.0-rc.1'],
    // numeric labels compare numerically ...
    ['1.0.0-beta.2', '1.0.0-beta.11'],
    ['1.0.0-BETA.X.y.5.77.0+AA', '1.0.0-beta.x.y.5.79.0+aa'],
    ['1.0.0-BETA.X.y.5.79.0+AA', '1.0.0-beta.x.y.5.790.0+abc'],
    // ... and below alphanumeric ones
    ['1.0.0-1', '1.0.0-alpha'],
    ['1.0.0-alpha.99', '1.0.0-alpha.beta'],
    // but digits inside a label are just characters
    ['1.0.1-alpha10', '1.0.1-alpha2'],
    // '-' sorts before digits and letters
    ['1.0.0-a-b', '1.0.0-a0'],
  ];
  for (const [lower, higher] of rows) {
    it(`${lower} < ${higher}`, () => {
      const a = parseVersion(lower);
      const b = parseVersion(higher);
      assert.ok(compareVersions(a, b) < 0);
      assert.ok(compareVersions(b, a) > 0);
      assert.equal(versionsEqual(a, b), false);
    });
  }

  // Each list is written highest first, as the spec prints it.
  const sortedLists: Record<string, string[]> = {
    'Package-Versioning "SemVer 2.0 sorting"': [
      '1.0.1',
      '1.0.1-zzz',
      '1.0.1-rc.10',
      '1.0.1-rc.2',
      '1.0.1-open',
      '1.0.1-beta',
      '1.0.1-alpha2',
      '1.0.1-alpha10',
      '1.0.1-aaa',
    ],
    'Package-Versioning "SemVer 1.0 sorting"': [
      '1.0.1',
      '1.0.1-zzz',
      '1.0.1-open',
      '1.0.1-beta05',
      '1.0.1-beta02',
      '1.0.1-beta',
      '1.0.1-alpha2',
      '1.0.1-alpha10',
      '1.0.1-aaa',
    ],
    'semver.org item 11': [
      '1.0.0',
      '1.0.0-rc.1',
      '1.0.0-beta.11',
      '1.0.0-beta.2',
      '1.0.0-beta',
      '1.0.0-alpha.beta',
      '1.0.0-alpha.1',
      '1.0.0-alpha',
    ],
    'numeric parts and revisions': [
      '2147483647.0.0',
      '10.0.0',
      '2.1.1',
      '2.1.0.1',
      '2.1',
      '2.1-rc',
      '1.999.9999',
      '1.0.0.2',
      '1.0.0.1',
      '1.0.0.1-beta',
      '1.0.0',
      '0.0.1',
      '0.0.0',
    ],
  };

  // A fixed-seed shuffle so a failure can be reproduced.
  function shuffled<T>(items: readonly T[], seed: number): T[] {
    const result = [...items];
    let state = seed;
    for (let i = result.length - 1; i > 0; i--) {
      state = (state * 1103515245 + 12345) % 2147483648;
      const j = state % (i + 1);
      [result[i], result[j]] = [result[j]!, result[i]!];
    }
    return result;
  }

  for (const [name, highestFirst] of Object.entries(sortedLists)) {
    const ascending = [...highestFirst].reverse();
    it(`sorts the ${name} list`, () => {
      for (let seed = 1; seed <= 20; seed++) {
        const sorted = shuffled(ascending, seed)
          .map(parseVersion)
          .sort(compareVersions)
          .map((v: NuGetVersion) => v.original);
        assert.deepEqual(sorted, ascending);
      }
    });
    it(`orders every pair of the ${name} list consistently`, () => {
      const versions = ascending.map(parseVersion);
      for (let i = 0; i < versions.length; i++) {
        for (let j = 0; j < versions.length; j++) {
          const expected = Math.sign(i - j);
          assert.equal(
            Math.sign(compareVersions(versions[i]!, versions[j]!)),
            expected,
            `${ascending[i]} vs ${ascending[j]}`,
          );
        }
      }
    });
  }
});

describe('prerelease and SemVer 2 versions', () => {
  // [input, isPrerelease, isSemVer2]
  const rows: [string, boolean, boolean][] = [
    ['1.0.0', false, false],
    ['1.0.0.1', false, false],
    ['1.0.0-Beta', true, false],
    ['1.0.1-alpha10', true, false],
    // "Semantic Versioning 2.0.0": a dot-separated label ...
    ['1.0.0-alpha.1', true, true],
    ['1.0.0-Beta.2', true, true],
    ['1.0.1-build.23', true, true],
    // ... or build metadata makes a version SemVer 2
    ['1.0.0+githash', false, true],
    ['1.0.0+MetaOnly', false, true],
    ['1.0.0-Beta+Meta', true, true],
    ['1.0.0-RC.X.35.A.3455+Meta-A-B-C', true, true],
  ];
  for (const [input, prerelease, semVer2] of rows) {
    it(`${input}: prerelease ${prerelease}, SemVer 2 ${semVer2}`, () => {
      const version = parseVersion(input);
      assert.equal(isPrerelease(version), prerelease);
      assert.equal(isSemVer2Version(version), semVer2);
    });
  }
});
