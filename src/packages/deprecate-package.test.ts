// Spec: ../../../shared/spec/nuget-api/registration-base-url-resource.md, "Package deprecation"
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NuggetError } from '../errors.ts';
import {
  parseAlternatePackage,
  parseDeprecation,
  parseDeprecationReasons,
  parseVersionSelector,
} from './deprecate-package.ts';

const invalid = (code: string) => (error: unknown) =>
  error instanceof NuggetError && error.kind === 'InvalidInput' && error.code === code;

describe('deprecation reasons', () => {
  const rows: [string[], string[]][] = [
    [['Legacy'], ['Legacy']],
    [['legacy'], ['Legacy']],
    [
      ['CRITICALBUGS', 'other'],
      ['CriticalBugs', 'Other'],
    ],
    [
      ['Other', 'Legacy', 'legacy'],
      ['Legacy', 'Other'],
    ],
  ];
  for (const [given, expected] of rows) {
    test(`${given.join(', ')} -> ${expected.join(', ')}`, () => {
      assert.deepEqual(parseDeprecationReasons(given), expected);
    });
  }
  test('an unknown reason is refused, naming the known ones', () => {
    assert.throws(
      () => parseDeprecationReasons(['Obsolete']),
      /"Obsolete" is not a deprecation reason; use Legacy, CriticalBugs, Other/,
    );
  });
  test('no reason at all is refused', () => {
    assert.throws(() => parseDeprecationReasons([]), invalid('invalid_deprecation'));
  });
});

describe('parseDeprecation', () => {
  test('normalizes reasons, trims the message and the alternate range', () => {
    assert.deepEqual(
      parseDeprecation({
        reasons: ['criticalbugs'],
        message: '  Use Other.Lib.  ',
        alternatePackage: { id: 'Other.Lib', range: '[2.0,)' },
      }),
      {
        reasons: ['CriticalBugs'],
        message: 'Use Other.Lib.',
        alternatePackage: { id: 'Other.Lib', range: '[2.0.0, )' },
      },
    );
  });
  test('an alternate package without a range allows any version', () => {
    assert.deepEqual(parseDeprecation({ reasons: ['Legacy'], alternatePackage: { id: 'Other.Lib' } }), {
      reasons: ['Legacy'],
      alternatePackage: { id: 'Other.Lib', range: '*' },
    });
  });
  const bad: [string, unknown][] = [
    ['not an object', ['Legacy']],
    ['reasons not an array', { reasons: 'Legacy' }],
    ['message not a string', { reasons: ['Legacy'], message: 5 }],
    ['message too long', { reasons: ['Legacy'], message: 'x'.repeat(1001) }],
    ['alternate without id', { reasons: ['Legacy'], alternatePackage: { range: '*' } }],
    ['alternate with a bad id', { reasons: ['Legacy'], alternatePackage: { id: 'a b' } }],
    ['alternate with a bad range', { reasons: ['Legacy'], alternatePackage: { id: 'A', range: '[2.0' } }],
  ];
  for (const [what, body] of bad) {
    test(`refused: ${what}`, () =>
      assert.throws(() => parseDeprecation(body), invalid('invalid_deprecation')));
  }
});

describe('--alternate', () => {
  test('Other.Lib -> any version', () =>
    assert.deepEqual(parseAlternatePackage('Other.Lib'), { id: 'Other.Lib', range: '*' }));
  test('Other.Lib@[2.0.0, ) -> that range', () =>
    assert.deepEqual(parseAlternatePackage('Other.Lib@[2.0.0, )'), { id: 'Other.Lib', range: '[2.0.0, )' }));
  test('Other.Lib@* -> any version', () =>
    assert.deepEqual(parseAlternatePackage('Other.Lib@*'), { id: 'Other.Lib', range: '*' }));
});

describe('version selector', () => {
  test('a version names exactly that version, normalized', () =>
    assert.deepEqual(parseVersionSelector('1.0'), { kind: 'version', lowerVersion: '1.0.0' }));
  test('a bracketed range is a range', () => assert.equal(parseVersionSelector('[1.0, 2.0)').kind, 'range'));
  test('* is every version', () =>
    assert.deepEqual(parseVersionSelector('*'), { kind: 'range', range: undefined }));
  test('nonsense is refused', () =>
    assert.throws(() => parseVersionSelector('one'), invalid('invalid_version')));
  test('a broken range is refused', () =>
    assert.throws(() => parseVersionSelector('[1.0, '), invalid('invalid_version_range')));
});
