// The advisory file format: ../../docs/vulnerabilities.md; GitHub's global advisories:
// https://docs.github.com/rest/security-advisories/global-advisories
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NuggetError } from '../errors.ts';
import type { VulnerabilityAdvisory } from '../protocol/vulnerability-info.ts';
import {
  githubRangeToNuGet,
  parseAdvisoryFile,
  parseSeverity,
  planAdvisoryImport,
  readUpstreamAdvisories,
  versionsWithChangedVulnerabilities,
} from './import-vulnerabilities.ts';

const invalid = (code: string) => (error: unknown) => error instanceof NuggetError && error.code === code;

describe('severity', () => {
  const rows: [unknown, number][] = [
    [0, 0],
    [3, 3],
    ['2', 2],
    ['low', 0],
    ['Moderate', 1],
    ['medium', 1],
    ['HIGH', 2],
    ['critical', 3],
  ];
  for (const [given, expected] of rows)
    test(`${JSON.stringify(given)} -> ${expected}`, () => assert.equal(parseSeverity(given, 'x'), expected));
  for (const given of [4, -1, 1.5, 'severe', null])
    test(`${JSON.stringify(given)} is refused`, () =>
      assert.throws(() => parseSeverity(given, 'x'), invalid('invalid_advisory')));
});

describe("GitHub's vulnerable_version_range as a NuGet range", () => {
  const rows: [string, string | undefined][] = [
    ['>= 1.0.0, < 1.2.0', '[1.0.0, 1.2.0)'],
    ['< 2.0', '(, 2.0.0)'],
    ['<= 1.4', '(, 1.4.0]'],
    ['> 1.0.0', '(1.0.0, )'],
    ['= 1.0.1', '[1.0.1, 1.0.1]'],
    ['1.0.1', '[1.0.1, 1.0.1]'],
    ['>= 4.0.0-preview.1, <= 4.0.0', '[4.0.0-preview.1, 4.0.0]'],
    ['>= 1.0, >= 2.0', undefined],
    ['~> 1.0', undefined],
    ['', undefined],
    ['>= one', undefined],
  ];
  for (const [given, expected] of rows)
    test(`'${given}' -> ${expected}`, () => assert.equal(githubRangeToNuGet(given), expected));
});

describe('parseAdvisoryFile', () => {
  test('flat entries: id lower-cased, range normalized, severity by name', () => {
    assert.deepEqual(
      parseAdvisoryFile([
        {
          packageId: 'Contoso.Lib',
          url: 'https://x/1',
          severity: 'high',
          versions: '[1.0, 1.2)',
          updated: '2024-01-02T03:04:05Z',
        },
      ]),
      [
        {
          lowerId: 'contoso.lib',
          url: 'https://x/1',
          severity: 2,
          versions: '[1.0.0, 1.2.0)',
          updated: '2024-01-02T03:04:05.000Z',
        },
      ],
    );
  });
  test('{ "advisories": [...] } works too', () => {
    assert.equal(
      parseAdvisoryFile({
        advisories: [{ packageId: 'A', url: 'https://x/1', severity: 0, versions: '(, 1.0)' }],
      }).length,
      1,
    );
  });
  test('GitHub advisories: one entry per NuGet package, other ecosystems and withdrawn advisories left out', () => {
    const github = {
      html_url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc',
      severity: 'critical',
      updated_at: '2024-02-01T00:00:00Z',
      withdrawn_at: null,
      vulnerabilities: [
        {
          package: { ecosystem: 'nuget', name: 'Contoso.Lib' },
          vulnerable_version_range: '>= 1.0.0, < 1.0.5',
        },
        { package: { ecosystem: 'npm', name: 'contoso' }, vulnerable_version_range: '< 2' },
      ],
    };
    assert.deepEqual(
      parseAdvisoryFile([
        github,
        { ...github, html_url: 'https://x/withdrawn', withdrawn_at: '2024-03-01T00:00:00Z' },
      ]),
      [
        {
          lowerId: 'contoso.lib',
          url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc',
          severity: 3,
          versions: '[1.0.0, 1.0.5)',
          updated: '2024-02-01T00:00:00.000Z',
        },
      ],
    );
  });
  const bad: [string, unknown, RegExp][] = [
    ['not an array', { packageId: 'A' }, /JSON array/],
    [
      'no url',
      [{ packageId: 'A', severity: 1, versions: '(, 1.0)' }],
      /advisories\[0\]: url must be an absolute http\(s\) URL/,
    ],
    ['a relative url', [{ packageId: 'A', url: '/x', severity: 1, versions: '(, 1.0)' }], /url must be/],
    // PostgreSQL cannot store a NUL; no URL holds a control character.
    [
      'a url with a NUL',
      [{ packageId: 'A', url: 'https://x/\u0000', severity: 1, versions: '(, 1.0)' }],
      /url must be/,
    ],
    [
      'a url with a tab',
      [{ packageId: 'A', url: 'https://x/a\tb', severity: 1, versions: '(, 1.0)' }],
      /url must be/,
    ],
    ['a bad id', [{ packageId: 'A B', url: 'https://x', severity: 1, versions: '(, 1.0)' }], /not allowed/],
    ['a bad range', [{ packageId: 'A', url: 'https://x', severity: 1, versions: '[1.0' }], /advisories\[0\]/],
    [
      'no range',
      [{ packageId: 'A', url: 'https://x', severity: 1 }],
      /versions must be a NuGet version range/,
    ],
    [
      'a bad time',
      [{ packageId: 'A', url: 'https://x', severity: 1, versions: '(, 1.0)', updated: 'soon' }],
      /updated must be/,
    ],
  ];
  for (const [what, document, message] of bad)
    test(`refused: ${what}`, () => assert.throws(() => parseAdvisoryFile(document), message));
  test('the same advisory twice for one id with different ranges is refused; identical twice is one', () => {
    const entry = { packageId: 'A', url: 'https://x/1', severity: 1, versions: '(, 1.0)' };
    assert.equal(parseAdvisoryFile([entry, entry]).length, 1);
    assert.throws(
      () => parseAdvisoryFile([entry, { ...entry, versions: '[2.0, 2.1)' }]),
      invalid('duplicate_advisory'),
    );
  });
});

describe('planAdvisoryImport', () => {
  const t0 = '2024-01-01T00:00:00.000Z';
  const now = '2024-06-01T00:00:00.000Z';
  const stored: VulnerabilityAdvisory[] = [
    { lowerId: 'a', url: 'https://x/1', severity: 1, versions: '(, 1.0.0)', updated: t0 },
    { lowerId: 'b', url: 'https://x/2', severity: 2, versions: '(, 2.0.0)', updated: t0 },
  ];
  test('merge: unchanged keeps its time, a changed one and a new one get now, nothing is removed', () => {
    const plan = planAdvisoryImport(
      stored,
      [
        { lowerId: 'a', url: 'https://x/1', severity: 1, versions: '(, 1.0.0)' },
        { lowerId: 'b', url: 'https://x/2', severity: 3, versions: '(, 2.0.0)' },
        { lowerId: 'c', url: 'https://x/3', severity: 0, versions: '(, )' },
      ],
      { replace: false, now },
    );
    assert.deepEqual(plan.summary, { added: 1, changed: 1, removed: 0, unchanged: 1 });
    assert.deepEqual([...plan.changedIds].sort(), ['b', 'c']);
    assert.deepEqual(
      plan.upserts.map((a) => [a.lowerId, a.updated]),
      [
        ['b', now],
        ['c', now],
      ],
    );
    assert.equal(plan.after.find((a) => a.lowerId === 'a')?.updated, t0);
  });
  test('replace: what the import does not name is removed', () => {
    const plan = planAdvisoryImport(
      stored,
      [{ lowerId: 'a', url: 'https://x/1', severity: 1, versions: '(, 1.0.0)' }],
      { replace: true, now },
    );
    assert.deepEqual(plan.summary, { added: 0, changed: 0, removed: 1, unchanged: 1 });
    assert.deepEqual(
      plan.removals.map((a) => a.lowerId),
      ['b'],
    );
    assert.deepEqual([...plan.changedIds], ['b']);
    assert.deepEqual(
      plan.after.map((a) => a.lowerId),
      ['a'],
    );
  });
  test('only versions whose vulnerabilities change need a catalog entry', () => {
    const versions = ['0.9.0', '1.5.0', '3.0.0'].map((fullVersion) => ({ lowerId: 'b', fullVersion }));
    const after: VulnerabilityAdvisory[] = [
      { ...(stored[1] as VulnerabilityAdvisory), versions: '(, 1.0.0)' },
    ];
    assert.deepEqual(
      versionsWithChangedVulnerabilities(versions, stored, after).map((v) => v.fullVersion),
      ['1.5.0'],
    );
  });
});

describe('readUpstreamAdvisories', () => {
  test('service index -> VulnerabilityInfo index -> pages, added up', async () => {
    const documents: Record<string, unknown> = {
      'https://up/v3/index.json': {
        version: '3.0.0',
        resources: [{ '@id': 'https://up/vuln/index.json', '@type': 'VulnerabilityInfo/6.7.0' }],
      },
      'https://up/vuln/index.json': [
        { '@name': 'base', '@id': 'https://up/vuln/base.json', '@updated': '2024-01-01T00:00:00Z' },
        { '@name': 'update', '@id': 'https://up/vuln/update.json', '@updated': '2024-02-01T00:00:00Z' },
      ],
      'https://up/vuln/base.json': {
        'contoso.lib': [{ url: 'https://x/1', severity: 2, versions: '(, 1.0.0)' }],
      },
      'https://up/vuln/update.json': {},
    };
    const advisories = await readUpstreamAdvisories(
      async (url) => documents[url],
      'https://up/v3/index.json',
    );
    assert.deepEqual(advisories, [
      {
        lowerId: 'contoso.lib',
        url: 'https://x/1',
        severity: 2,
        versions: '(, 1.0.0)',
        updated: '2024-01-01T00:00:00.000Z',
      },
    ]);
  });
  test("a later page overrides an earlier one for the same advisory (nuget.org's update page)", async () => {
    const documents: Record<string, unknown> = {
      'https://up/v3/index.json': {
        version: '3.0.0',
        resources: [{ '@id': 'https://up/vuln/index.json', '@type': 'VulnerabilityInfo/6.7.0' }],
      },
      'https://up/vuln/index.json': [
        { '@name': 'base', '@id': 'https://up/vuln/base.json', '@updated': '2024-01-01T00:00:00Z' },
        { '@name': 'update', '@id': 'https://up/vuln/update.json', '@updated': '2024-02-01T00:00:00Z' },
      ],
      'https://up/vuln/base.json': {
        'contoso.lib': [{ url: 'https://x/1', severity: 1, versions: '(, 1.0.0)' }],
      },
      'https://up/vuln/update.json': {
        'contoso.lib': [{ url: 'https://x/1', severity: 3, versions: '(, 1.1.0)' }],
      },
    };
    const advisories = await readUpstreamAdvisories(
      async (url) => documents[url],
      'https://up/v3/index.json',
    );
    assert.deepEqual(
      advisories.map((a) => [a.lowerId, a.url, a.severity, a.versions, a.updated]),
      [['contoso.lib', 'https://x/1', 3, '(, 1.1.0)', '2024-02-01T00:00:00.000Z']],
    );
  });
  test('a feed without VulnerabilityInfo says so', async () => {
    await assert.rejects(
      readUpstreamAdvisories(async () => ({ version: '3.0.0', resources: [] }), 'https://up/v3/index.json'),
      invalid('no_vulnerability_info'),
    );
  });
});
