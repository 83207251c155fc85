// The real `dotnet` CLI (SDK 10) against a running nugget: pack, push, search, add package + restore + run,
// list --outdated, unlist/relist, tool install and template install. What each command sends, and why the
// environment is isolated the way it is: ../../../shared/notes/client-behaviour.md (§1.2-1.6, §2, §3.6).
//
// The steps share one server and run in order; each step states which earlier step it needs.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  assertFailed,
  assertSucceeded,
  createDotnetEnv,
  createWorkspace,
  type DotnetEnv,
  type DotnetResult,
  describeResult,
  type FeedServer,
  machineNuGetSources,
  outputOf,
  readZipEntries,
  requireDotnet,
  runCommand,
  solidPng,
  startFeed,
  type Workspace,
  writeFiles,
} from './harness.ts';

const stepTimeout = { timeout: 600_000 };
const feedName = 'nugget';

// Marker strings that can only reach the console app's output through the packages.
const utilWord = 'util-word-7f3a';
const toolMarker = 'e2e-tool ran with';

const coreVersions = ['1.0.0', '1.1.0-beta', '1.1.0-beta.1', '1.2.0'] as const;
type CoreVersion = (typeof coreVersions)[number];

/** The packages step 1 makes, by a short key. The file name is what `dotnet pack` names it. */
const packageFiles = {
  util: 'E2e.Util.1.0.0.nupkg',
  'core-1.0.0': 'E2e.Core.1.0.0.nupkg',
  // SemVer 1 prerelease, and a dotted label (SemVer 2).
  'core-1.1.0-beta': 'E2e.Core.1.1.0-beta.nupkg',
  'core-1.1.0-beta.1': 'E2e.Core.1.1.0-beta.1.nupkg',
  // Pushed only in step 4, as "a newer E2e.Core".
  'core-1.2.0': 'E2e.Core.1.2.0.nupkg',
  // SemVer 2 by build metadata; the file name carries the normalized version.
  meta: 'E2e.Meta.2.0.0.nupkg',
  legacy: 'E2e.Legacy.1.2.3.4.nupkg',
  multi: 'E2e.Multi.1.0.0.nupkg',
  tool: 'E2e.Tool.1.0.0.nupkg',
  templates: 'E2e.Templates.1.0.0.nupkg',
} as const;
type PackageKey = keyof typeof packageFiles;

function libraryProject(properties: Record<string, string>, extra = ''): string {
  const props = Object.entries(properties)
    .map(([name, value]) => `    <${name}>${value}</${name}>`)
    .join('\n');
  return `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
${props}
    <Authors>nugget e2e</Authors>
    <Description>A package made by nugget's end-to-end test.</Description>
  </PropertyGroup>
${extra}</Project>
`;
}

function coreSources(version: CoreVersion): Record<string, string> {
  return {
    // A solution needs unique project names, so only the package and assembly are named E2e.Core.
    [`E2e.Core-${version}.csproj`]: libraryProject(
      { TargetFramework: 'net10.0', Version: version, PackageId: 'E2e.Core', AssemblyName: 'E2e.Core' },
      // A ProjectReference becomes a package dependency on E2e.Util >= 1.0.0 in the nuspec.
      '  <ItemGroup>\n    <ProjectReference Include="../util/E2e.Util.csproj" />\n  </ItemGroup>\n',
    ),
    'Greeting.cs': `namespace E2e.Core
{
    public static class Greeting
    {
        public const string Version = "${version}";
        public static string Message() { return "E2e.Core " + Version + " greets " + E2e.Util.Words.Name(); }
    }
}
`,
  };
}

const readme = '# E2e.Multi\n\nA multi-target package with a readme, an icon and a license expression.\n';
const icon = solidPng(16, 16, [0x2a, 0x7a, 0xe2]);

/** Projects by directory; E2e.Core has one project per version (a global -p:Version would leak into E2e.Util). */
function projectSources(): Record<string, Record<string, string | Buffer>> {
  return {
    util: {
      'E2e.Util.csproj': libraryProject({
        TargetFramework: 'net10.0',
        Version: '1.0.0',
      }),
      'Words.cs': `namespace E2e.Util
{
    public static class Words
    {
        public static string Name() { return "${utilWord}"; }
    }
}
`,
    },
    ...Object.fromEntries(coreVersions.map((version) => [`core-${version}`, coreSources(version)])),
    meta: {
      'E2e.Meta.csproj': libraryProject({
        TargetFramework: 'net10.0',
        Version: '2.0.0+build.5',
      }),
      'Meta.cs': 'namespace E2e.Meta\n{\n    public static class Meta { }\n}\n',
    },
    legacy: {
      'E2e.Legacy.csproj': libraryProject({
        TargetFramework: 'net10.0',
        Version: '1.2.3.4',
      }),
      'Legacy.cs': 'namespace E2e.Legacy\n{\n    public static class Legacy { }\n}\n',
    },
    multi: {
      'E2e.Multi.csproj': libraryProject(
        {
          TargetFrameworks: 'net8.0;netstandard2.0',
          Version: '1.0.0',
          PackageReadmeFile: 'README.md',
          PackageIcon: 'icon.png',
          PackageLicenseExpression: 'MIT',
        },
        '  <ItemGroup>\n    <None Include="README.md" Pack="true" PackagePath="\\" />\n' +
          '    <None Include="icon.png" Pack="true" PackagePath="\\" />\n  </ItemGroup>\n',
      ),
      'Multi.cs': 'namespace E2e.Multi\n{\n    public static class Multi { }\n}\n',
      'README.md': readme,
      'icon.png': icon,
    },
    tool: {
      'E2e.Tool.csproj': libraryProject({
        OutputType: 'Exe',
        TargetFramework: 'net10.0',
        Version: '1.0.0',
        PackAsTool: 'true',
        ToolCommandName: 'e2e-tool',
      }),
      'Program.cs': `System.Console.WriteLine("${toolMarker} " + string.Join(",", args));\n`,
    },
    templates: {
      // The layout Microsoft documents for template packages: content/<template>/.template.config/template.json
      'E2e.Templates.csproj': libraryProject(
        {
          PackageType: 'Template',
          TargetFramework: 'net10.0',
          Version: '1.0.0',
          IncludeContentInPack: 'true',
          IncludeBuildOutput: 'false',
          ContentTargetFolders: 'content',
          EnableDefaultItems: 'false',
          NoDefaultExcludes: 'true',
          // "no lib/ folder": expected for a template package.
          NoWarn: '$(NoWarn);NU5128',
        },
        '  <ItemGroup>\n    <Content Include="templates/**/*" />\n  </ItemGroup>\n',
      ),
      'templates/greeting/.template.config/template.json': JSON.stringify(
        {
          $schema: 'http://json.schemastore.org/template',
          author: 'nugget e2e',
          classifications: ['Test'],
          identity: 'E2e.Templates.Greeting',
          name: 'E2e greeting',
          shortName: 'e2egreeting',
          sourceName: 'GreetingName',
          tags: { language: 'C#', type: 'item' },
        },
        null,
        2,
      ),
      'templates/greeting/GreetingName.txt': 'Hello from the GreetingName template\n',
    },
  };
}

function nuspecOf(entries: Map<string, Buffer>, id: string): string {
  const nuspec = entries.get(`${id}.nuspec`);
  assert.ok(nuspec, `${id}.nuspec missing; entries: ${[...entries.keys()].join(', ')}`);
  return nuspec.toString('utf8');
}

/** The JSON document a command printed (dotnet may print other lines around it). */
function jsonOutput(result: DotnetResult): unknown {
  const start = result.stdout.indexOf('{');
  const end = result.stdout.lastIndexOf('}');
  assert.ok(start >= 0 && end > start, `no JSON in the output\n${describeResult(result)}`);
  try {
    return JSON.parse(result.stdout.slice(start, end + 1));
  } catch (error) {
    assert.fail(`unparsable JSON (${(error as Error).message})\n${describeResult(result)}`);
  }
}

type SearchHit = { id: string; version: string };

/**
 * `dotnet package search --format json` (version 2): `{ problems, searchResult: [{ sourceName, problems?,
 * packages }] }`; a package is `{ id, latestVersion }` from a search, `{ id, version }` with --exact-match.
 */
function searchHits(result: DotnetResult): SearchHit[] {
  type Printed = { id: string; version?: string; latestVersion?: string };
  const document = jsonOutput(result) as {
    problems?: unknown[];
    searchResult?: {
      sourceName?: string;
      problems?: unknown[];
      packages?: Printed[];
    }[];
  };
  assert.deepEqual(document.problems ?? [], [], `search reported problems\n${describeResult(result)}`);
  assert.ok(Array.isArray(document.searchResult), `no searchResult\n${describeResult(result)}`);
  const hits: SearchHit[] = [];
  for (const source of document.searchResult) {
    assert.deepEqual(source.problems ?? [], [], `search reported problems\n${describeResult(result)}`);
    for (const printed of source.packages ?? []) {
      const version = printed.version ?? printed.latestVersion;
      assert.ok(
        version,
        `a search hit without a version: ${JSON.stringify(printed)}\n${describeResult(result)}`,
      );
      hits.push({ id: printed.id, version });
    }
  }
  return hits;
}

function versionsOf(hits: SearchHit[], id: string): string[] {
  return hits.filter((hit) => hit.id.toLowerCase() === id.toLowerCase()).map((hit) => hit.version);
}

describe('the dotnet CLI against nugget', () => {
  let workspace: Workspace;
  /** Builds the test packages; its sources are this machine's own (the NuGet mirror) for reference packs. */
  let packEnv: DotnetEnv;
  /** The consumer: its only package source is our feed. */
  let client: DotnetEnv;
  let server: FeedServer | undefined;
  const nupkgs = new Map<PackageKey, string>();
  let completedSteps = 0;

  const serverLog = () =>
    `--- nugget output (tail) ---\n${(server?.output() ?? '(not started)').slice(-8000)}`;
  const ok = (result: DotnetResult) => assertSucceeded(result, serverLog);
  const requireStep = (step: number) =>
    assert.ok(completedSteps >= step, `step ${step} did not complete, so this step cannot run`);
  const nupkg = (key: PackageKey): string => {
    const file = nupkgs.get(key);
    assert.ok(file, `${key} was not packed`);
    return file;
  };
  const feed = (): FeedServer => {
    assert.ok(server, 'the server is not running');
    return server;
  };
  const push = (key: PackageKey, ...extra: string[]) =>
    client.runDotnet([
      ...['nuget', 'push', nupkg(key), '-s', feedName, '-k', feed().apiKey],
      ...['--configfile', client.configFile, ...extra],
    ]);
  const search = async (...args: string[]): Promise<SearchHit[]> => {
    const result = await client.runDotnet([
      ...['package', 'search', ...args, '--format', 'json', '--configfile', client.configFile],
    ]);
    ok(result);
    return searchHits(result);
  };

  before(async () => {
    const version = await requireDotnet();
    assert.match(version, /^\d+\./, `unexpected dotnet --version output: ${version}`);
    workspace = await createWorkspace();
    // net8.0 and netstandard2.0 need reference packs the SDK does not bundle (Microsoft.NETCore.App.Ref 8.0.x,
    // NETStandard.Library 2.0.3): packing gets them from the machine's own package sources.
    packEnv = await createDotnetEnv(workspace, {
      name: 'pack',
      sources: await machineNuGetSources(),
    });
  });

  after(async () => {
    await server?.stop();
    await workspace?.dispose();
  });

  it('1. dotnet pack makes the test packages', stepTimeout, async () => {
    const outDir = await packEnv.makeDir('out');
    const sources = projectSources();
    for (const [dir, files] of Object.entries(sources)) {
      await writeFiles(path.join(packEnv.root, 'src', dir), files);
    }
    // One `dotnet pack` of a solution: one restore and one MSBuild run that builds E2e.Util once for all the
    // E2e.Core versions. -o is not allowed with a solution, so the output folder is a (global) property.
    const solution = path.join(packEnv.root, 'src', 'E2e.slnx');
    await writeFiles(path.dirname(solution), {
      'E2e.slnx': [
        '<Solution>',
        ...Object.entries(sources).map(([dir, files]) => {
          const project = Object.keys(files).find((file) => file.endsWith('.csproj'));
          return `  <Project Path="${dir}/${project}" />`;
        }),
        '</Solution>',
        '',
      ].join('\n'),
    });
    assertSucceeded(
      await packEnv.runDotnet([
        ...['pack', solution, '-c', 'Release', `-p:PackageOutputPath=${outDir}`],
        ...['--configfile', packEnv.configFile],
      ]),
    );
    for (const [key, file] of Object.entries(packageFiles)) {
      const full = path.join(outDir, file);
      assert.ok(existsSync(full), `dotnet pack did not produce ${file}`);
      nupkgs.set(key as PackageKey, full);
    }

    const core = nuspecOf(await readZipEntries(nupkg('core-1.0.0')), 'E2e.Core');
    assert.match(core, /<dependency id="E2e\.Util" version="1\.0\.0"/);
    const beta1 = nuspecOf(await readZipEntries(nupkg('core-1.1.0-beta.1')), 'E2e.Core');
    assert.match(beta1, /<version>1\.1\.0-beta\.1<\/version>/);
    // The nuspec keeps the build metadata; only the file name is normalized.
    assert.match(
      nuspecOf(await readZipEntries(nupkg('meta')), 'E2e.Meta'),
      /<version>2\.0\.0\+build\.5<\/version>/,
    );
    assert.match(
      nuspecOf(await readZipEntries(nupkg('legacy')), 'E2e.Legacy'),
      /<version>1\.2\.3\.4<\/version>/,
    );

    const multiEntries = await readZipEntries(nupkg('multi'));
    const multi = nuspecOf(multiEntries, 'E2e.Multi');
    assert.match(multi, /<license type="expression">MIT<\/license>/);
    assert.match(multi, /<readme>README\.md<\/readme>/);
    assert.match(multi, /<icon>icon\.png<\/icon>/);
    assert.match(multi, /<group targetFramework="net8\.0"/);
    assert.match(multi, /<group targetFramework="\.NETStandard2\.0"/);
    assert.ok(multiEntries.has('lib/net8.0/E2e.Multi.dll'), 'lib/net8.0/E2e.Multi.dll missing');
    assert.ok(
      multiEntries.has('lib/netstandard2.0/E2e.Multi.dll'),
      'lib/netstandard2.0/E2e.Multi.dll missing',
    );
    assert.equal(multiEntries.get('README.md')?.toString('utf8'), readme);
    assert.deepEqual(multiEntries.get('icon.png'), icon);

    const toolEntries = await readZipEntries(nupkg('tool'));
    assert.match(nuspecOf(toolEntries, 'E2e.Tool'), /<packageType name="DotnetTool"/);
    assert.ok(toolEntries.has('tools/net10.0/any/DotnetToolSettings.xml'), 'tool settings missing');

    const templateEntries = await readZipEntries(nupkg('templates'));
    assert.match(nuspecOf(templateEntries, 'E2e.Templates'), /<packageType name="Template"/);
    assert.ok(
      templateEntries.has('content/templates/greeting/.template.config/template.json'),
      `template.json missing; entries: ${[...templateEntries.keys()].join(', ')}`,
    );
    completedSteps = 1;
  });

  it(
    '2. dotnet nuget push publishes them; a duplicate is a 409 unless --skip-duplicate',
    stepTimeout,
    async () => {
      requireStep(1);
      server = await startFeed(workspace);
      client = await createDotnetEnv(workspace, {
        name: 'client',
        sources: [{ name: feedName, url: server.serviceIndexUrl }],
      });

      for (const key of Object.keys(packageFiles) as PackageKey[]) {
        if (key === 'core-1.2.0' || key === 'multi') continue;
        ok(await push(key));
      }
      // -s may also be the exact URL of a configured source (it then inherits allowInsecureConnections).
      ok(
        await client.runDotnet([
          ...['nuget', 'push', nupkg('multi'), '-s', server.serviceIndexUrl, '-k', server.apiKey],
          ...['--configfile', client.configFile],
        ]),
      );

      const duplicate = await push('util');
      assertFailed(duplicate, serverLog);
      assert.match(outputOf(duplicate), /409|Conflict/, describeResult(duplicate));

      const skipped = await push('util', '--skip-duplicate');
      ok(skipped);
      assert.match(outputOf(skipped), /already exists/i, describeResult(skipped));
      completedSteps = 2;
    },
  );

  it('3. dotnet package search finds them (plain, --prerelease, --exact-match)', stepTimeout, async () => {
    requireStep(2);
    const stable = await search('E2e', '--take', '50');
    for (const id of [
      'E2e.Util',
      'E2e.Core',
      'E2e.Meta',
      'E2e.Legacy',
      'E2e.Multi',
      'E2e.Tool',
      'E2e.Templates',
    ]) {
      assert.equal(versionsOf(stable, id).length, 1, `${id} not found once in ${JSON.stringify(stable)}`);
    }
    assert.deepEqual(versionsOf(stable, 'E2e.Core'), ['1.0.0'], 'without --prerelease: latest stable');
    assert.deepEqual(versionsOf(stable, 'E2e.Legacy'), ['1.2.3.4']);
    // The client prints the normalized version, without the build metadata.
    assert.deepEqual(versionsOf(stable, 'E2e.Meta'), ['2.0.0']);

    const prerelease = await search('E2e.Core', '--prerelease');
    assert.deepEqual(
      versionsOf(prerelease, 'E2e.Core'),
      ['1.1.0-beta.1'],
      'with --prerelease: latest of all',
    );

    // --exact-match reads the registration: one row per (listed) version.
    const exact = await search('E2e.Core', '--exact-match');
    assert.deepEqual(versionsOf(exact, 'E2e.Core'), ['1.0.0']);
    const exactPrerelease = await search('E2e.Core', '--exact-match', '--prerelease');
    assert.deepEqual(versionsOf(exactPrerelease, 'E2e.Core').sort(), ['1.0.0', '1.1.0-beta', '1.1.0-beta.1']);
    assert.deepEqual(versionsOf(await search('e2e.util', '--exact-match'), 'E2e.Util'), ['1.0.0']);
    completedSteps = 3;
  });

  it(
    '4. a console app adds E2e.Core (latest stable), builds, runs; list --outdated sees a newer push',
    stepTimeout,
    async () => {
      requireStep(3);
      const appDir = path.join(client.root, 'consumer');
      ok(await client.runDotnet(['new', 'console', '-o', appDir, '--no-restore', '--no-update-check']));
      await writeFiles(appDir, {
        'Program.cs': 'System.Console.WriteLine(E2e.Core.Greeting.Message());\n',
      });

      // No version: the client asks the registration for the latest stable (1.0.0, not 1.1.0-beta.1).
      ok(await client.runDotnet(['add', 'package', 'E2e.Core'], { cwd: appDir }));
      const project = await readFile(path.join(appDir, 'consumer.csproj'), 'utf8');
      assert.match(project, /<PackageReference Include="E2e\.Core" Version="1\.0\.0" \/>/, project);
      assert.ok(
        existsSync(path.join(client.packagesDir, 'e2e.util', '1.0.0', 'e2e.util.1.0.0.nupkg')),
        'the dependency E2e.Util 1.0.0 was not restored',
      );

      ok(await client.runDotnet(['build'], { cwd: appDir }));
      const run = await client.runDotnet(['run', '--no-build'], {
        cwd: appDir,
      });
      ok(run);
      assert.match(run.stdout, new RegExp(`E2e\\.Core 1\\.0\\.0 greets ${utilWord}`), describeResult(run));

      ok(await push('core-1.2.0'));
      // `add package` left E2e.Core's registration in the http-cache, which the client trusts for 30 minutes.
      ok(await client.runDotnet(['nuget', 'locals', 'http-cache', '--clear']));
      const outdated = await client.runDotnet(
        ['list', 'package', '--outdated', '--format', 'json', '--configfile', client.configFile],
        { cwd: appDir },
      );
      ok(outdated);
      // --format json: { projects: [{ frameworks: [{ topLevelPackages: [{ id, requestedVersion, resolvedVersion,
      // latestVersion }] }] }] }
      const report = jsonOutput(outdated) as {
        projects?: {
          frameworks?: { topLevelPackages?: Record<string, unknown>[] }[];
        }[];
      };
      const rows = (report.projects ?? []).flatMap((p) =>
        (p.frameworks ?? []).flatMap((framework) => framework.topLevelPackages ?? []),
      );
      const row = rows.find((candidate) => candidate['id'] === 'E2e.Core');
      assert.ok(row, `E2e.Core is not listed as outdated\n${describeResult(outdated)}`);
      assert.equal(row['resolvedVersion'], '1.0.0', describeResult(outdated));
      assert.equal(row['latestVersion'], '1.2.0', describeResult(outdated));
      completedSteps = 4;
    },
  );

  it(
    '5. dotnet nuget delete unlists: gone from search, still restorable; a POST relists',
    stepTimeout,
    async () => {
      requireStep(2);
      // delete takes no --configfile: the source name resolves through the config hierarchy of the cwd.
      ok(
        await client.runDotnet([
          ...['nuget', 'delete', 'E2e.Legacy', '1.2.3.4', '-s', feedName, '-k', feed().apiKey],
          '--non-interactive',
        ]),
      );
      assert.deepEqual(
        versionsOf(await search('E2e.Legacy'), 'E2e.Legacy'),
        [],
        'unlisted, yet found by search',
      );
      assert.deepEqual(versionsOf(await search('E2e.Legacy', '--exact-match'), 'E2e.Legacy'), []);

      // An exact version still restores, with a fresh global packages folder and no http-cache.
      const projectDir = path.join(client.root, 'pins-unlisted');
      await writeFiles(projectDir, {
        'PinsUnlisted.csproj': `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="E2e.Legacy" Version="[1.2.3.4]" />
  </ItemGroup>
</Project>
`,
      });
      const freshPackages = await client.makeDir('nuget-packages-unlisted');
      const restore = await client.runDotnet(['restore', '--no-http-cache', '--force'], {
        cwd: projectDir,
        env: {
          NUGET_PACKAGES: freshPackages,
          NUGET_HTTP_CACHE_PATH: await client.makeDir('http-cache-unlisted'),
        },
      });
      ok(restore);
      assert.ok(
        existsSync(path.join(freshPackages, 'e2e.legacy', '1.2.3.4', 'e2e.legacy.1.2.3.4.nupkg')),
        `E2e.Legacy 1.2.3.4 is not in the fresh packages folder\n${describeResult(restore)}`,
      );

      // The CLI has no relist: it is a POST to the same URL the delete used.
      const index = (await (await fetch(feed().serviceIndexUrl)).json()) as {
        resources: { '@id': string; '@type': string | string[] }[];
      };
      const publish = index.resources.find((resource) =>
        [resource['@type']].flat().includes('PackagePublish/2.0.0'),
      );
      assert.ok(publish, `no PackagePublish/2.0.0 in ${JSON.stringify(index)}`);
      const relistUrl = `${publish['@id'].replace(/\/$/, '')}/E2e.Legacy/1.2.3.4`;
      const relist = await fetch(relistUrl, {
        method: 'POST',
        headers: { 'X-NuGet-ApiKey': feed().apiKey },
      });
      assert.ok(relist.ok, `POST ${relistUrl} -> ${relist.status} ${await relist.text()}\n${serverLog()}`);
      assert.deepEqual(
        versionsOf(await search('E2e.Legacy'), 'E2e.Legacy'),
        ['1.2.3.4'],
        'relisted, yet not found',
      );
      completedSteps = Math.max(completedSteps, 5);
    },
  );

  it('6. dotnet tool install and dotnet new install use packages from the feed', stepTimeout, async () => {
    requireStep(2);
    const toolDir = path.join(client.root, 'tools');
    const install = await client.runDotnet([
      ...['tool', 'install', 'E2e.Tool', '--tool-path', toolDir],
      ...['--configfile', client.configFile],
    ]);
    ok(install);
    assert.match(install.stdout, /e2e\.tool/i, describeResult(install));
    const toolRun = await runCommand(path.join(toolDir, 'e2e-tool'), ['alpha', 'beta'], {
      cwd: client.root,
      env: client.env,
    });
    assertSucceeded(toolRun);
    assert.match(toolRun.stdout, new RegExp(`${toolMarker} alpha,beta`), describeResult(toolRun));

    // Template installs land in the isolated DOTNET_CLI_HOME; the feed comes from the cwd's NuGet.Config.
    // The template engine skips http sources ("are insecure and will not be searched") unless --force.
    const templateInstall = await client.runDotnet(['new', 'install', 'E2e.Templates::1.0.0', '--force']);
    ok(templateInstall);
    assert.match(templateInstall.stdout, /E2e\.Templates/, describeResult(templateInstall));
    assert.ok(
      existsSync(path.join(client.home, '.templateengine', 'packages', 'E2e.Templates.1.0.0.nupkg')),
      'the template package is not in the isolated DOTNET_CLI_HOME',
    );
    const madeDir = path.join(client.root, 'made');
    ok(await client.runDotnet(['new', 'e2egreeting', '-n', 'Lovely', '-o', madeDir]));
    assert.equal(
      await readFile(path.join(madeDir, 'Lovely.txt'), 'utf8'),
      'Hello from the Lovely template\n',
      'the file the template made',
    );
    completedSteps = Math.max(completedSteps, 6);
  });
});
