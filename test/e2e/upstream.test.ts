// Issue 13 end to end, with the real dotnet client and ONE source: a virtual feed `team` of nugget whose members are
// a hosted feed `internal` and an upstream feed `public`, which reads a second nugget loaded with the real
// nuget.org packages (test/support/nugget-upstream.ts) through a counting proxy. Each client is isolated (own
// NUGET_PACKAGES, http-cache, HOME, NuGet.Config naming only nugget). The steps run in order on one server:
//  1. a project using a private package and real public packages with transitive dependencies restores, builds, runs
//  2. dotnet package search; 3. dotnet list package --outdated --deprecated --vulnerable; 4. dotnet tool install
//  5. restore audits (NU1903) from nugget; 6. internal id wins; 7. 100 concurrent first downloads, one upstream GET
//  8. nugget prefetch; then the upstream is stopped:
//  9. the same restore with empty caches succeeds from nugget alone, audit included; 10. a never-cached package
//     fails fast with NU1101 (404s, no 5xx); 11. search answers with hosted and cached results; 12. the prefetched
//     project restores.
// Client behaviour relied on: ../../../shared/notes/client-behaviour.md (§1.2-1.4, §1.7, §3.1, §3.2, §3.6).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import {
  assertFailed,
  assertSucceeded,
  createDotnetEnv,
  createWorkspace,
  type DotnetEnv,
  describeResult,
  type FeedServer,
  outputOf,
  requireDotnet,
  runCommand,
  startFeed,
  type Workspace,
  writeFiles,
} from './harness.ts';
import { createFeed, pushToFeed } from '../support/feed-admin.ts';
import {
  manyVersions,
  type NuggetUpstream,
  packDotnetTool,
  packProject,
  realPackageFiles,
  startNuggetUpstream,
} from '../support/nugget-upstream.ts';

const stepTimeout = { timeout: 300_000 };
const toolMarker = 'UPSTREAM-TOOL-RAN';
const advisoryUrl = 'https://github.com/advisories/GHSA-5crp-9r3c-p9vr';

/** The app of step 1: a private package, real public ones (xunit.extensibility.execution -> .core -> .abstractions). */
const appProject = `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <NuGetAudit>true</NuGetAudit>
    <NuGetAuditMode>all</NuGetAuditMode>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Contoso.Private" Version="1.0.0" />
    <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />
    <PackageReference Include="xunit.extensibility.execution" Version="2.9.3" />
    <PackageReference Include="xunit.assert" Version="2.9.3" />
    <PackageReference Include="Upstream.Many" Version="1.0.0" />
  </ItemGroup>
</Project>
`;
const appProgram = `var json = Newtonsoft.Json.JsonConvert.SerializeObject(new {
    greeting = Contoso.Private.Greeter.Hello(),
    test = typeof(Xunit.Abstractions.ITest).Name,
});
Xunit.Assert.Equal(2, 1 + 1);
System.Console.WriteLine("APP-OK " + json);
`;
/** Prefetched in step 8, restored offline in step 12: Microsoft.NET.Test.Sdk -> TestHost -> ObjectModel, ... */
const prefetchedProject = `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
    <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
  </ItemGroup>
</Project>
`;

const projectWith = (references: Record<string, string>) =>
  `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
${Object.entries(references)
  .map(([id, version]) => `    <PackageReference Include="${id}" Version="${version}" />`)
  .join('\n')}
  </ItemGroup>
</Project>
`;

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
/** `dotnet package search` as JSON: the table wraps long ids. */
const searchArgs = (term: string) => ['package', 'search', term, '--format', 'json'];
const sha512 = (bytes: Uint8Array) => createHash('sha512').update(bytes).digest('base64');

describe('upstream and virtual feeds with the dotnet client', { timeout: 1_800_000 }, () => {
  let workspace: Workspace | undefined;
  let server: FeedServer | undefined;
  let upstream: NuggetUpstream | undefined;
  let base = '';
  let virtualUrl = '';
  let clients = 0;
  /** Step 12 restores what step 8 prefetched; the steps after 9 run with the upstream stopped (stop() is idempotent). */
  let prefetched = false;

  /** A fresh client whose only source is the virtual feed: empty NUGET_PACKAGES and http-cache. */
  const freshClient = async (): Promise<DotnetEnv> => {
    assert.ok(workspace);
    return createDotnetEnv(workspace, {
      name: `client-${++clients}`,
      sources: [{ name: 'nugget', url: virtualUrl }],
      // Real nuget.org packages are signed; no revocation lookups on a machine without the internet.
      extraEnv: { NUGET_CERT_REVOCATION_MODE: 'offline' },
    });
  };
  const projectIn = async (client: DotnetEnv, name: string, files: Record<string, string>) => {
    const dir = await client.makeDir(name);
    await writeFiles(dir, files);
    return dir;
  };
  const serverLog = () => `--- nugget ---\n${server?.output().slice(-6000) ?? ''}`;

  before(async () => {
    await requireDotnet();
    workspace = await createWorkspace('nugget-e2e-upstream-');
    const [privatePackage, tool] = await Promise.all([
      packProject(workspace, {
        id: 'Contoso.Private',
        version: '1.0.0',
        properties: {},
        files: {
          'Greeter.cs':
            'namespace Contoso.Private { public static class Greeter { public static string Hello() => "hello from the private feed"; } }\n',
        },
      }),
      packDotnetTool(workspace, {
        id: 'Upstream.Tool',
        version: '1.0.0',
        command: 'upstream-tool',
        marker: toolMarker,
      }),
    ]);
    upstream = await startNuggetUpstream(workspace, {
      packages: [
        ...realPackageFiles(),
        ...(await manyVersions('Upstream.Many', 140)),
        tool,
        await buildNupkg({
          id: 'Shared.Name',
          version: '1.0.0',
          files: [{ path: 'content/marker.txt', content: 'upstream' }],
        }),
        await buildNupkg({
          id: 'Shared.Name',
          version: '2.0.0',
          files: [{ path: 'content/marker.txt', content: 'upstream' }],
        }),
      ],
      deprecations: [
        { id: 'xunit.assert', version: '2.9.3', reasons: ['Legacy'], message: 'Use Contoso.Assert instead.' },
      ],
      advisories: [
        { packageId: 'Newtonsoft.Json', url: advisoryUrl, severity: 'high', versions: '(, 13.0.4)' },
      ],
    });
    server = await startFeed(workspace, { processGroup: true });
    base = new URL(server.serviceIndexUrl).origin;
    await createFeed(base, server.apiKey, 'internal');
    await createFeed(base, server.apiKey, 'public', { kind: 'upstream', source: upstream.serviceIndexUrl });
    await createFeed(base, server.apiKey, 'team', { kind: 'virtual', members: ['internal', 'public'] });
    virtualUrl = `${base}/feeds/team/v3/index.json`;
    await pushToFeed(base, server.apiKey, 'internal', await readFile(privatePackage));
  });

  after(async () => {
    await upstream?.stop();
    await server?.stop();
    await workspace?.dispose();
  });

  it(
    '1. a project with a private package and public ones (transitive) restores, builds and runs',
    stepTimeout,
    async () => {
      const client = await freshClient();
      const app = await projectIn(client, 'app', { 'app.csproj': appProject, 'Program.cs': appProgram });
      const run = await client.runDotnet(['run', '--configfile', client.configFile], { cwd: app });
      assertSucceeded(run, serverLog);
      assert.match(run.stdout, /APP-OK \{"greeting":"hello from the private feed","test":"ITest"\}/);
      for (const transitive of ['xunit.extensibility.core/2.9.3', 'xunit.abstractions/2.0.3'])
        assert.ok(
          (await readFile(path.join(client.packagesDir, transitive, `${transitive.replace('/', '.')}.nupkg`)))
            .length > 0,
          `${transitive} was restored`,
        );
    },
  );

  it(
    '2. dotnet package search finds hosted and upstream packages through the one source',
    stepTimeout,
    async () => {
      const client = await freshClient();
      const hosted = await client.runDotnet([...searchArgs('Contoso'), '--configfile', client.configFile]);
      assertSucceeded(hosted, serverLog);
      assert.match(hosted.stdout, /"id": "Contoso\.Private"/);
      const upstreamHits = await client.runDotnet([
        ...searchArgs('xunit'),
        '--configfile',
        client.configFile,
      ]);
      assertSucceeded(upstreamHits, serverLog);
      assert.match(upstreamHits.stdout, /"id": "xunit\.extensibility\.core"/);
      const exact = await client.runDotnet([
        ...['package', 'search', 'Newtonsoft.Json', '--exact-match', '--configfile', client.configFile],
      ]);
      assertSucceeded(exact, serverLog);
      assert.match(exact.stdout, /13\.0\.3/);
    },
  );

  it(
    '3. dotnet list package --outdated, --deprecated and --vulnerable see the upstream metadata',
    stepTimeout,
    async () => {
      const client = await freshClient();
      const app = await projectIn(client, 'app', { 'app.csproj': appProject, 'Program.cs': appProgram });
      assertSucceeded(
        await client.runDotnet(['restore', '--configfile', client.configFile], { cwd: app }),
        serverLog,
      );
      const list = (flag: string) =>
        client.runDotnet(['list', 'package', flag, '--configfile', client.configFile], { cwd: app });
      const outdated = await list('--outdated');
      assertSucceeded(outdated, serverLog);
      assert.match(
        outdated.stdout,
        /Upstream\.Many\s+1\.0\.0\s+1\.0\.0\s+1\.0\.139/,
        describeResult(outdated),
      );
      const deprecated = await list('--deprecated');
      assertSucceeded(deprecated, serverLog);
      assert.match(
        deprecated.stdout,
        /xunit\.assert\s+2\.9\.3\s+2\.9\.3\s+Legacy/,
        describeResult(deprecated),
      );
      const vulnerable = await list('--vulnerable');
      assertSucceeded(vulnerable, serverLog);
      assert.match(
        vulnerable.stdout,
        /Newtonsoft\.Json\s+13\.0\.3\s+13\.0\.3\s+High/,
        describeResult(vulnerable),
      );
      // Once: the mirrored advisory and the one in the upstream's registration leaf are the same advisory.
      const table = vulnerable.stdout.slice(
        vulnerable.stdout.indexOf('has the following vulnerable packages'),
      );
      assert.equal(table.split(advisoryUrl).length - 1, 1, describeResult(vulnerable));
    },
  );

  it('4. dotnet tool install installs a tool from the upstream, and it runs', stepTimeout, async () => {
    const client = await freshClient();
    const toolDir = path.join(client.root, 'tools');
    const install = await client.runDotnet([
      ...['tool', 'install', 'Upstream.Tool', '--tool-path', toolDir, '--configfile', client.configFile],
    ]);
    assertSucceeded(install, serverLog);
    const run = await runCommand(path.join(toolDir, 'upstream-tool'), ['a', 'b'], {
      cwd: client.root,
      env: client.env,
    });
    assertSucceeded(run);
    assert.match(run.stdout, new RegExp(`${toolMarker} a,b`));
  });

  it(
    '5. restore audits against the advisories nugget serves (NU1903), with no NU1900 or NU1905',
    stepTimeout,
    async () => {
      assert.ok(server);
      // On demand, as the server's own schedule would (every 6 hours): the upstream's VulnerabilityInfo, copied.
      const mirror = await runCommand(
        process.execPath,
        [
          'bin/nugget.js',
          'vulnerabilities',
          'import',
          '--feed',
          'public',
          '--from-upstream',
          '--data-dir',
          server.dataDir,
        ],
        { cwd: repoRoot, env: process.env },
      );
      assertSucceeded(mirror);
      // The server's own schedule (10 s after its start) has usually copied it already: then it is unchanged.
      assert.match(
        mirror.stdout,
        /Advisories of feed 'public': (1 added, 0 changed|0 added, 0 changed, 0 removed, 1 unchanged)/,
      );
      const client = await freshClient();
      const app = await projectIn(client, 'app', { 'app.csproj': appProject, 'Program.cs': appProgram });
      const restore = await client.runDotnet(['restore', '--configfile', client.configFile], { cwd: app });
      assertSucceeded(restore, serverLog);
      assert.match(
        outputOf(restore),
        /warning NU1903: Package 'Newtonsoft\.Json' 13\.0\.3 has a known high severity/,
      );
      assert.doesNotMatch(outputOf(restore), /NU1900|NU1905/, describeResult(restore));
    },
  );

  it(
    '6. internal id wins: a hosted Shared.Name hides every upstream version of it',
    stepTimeout,
    async () => {
      assert.ok(server);
      const versions = async () =>
        (
          (await (await fetch(`${base}/feeds/team/v3/flatcontainer/shared.name/index.json`)).json()) as {
            versions: string[];
          }
        ).versions;
      assert.deepEqual(
        await versions(),
        ['1.0.0', '2.0.0'],
        `before the push, the upstream versions are offered\n${serverLog()}`,
      );
      const hosted = await buildNupkg({
        id: 'Shared.Name',
        version: '1.0.0',
        files: [{ path: 'content/marker.txt', content: 'hosted' }],
      });
      await pushToFeed(base, server.apiKey, 'internal', hosted);
      assert.deepEqual(await versions(), ['1.0.0'], 'the upstream 2.0.0 is hidden once the id is hosted');
      const client = await freshClient();
      const app = await projectIn(client, 'shared', {
        'shared.csproj': projectWith({ 'Shared.Name': '1.0.0' }),
      });
      assertSucceeded(
        await client.runDotnet(['restore', '--configfile', client.configFile], { cwd: app }),
        serverLog,
      );
      const restored = await readFile(
        path.join(client.packagesDir, 'shared.name', '1.0.0', 'shared.name.1.0.0.nupkg'),
      );
      assert.equal(sha512(restored), sha512(hosted), 'the hosted package was restored, not the upstream one');
      const newer = await projectIn(client, 'shared2', {
        'shared2.csproj': projectWith({ 'Shared.Name': '[2.0.0]' }),
      });
      const refused = await client.runDotnet(['restore', '--configfile', client.configFile], { cwd: newer });
      assertFailed(refused);
      assert.match(outputOf(refused), /NU1102/, describeResult(refused));
    },
  );

  it('7. 100 concurrent first downloads of one package make one upstream request', stepTimeout, async () => {
    assert.ok(upstream);
    const file = 'xunit.analyzers.1.26.0.nupkg';
    const url = `${base}/feeds/team/v3/flatcontainer/xunit.analyzers/1.26.0/${file}`;
    const before = upstream.proxy.count((r) => r.url.endsWith(file));
    assert.equal(before, 0, 'nothing fetched it yet');
    const answers = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const response = await fetch(url);
        const body = new Uint8Array(await response.arrayBuffer());
        return {
          status: response.status,
          hash: sha512(body),
          // What a refused request was told, for the failure message.
          error: response.status === 200 ? '' : Buffer.from(body).toString('utf8').slice(0, 300),
        };
      }),
    );
    assert.deepEqual(
      new Set(answers.map((a) => a.status)),
      new Set([200]),
      `${answers.filter((a) => a.status !== 200).length} of 100 refused: ` +
        `${[...new Set(answers.map((a) => a.error).filter(Boolean))].join(' | ')}\n` +
        `upstream requests: ${upstream.proxy.count((r) => r.url.includes('xunit.analyzers'))}\n${serverLog()}`,
    );
    assert.equal(new Set(answers.map((a) => a.hash)).size, 1, 'every answer has the same bytes');
    const real = await readFile(realPackageFiles().find((f) => f.endsWith(file)) as string);
    assert.equal(answers[0]?.hash, sha512(real), 'the bytes are the upstream package, unchanged');
    assert.equal(
      upstream.proxy.count((r) => r.url.endsWith(file)),
      1,
      'one upstream request',
    );
  });

  it('8. nugget prefetch caches what a project needs', stepTimeout, async () => {
    assert.ok(workspace);
    const dir = await workspace.makeDir('prefetched-project');
    await writeFile(path.join(dir, 'tests.csproj'), prefetchedProject);
    const prefetch = await runCommand(
      process.execPath,
      ['bin/nugget.js', 'prefetch', 'team', '--project', path.join(dir, 'tests.csproj'), '--server', base],
      { cwd: repoRoot, env: process.env },
    );
    assertSucceeded(prefetch, serverLog);
    assert.match(prefetch.stdout, /Feed 'team' holds \d+ packages/);
    assert.match(prefetch.stderr, /prefetching \[/, 'progress is shown');
    prefetched = true;
  });

  it(
    '9. with the upstream stopped, the same restore with empty caches succeeds from nugget alone',
    stepTimeout,
    async () => {
      assert.ok(upstream);
      await upstream.stop();
      const client = await freshClient();
      const app = await projectIn(client, 'app', { 'app.csproj': appProject, 'Program.cs': appProgram });
      const started = performance.now();
      const restore = await client.runDotnet(['restore', '--configfile', client.configFile, '-v', 'n'], {
        cwd: app,
      });
      const seconds = (performance.now() - started) / 1000;
      assertSucceeded(restore, serverLog);
      // Generous: the point is no retry storm (a 5xx costs 6 tries per request), not speed under load.
      assert.ok(seconds < 180, `restore took ${seconds.toFixed(0)} s`);
      assert.doesNotMatch(
        outputOf(restore),
        /InternalServerError|ServiceUnavailable|BadGateway|GatewayTimeout/,
      );
      // Audit offline: the upstream's advisories are served by nugget itself.
      assert.match(outputOf(restore), /NU1903/, describeResult(restore));
      assert.doesNotMatch(outputOf(restore), /NU1900|NU1905/, describeResult(restore));
      const run = await client.runDotnet(['run', '--no-restore'], { cwd: app });
      assertSucceeded(run);
      assert.match(run.stdout, /APP-OK/);
    },
  );

  it('10. a package never cached fails with NU1101 at once: 404s, no 5xx', stepTimeout, async () => {
    await upstream?.stop();
    const client = await freshClient();
    const app = await projectIn(client, 'never', {
      'never.csproj': projectWith({ 'coverlet.collector': '6.0.4' }),
    });
    const started = performance.now();
    const restore = await client.runDotnet(['restore', '--configfile', client.configFile, '-v', 'n'], {
      cwd: app,
    });
    const seconds = (performance.now() - started) / 1000;
    assertFailed(restore);
    assert.match(outputOf(restore), /NU1101/, describeResult(restore));
    assert.match(
      outputOf(restore),
      /NotFound http\S+coverlet\.collector\/index\.json/i,
      describeResult(restore),
    );
    assert.doesNotMatch(
      outputOf(restore),
      /InternalServerError|ServiceUnavailable|BadGateway|GatewayTimeout/,
    );
    // A 5xx would be retried 6 times a second apart per request; a bound that load cannot reach otherwise.
    assert.ok(seconds < 90, `NU1101 took ${seconds.toFixed(0)} s`);
  });

  it('11. search still answers with hosted and cached results', stepTimeout, async () => {
    await upstream?.stop();
    const client = await freshClient();
    const hosted = await client.runDotnet([...searchArgs('Contoso'), '--configfile', client.configFile]);
    assertSucceeded(hosted, serverLog);
    assert.match(hosted.stdout, /"id": "Contoso\.Private"/);
    const cached = await client.runDotnet([...searchArgs('Newtonsoft'), '--configfile', client.configFile]);
    assertSucceeded(cached, serverLog);
    assert.match(cached.stdout, /"id": "Newtonsoft\.Json"/);
  });

  it('12. the prefetched project restores with the upstream stopped', stepTimeout, async () => {
    assert.ok(prefetched, 'step 8 (prefetch) did not complete');
    await upstream?.stop();
    const client = await freshClient();
    const dir = await projectIn(client, 'tests', { 'tests.csproj': prefetchedProject });
    const restore = await client.runDotnet(['restore', '--configfile', client.configFile], { cwd: dir });
    assertSucceeded(restore, serverLog);
  });
});
