import assert from 'node:assert/strict';
import { test } from 'node:test';
import { upstreamEntryOf, upstreamSearchEntriesOf } from './upstream-entry.ts';

const upstream = new Set(['https://api.upstream.example', 'https://cdn.upstream.example']);
const leaf = (fields: Record<string, unknown>) => ({
  id: 'Contoso.Lib',
  version: '1.0.0',
  published: '2024-05-01T10:00:00+00:00',
  authors: 'Contoso',
  description: 'd',
  ...fields,
});

test('what the upstream says of a version is kept exactly', () => {
  const entry = upstreamEntryOf(
    leaf({
      listed: false,
      deprecation: {
        reasons: ['Legacy'],
        message: 'old',
        alternatePackage: { id: 'Contoso.New', range: '[2.0.0, )' },
      },
      vulnerabilities: [{ advisoryUrl: 'https://github.com/advisories/GHSA-1', severity: '3' }],
      dependencyGroups: [
        { targetFramework: 'net8.0', dependencies: [{ id: 'A', range: '[1.0.0, )' }, { id: 'B' }] },
        {},
      ],
      licenseExpression: 'MIT',
      licenseUrl: 'https://licenses.nuget.org/MIT',
      tags: ['x', 'y'],
      authors: ['Ann', 'Bob'],
    }),
    'contoso.lib',
    upstream,
  );
  assert.ok(entry);
  const v = entry.version;
  assert.equal(v.published, '2024-05-01T10:00:00+00:00');
  assert.equal(v.listed, false);
  assert.deepEqual(v.deprecation, {
    reasons: ['Legacy'],
    message: 'old',
    alternatePackage: { id: 'Contoso.New', range: '[2.0.0, )' },
  });
  assert.deepEqual(entry.vulnerabilities, [
    { advisoryUrl: 'https://github.com/advisories/GHSA-1', severity: 3 },
  ]);
  assert.deepEqual(v.metadata.dependencyGroups, [
    {
      targetFramework: 'net8.0',
      dependencies: [
        { id: 'A', range: '[1.0.0, )' },
        { id: 'B', range: '(, )' },
      ],
    },
    { targetFramework: '', dependencies: [] },
  ]);
  assert.equal(v.metadata.licenseExpression, 'MIT');
  assert.equal(v.metadata.authors, 'Ann, Bob');
  assert.deepEqual(v.metadata.tags, ['x', 'y']);
  assert.equal(v.blobPrefix, '', 'not cached');
});

test("nuget.org's 1900 published date means unlisted when `listed` is absent", () => {
  assert.equal(
    upstreamEntryOf(leaf({ published: '1900-01-01T00:00:00+00:00' }), 'contoso.lib', upstream)?.version
      .listed,
    false,
  );
  assert.equal(upstreamEntryOf(leaf({}), 'contoso.lib', upstream)?.version.listed, true);
});

test("URLs into the upstream become the package's own files or are dropped; others are kept", () => {
  const entry = upstreamEntryOf(
    leaf({
      iconUrl: 'https://api.upstream.example/v3-flatcontainer/contoso.lib/1.0.0/icon',
      licenseUrl: 'https://cdn.upstream.example/contoso.lib/1.0.0/license',
      projectUrl: 'https://api.upstream.example/somewhere',
      readmeUrl: 'https://www.upstream.example/packages/Contoso.Lib/1.0.0#readme',
      packageContent: 'https://api.upstream.example/x.nupkg',
    }),
    'contoso.lib',
    upstream,
  )!;
  assert.deepEqual(entry.version.embeddedFiles, ['nuspec', 'icon', 'license', 'readme']);
  assert.equal(entry.version.metadata.iconUrl, undefined);
  assert.equal(entry.version.metadata.licenseUrl, undefined);
  assert.equal(entry.version.metadata.projectUrl, undefined);
  const external = upstreamEntryOf(
    leaf({
      iconUrl: 'https://img.example/i.png',
      projectUrl: 'https://github.com/contoso/lib',
      licenseUrl: 'file:///c:/x',
    }),
    'contoso.lib',
    upstream,
  )!;
  assert.equal(external.version.metadata.iconUrl, 'https://img.example/i.png');
  assert.equal(external.version.metadata.projectUrl, 'https://github.com/contoso/lib');
  assert.equal(external.version.metadata.licenseUrl, undefined, 'only absolute http(s) URLs');
  assert.deepEqual(external.version.embeddedFiles, ['nuspec']);
});

test('a leaf of another id, without a version, or not an object is no entry; bad fields are dropped', () => {
  assert.equal(upstreamEntryOf(leaf({ id: 'Other.Lib' }), 'contoso.lib', upstream), undefined);
  assert.equal(upstreamEntryOf(leaf({ version: 'not-a-version' }), 'contoso.lib', upstream), undefined);
  assert.equal(upstreamEntryOf('https://api.upstream.example/leaf.json', 'contoso.lib', upstream), undefined);
  assert.equal(upstreamEntryOf(null, 'contoso.lib', upstream), undefined);
  const odd = upstreamEntryOf(
    leaf({
      published: 'yesterday',
      vulnerabilities: [{ advisoryUrl: 'x', severity: '9' }],
      deprecation: { reasons: [] },
    }),
    'contoso.lib',
    upstream,
  )!;
  assert.equal(odd.version.published, '1900-01-01T00:00:00+00:00');
  assert.deepEqual(odd.vulnerabilities, []);
  assert.equal(odd.version.deprecation, undefined);
});

test('a search result gives one entry per listed version, the latest last with the metadata', () => {
  const hit = upstreamSearchEntriesOf(
    {
      id: 'Contoso.Lib',
      version: '2.0.0',
      description: 'd',
      totalDownloads: 30,
      versions: [
        { version: '1.0.0', downloads: 10 },
        { version: '2.0.0', downloads: 20 },
      ],
    },
    upstream,
  )!;
  assert.equal(hit.lowerId, 'contoso.lib');
  assert.deepEqual(
    hit.entries.map((e) => [e.version.version, e.version.downloads]),
    [
      ['1.0.0', 10],
      ['2.0.0', 20],
    ],
  );
});
