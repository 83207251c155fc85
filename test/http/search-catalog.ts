// The packages search.test.ts and autocomplete.test.ts query: each one exists to make one rule observable.
import { buildNupkg, buildNuspecXml, type NupkgSpec } from '../fixtures/build-nupkg.ts';
import { type TestFeed, testApiKey } from './feed-fixture.ts';

/** A nuspec with <owners>, which buildNupkg has no option for. */
function withOwners(spec: NupkgSpec, owners: string): NupkgSpec {
  return {
    ...spec,
    nuspecXml: buildNuspecXml(spec).replace('</metadata>', `  <owners>${owners}</owners>\n  </metadata>`),
  };
}

export const searchCatalog: NupkgSpec[] = [
  {
    id: 'Newtonsoft.Json',
    version: '13.0.1',
    authors: 'James Newton-King',
    description: 'Json.NET is a popular high-performance JSON framework for .NET',
    tags: ['json'],
  },
  {
    id: 'Newtonsoft.Json',
    version: '12.0.3',
    authors: 'James Newton-King',
    description: 'Json.NET',
  },
  {
    id: 'Newtonsoft.Json.Bson',
    version: '1.0.2',
    authors: 'James Newton-King',
    description: 'BSON for Json.NET',
  },
  {
    // Mentions the exact id many times, so relevance alone would rank it high.
    id: 'Json.Mentions',
    version: '1.0.0',
    description: 'Newtonsoft.Json newtonsoft.json Newtonsoft.Json helpers for Newtonsoft.Json users',
    tags: ['newtonsoft.json'],
  },
  {
    id: 'Serilog',
    version: '3.0.0',
    description: 'Simple .NET logging with fully-structured events',
  },
  {
    id: 'Serilog',
    version: '4.0.0-beta',
    description: 'Simple .NET logging, next',
  },
  {
    id: 'Pre.Only',
    version: '0.1.0-alpha',
    description: 'Only a prerelease exists',
  },
  {
    id: 'SemVer2.Dotted',
    version: '1.0.0-beta.1',
    description: 'SemVer 2 by a dotted label',
  },
  {
    id: 'SemVer2.Meta',
    version: '1.0.0+abc',
    description: 'SemVer 2 by build metadata',
  },
  { id: 'Mixed.Levels', version: '1.0.0' },
  { id: 'Mixed.Levels', version: '1.1.0+meta' },
  { id: 'Mixed.Levels', version: '1.2.0-beta.1' },
  { id: 'Mixed.Levels', version: '1.3.0-beta' },
  {
    id: 'My.Tool',
    version: '1.0.0',
    description: 'A dotnet tool',
    packageTypes: [{ name: 'DotnetTool' }],
  },
  {
    id: 'Title.Pkg',
    version: '1.0.0',
    title: 'Fancy Widget Toolkit',
    description: 'plain words',
  },
  {
    id: 'Summary.Pkg',
    version: '1.0.0',
    summary: 'zebra crossing',
    description: 'plain words',
  },
  {
    id: 'Tagged.Pkg',
    version: '1.0.0',
    tags: ['quokka', 'wombat'],
    description: 'plain words',
  },
  {
    id: 'Authored.Pkg',
    version: '1.0.0',
    authors: 'Grace Hopper',
    description: 'plain words',
  },
  {
    id: 'Described.Pkg',
    version: '1.0.0',
    description: 'an aardvark in the description',
  },
  withOwners({ id: 'Owned.Pkg', version: '1.0.0', description: 'plain words' }, 'contoso'),
  {
    id: 'Unlisted.Pkg',
    version: '1.0.0',
    description: 'never shown: unlisted',
  },
  {
    id: 'Partly.Unlisted',
    version: '1.0.0',
    description: 'one version unlisted',
  },
  {
    id: 'Partly.Unlisted',
    version: '2.0.0',
    description: 'one version unlisted',
  },
];

/** Every id above that search shows with default parameters (no prerelease, no SemVer 2.0.0). */
export const stableSemVer1Ids = [
  'Authored.Pkg',
  'Described.Pkg',
  'Json.Mentions',
  'Mixed.Levels',
  'My.Tool',
  'Newtonsoft.Json',
  'Newtonsoft.Json.Bson',
  'Owned.Pkg',
  'Partly.Unlisted',
  'Serilog',
  'Summary.Pkg',
  'Tagged.Pkg',
  'Title.Pkg',
];

export async function publishSearchCatalog(feed: TestFeed): Promise<void> {
  for (const spec of searchCatalog) {
    const response = await feed.push(await buildNupkg(spec));
    if (response.statusCode !== 201) throw new Error(`push ${spec.id} ${spec.version}: ${response.body}`);
  }
  for (const [id, version] of [
    ['Unlisted.Pkg', '1.0.0'],
    ['Partly.Unlisted', '2.0.0'],
  ]) {
    const response = await feed.request('DELETE', `/v3/package/${id}/${version}`, {
      headers: { 'x-nuget-apikey': testApiKey },
    });
    if (response.statusCode !== 204) throw new Error(`unlist ${id} ${version}: ${response.body}`);
  }
}
