// NuGet.Protocol 8.0.0, the library under Visual Studio, the dotnet CLI, PSResourceGet and most NuGet tools, used
// through its own resource providers by a small C# program (nuget-protocol/Program.cs) built here with
// `dotnet build`: Repository.Factory.GetCoreV3, ServiceIndexResourceV3, PackageUpdateResource (push, skip-duplicate,
// delete), FindPackageByIdResource, PackageMetadataResource (with deprecation and vulnerabilities),
// PackageSearchResource, AutoCompleteResource, DownloadResource, RegistrationResourceV3, MetadataResource and
// IVulnerabilityInfoResource. Each run of the program is a new process sharing one http-cache, as a developer's
// successive commands do; the library keeps the service index there for 30 minutes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { machineSourcesConfig } from './dotnet-tools.ts';
import { assertSucceeded, describeResult, feedSuite, orderedSteps, writeFiles } from './harness.ts';

const stepTimeout = { timeout: 300_000 };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the program's JSON is checked field by field.
type Observed = Record<string, any>;
const advisoryUrl = 'https://example.com/advisories/PROTO-1';

describe('NuGet.Protocol 8.0.0 through its resource providers', () => {
  let program = '';
  let packagesDir = '';
  const sha512 = new Map<string, string>();
  const suite = feedSuite('protocol');
  const { feed, serverLog, client } = suite;
  const steps = orderedSteps();

  /** Runs the program; resolves with the JSON it printed. */
  const harness = async (...args: string[]): Promise<Observed> => {
    const result = await client().runDotnet([
      program,
      args[0] ?? '',
      feed().serviceIndexUrl,
      feed().apiKey,
      ...args.slice(1),
    ]);
    assertSucceeded(result, serverLog);
    try {
      return JSON.parse(result.stdout) as Observed;
    } catch {
      return assert.fail(`the program printed no JSON\n${describeResult(result)}`);
    }
  };
  const admin = async (method: string, route: string, body: unknown) => {
    const response = await fetch(new URL(route, feed().serviceIndexUrl), {
      method,
      headers: { 'content-type': 'application/json', 'x-nuget-apikey': feed().apiKey },
      body: JSON.stringify(body),
    });
    assert.ok(response.ok, `${method} ${route}: ${response.status} ${await response.text()}`);
  };

  before(async () => {
    await suite.setUp();
    const source = path.join(import.meta.dirname, 'nuget-protocol');
    const project = await client().makeDir('harness');
    for (const file of ['Program.cs', 'NuGetProtocolHarness.csproj']) {
      await copyFile(path.join(source, file), path.join(project, file));
    }
    const out = path.join(project, 'bin');
    // NuGet.Protocol comes from this machine's own sources; the feed under test does not hold it.
    const build = await client().runDotnet(
      ['build', '-c', 'Release', '-o', out, '--configfile', await machineSourcesConfig(client())],
      { cwd: project },
    );
    assertSucceeded(build);
    program = path.join(out, 'NuGetProtocolHarness.dll');

    packagesDir = await client().makeDir('packages');
    const specs = [
      { id: 'Proto.Lib', version: '1.0.0', projectUrl: 'https://example.com/proto' },
      { id: 'Proto.Lib', version: '1.1.0' },
      { id: 'Proto.Lib', version: '2.0.0-beta.1' },
      {
        id: 'Proto.App',
        version: '1.0.0',
        dependencyGroups: [
          { targetFramework: 'net8.0', dependencies: [{ id: 'Proto.Lib', range: '[1.0.0, )' }] },
        ],
      },
    ];
    for (const spec of specs) {
      const bytes = await buildNupkg({ ...spec, description: `${spec.id} for NuGet.Protocol` });
      const name = `${spec.id}.${spec.version}.nupkg`;
      await writeFiles(packagesDir, { [name]: bytes });
      sha512.set(name, createHash('sha512').update(bytes).digest('base64'));
    }
  });

  after(() => suite.tearDown());

  it(
    '1. PackageUpdateResource pushes; a duplicate is skipped with skipDuplicate and a 409 without',
    stepTimeout,
    async () => {
      const files = [
        'Proto.App.1.0.0.nupkg',
        'Proto.Lib.1.0.0.nupkg',
        'Proto.Lib.1.1.0.nupkg',
        'Proto.Lib.2.0.0-beta.1.nupkg',
      ];
      const observed = await harness('push', ...files.map((file) => path.join(packagesDir, file)));
      assert.deepEqual(observed['pushed'], files);
      assert.equal(observed['duplicateSkipped'], true);
      assert.match(
        String(observed['duplicate']?.error),
        /409 \(Proto\.App 1\.0\.0 already exists on this feed/,
      );
      steps.completed(1);
    },
  );

  it(
    '2. every read resource answers as the library expects, deprecation and vulnerabilities included',
    stepTimeout,
    async () => {
      steps.require(1);
      // Step 1 left the service index in the shared http-cache, read before any advisory existed: VulnerabilityInfo
      // must be in it all the same, or this machine would not see advisories for 30 minutes (issue 10, class 4).
      await admin('PUT', '/v3/admin/deprecations/Proto.Lib/1.0.0', {
        reasons: ['Legacy', 'CriticalBugs'],
        message: 'Use 1.1.0.',
        alternatePackage: { id: 'Proto.App', range: '[1.0.0, )' },
      });
      await admin('PUT', '/v3/admin/vulnerabilities', [
        { packageId: 'Proto.Lib', url: advisoryUrl, severity: 'high', versions: '[1.0.0, 1.1.0)' },
      ]);
      const o = await harness('read', 'Proto.Lib', 'Proto.App');
      const base = feed().serviceIndexUrl.replace(/index\.json$/, '');

      assert.equal(o['serviceIndex'].packageBaseAddress, `${base}flatcontainer/`);
      assert.equal(o['serviceIndex'].registrationsBaseUrl, `${base}registration-gz-semver2/`);
      assert.deepEqual(o['serviceIndex'].searchQueryService, [`${base}search`]);
      assert.equal(o['serviceIndex'].vulnerabilityInfo, `${base}vulnerabilities/index.json`);

      assert.deepEqual(o['findVersions'], ['1.0.0', '1.1.0', '2.0.0-beta.1']);
      assert.equal(o['findMissingVersions'], 0);
      assert.deepEqual(o['exists'], { present: true, absent: false });
      assert.deepEqual(o['dependencyInfo'], [
        { framework: 'net8.0', dependencies: [{ id: 'Proto.Lib', range: '[1.0.0, )' }] },
      ]);
      assert.equal(o['copyNupkgSha512'], sha512.get('Proto.Lib.1.1.0.nupkg'), 'the same bytes as pushed');

      const metadata = o['metadata'] as Observed[];
      assert.deepEqual(
        metadata.map((m) => [m['version'], m['listed']]),
        [
          ['1.0.0', true],
          ['1.1.0', true],
          ['2.0.0-beta.1', true],
        ],
      );
      const [first, second] = metadata;
      assert.equal(first?.['description'], 'Proto.Lib for NuGet.Protocol');
      assert.equal(first?.['projectUrl'], 'https://example.com/proto');
      assert.deepEqual(first?.['deprecation'], {
        reasons: ['Legacy', 'CriticalBugs'],
        message: 'Use 1.1.0.',
        alternateId: 'Proto.App',
        alternateRange: '[1.0.0, )',
      });
      assert.deepEqual(first?.['vulnerabilities'], [{ url: advisoryUrl, severity: 2 }]);
      assert.equal(second?.['deprecation'], null);
      assert.ok(!second?.['vulnerabilities']?.length, 'no advisory for 1.1.0');
      assert.deepEqual(o['metadataStableOnly'], ['1.0.0', '1.1.0']);
      assert.deepEqual(o['metadataOfIdentity']['deprecation']['reasons'], ['Legacy', 'CriticalBugs']);
      assert.equal(o['metadataMissing'], 0);

      const hits = o['search'] as Observed[];
      assert.deepEqual(
        hits.map((hit) => [hit['summary']['id'], hit['summary']['version'], hit['versions']]),
        [
          ['Proto.App', '1.0.0', ['1.0.0']],
          ['Proto.Lib', '2.0.0-beta.1', ['1.0.0', '1.1.0', '2.0.0-beta.1']],
        ],
      );
      assert.deepEqual(o['searchStable'], ['Proto.Lib.1.1.0']);
      assert.deepEqual(o['autocomplete'], { ids: ['Proto.App', 'Proto.Lib'], versions: ['1.0.0', '1.1.0'] });
      assert.deepEqual(o['download'], { status: 'Available', identity: 'Proto.Lib.1.1.0' });
      assert.deepEqual(o['registration'], {
        uri: `${base}registration-gz-semver2/proto.lib/index.json`,
        versions: ['1.0.0', '1.1.0', '2.0.0-beta.1'],
      });
      assert.equal(o['latestVersion'], '1.1.0');
      assert.deepEqual(o['vulnerabilityInfo'], {
        error: null,
        files: 1,
        advisories: [{ id: 'proto.lib', url: advisoryUrl, severity: 2, versions: '[1.0.0, 1.1.0)' }],
      });
      steps.completed(2);
    },
  );

  it(
    '3. PackageUpdateResource.Delete unlists; the metadata then hides the version unless asked for unlisted ones',
    stepTimeout,
    async () => {
      steps.require(2);
      const o = await harness('delete', 'Proto.Lib', '2.0.0-beta.1');
      assert.equal(o['deleted'], true);
      assert.deepEqual(o['listedVersions'], ['1.0.0', '1.1.0']);
      assert.deepEqual(o['allVersions'], [
        { version: '1.0.0', listed: true },
        { version: '1.1.0', listed: true },
        { version: '2.0.0-beta.1', listed: false },
      ]);
      assert.match(String(o['deleteMissing']?.error), /404/);
    },
  );
});
