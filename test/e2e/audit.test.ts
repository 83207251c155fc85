// Deprecation and known vulnerabilities, proven with the real `dotnet` CLI (SDK 10): `dotnet list package
// --deprecated` reads a registration's `deprecation`; `--vulnerable` and restore's audit (NU1901-NU1904) read
// VulnerabilityInfo/6.7.0 from the audit sources. Spec: ../../../shared/spec/reference/Auditing-Packages.md,
// ../../../shared/notes/client-behaviour.md §1.3 and §1.7.
//
// The steps share one server and run in order. Each dotnet command gets a fresh http-cache: the client keeps
// registration and vulnerability documents for 30 minutes (client-behaviour.md §3.6).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import {
  assertSucceeded,
  createDotnetEnv,
  createWorkspace,
  type DotnetEnv,
  type DotnetResult,
  describeResult,
  type FeedServer,
  nugetConfigXml,
  outputOf,
  requireDotnet,
  runCommand,
  startFeed,
  type Workspace,
  writeFiles,
} from './harness.ts';

const stepTimeout = { timeout: 600_000 };
const feedName = 'nugget';
const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const advisoryUrl = 'https://example.com/advisories/AUDIT-0001';

/** NuGet.Config whose audit source is our feed too (plain http: allowInsecureConnections, as for packages). */
function auditConfigXml(url: string): string {
  const xml = nugetConfigXml([{ name: feedName, url }]);
  const cleared = '  <auditSources>\n    <clear />\n  </auditSources>';
  assert.ok(xml.includes(cleared), 'the harness NuGet.Config layout changed');
  return xml.replace(
    cleared,
    `  <auditSources>\n    <clear />\n    <add key="${feedName}-audit" value="${url}" protocolVersion="3" ` +
      'allowInsecureConnections="true" />\n  </auditSources>',
  );
}

/** A net10.0 project referencing one version; audit on (the environment's Directory.Build.props turns it off). */
function consumerProject(version: string): string {
  return `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <NuGetAudit>true</NuGetAudit>
    <NuGetAuditMode>all</NuGetAuditMode>
    <NuGetAuditLevel>low</NuGetAuditLevel>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Audit.Lib" Version="${version}" />
  </ItemGroup>
</Project>
`;
}

const auditWarning = /NU190[1-4]/;

describe('deprecation and vulnerabilities with the dotnet CLI', () => {
  let workspace: Workspace;
  let server: FeedServer | undefined;
  let client: DotnetEnv;
  let consumerDir: string;
  let cacheCount = 0;
  let completedSteps = 0;

  const serverLog = () =>
    `--- nugget output (tail) ---\n${(server?.output() ?? '(not started)').slice(-8000)}`;
  const feed = (): FeedServer => {
    assert.ok(server, 'the server is not running');
    return server;
  };
  const requireStep = (step: number) =>
    assert.ok(completedSteps >= step, `step ${step} did not complete, so this step cannot run`);
  /** dotnet in the consumer project, with an http-cache no earlier command has filled. */
  const dotnet = async (...args: string[]): Promise<DotnetResult> =>
    client.runDotnet(args, {
      cwd: consumerDir,
      env: { NUGET_HTTP_CACHE_PATH: await client.makeDir(`http-cache-${++cacheCount}`) },
    });
  const nugget = (...args: string[]) =>
    runCommand(process.execPath, ['src/cli/main.ts', ...args, '--data-dir', feed().dataDir], {
      cwd: repoRoot,
      env: process.env,
    });

  before(async () => {
    await requireDotnet();
    workspace = await createWorkspace('nugget-audit-');
    server = await startFeed(workspace);
    client = await createDotnetEnv(workspace, {
      name: 'client',
      sources: [{ name: feedName, url: server.serviceIndexUrl }],
    });
    const config = auditConfigXml(server.serviceIndexUrl);
    await writeFiles(client.root, { 'NuGet.Config': config });
    await writeFiles(client.home, { '.nuget/NuGet/NuGet.Config': config });
    consumerDir = await client.makeDir('consumer');
  });

  after(async () => {
    await server?.stop();
    await workspace?.dispose();
  });

  it('1. dotnet nuget push publishes Audit.Lib 1.0.0 and 1.1.0', stepTimeout, async () => {
    for (const version of ['1.0.0', '1.1.0']) {
      const file = path.join(client.root, `Audit.Lib.${version}.nupkg`);
      await writeFiles(client.root, {
        [path.basename(file)]: await buildNupkg({
          id: 'Audit.Lib',
          version,
          description: 'A package the audit test deprecates and declares vulnerable.',
        }),
      });
      const push = await client.runDotnet([
        ...['nuget', 'push', file, '-s', feedName, '-k', feed().apiKey],
        ...['--configfile', client.configFile],
      ]);
      assertSucceeded(push, serverLog);
    }
    completedSteps = 1;
  });

  it(
    '2. `nugget deprecate` marks 1.0.0; dotnet list package --deprecated reports it',
    stepTimeout,
    async () => {
      requireStep(1);
      const deprecate = await nugget(
        ...[
          'deprecate',
          'Audit.Lib',
          '1.0.0',
          '--reason',
          'legacy',
          '--message',
          'Use Audit.NewLib instead.',
        ],
        ...['--alternate', 'Audit.NewLib@[2.0.0, )'],
      );
      assertSucceeded(deprecate, serverLog);
      assert.match(deprecate.stdout, /Audit\.Lib 1\.0\.0: deprecated/, describeResult(deprecate));

      await writeFiles(consumerDir, { 'Consumer.csproj': consumerProject('1.0.0') });
      const restore = await dotnet('restore');
      assertSucceeded(restore, serverLog);
      const listed = await dotnet('list', 'package', '--deprecated');
      assertSucceeded(listed, serverLog);
      assert.match(listed.stdout, /Audit\.Lib\s+1\.0\.0\s+1\.0\.0\s+Legacy/, describeResult(listed));
      // The client prints the alternate package's range as words.
      assert.match(listed.stdout, /Audit\.NewLib >= 2\.0\.0/, `the alternative\n${describeResult(listed)}`);
      completedSteps = 2;
    },
  );

  it('3. before any advisory, restore audit and --vulnerable find nothing', stepTimeout, async () => {
    requireStep(2);
    const restore = await dotnet('restore', '--force');
    assertSucceeded(restore, serverLog);
    // Not even NU1900 (fetch failed) or NU1905 (audit source without data): the resource is listed with an
    // empty index, which the client reads as "nothing known".
    assert.doesNotMatch(outputOf(restore), /NU19\d\d/, describeResult(restore));
    const listed = await dotnet('list', 'package', '--vulnerable');
    assertSucceeded(listed, serverLog);
    assert.match(listed.stdout, /has no vulnerable packages/, describeResult(listed));
    completedSteps = 3;
  });

  it(
    '4. an imported advisory for [1.0.0, 1.1.0) makes restore warn NU1903 and --vulnerable report it',
    stepTimeout,
    async () => {
      requireStep(3);
      const response = await fetch(new URL('/v3/admin/vulnerabilities', feed().serviceIndexUrl), {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-nuget-apikey': feed().apiKey },
        body: JSON.stringify([
          { packageId: 'Audit.Lib', url: advisoryUrl, severity: 'high', versions: '[1.0.0, 1.1.0)' },
        ]),
      });
      assert.equal(response.status, 200, `${await response.text()}\n${serverLog()}`);

      const restore = await dotnet('restore', '--force');
      assertSucceeded(restore, serverLog);
      const output = outputOf(restore);
      assert.match(
        output,
        /warning NU1903: Package 'Audit\.Lib' 1\.0\.0 has a known high severity vulnerability/,
        describeResult(restore),
      );
      assert.ok(output.includes(advisoryUrl), `the advisory URL\n${describeResult(restore)}`);

      const listed = await dotnet('list', 'package', '--vulnerable');
      assertSucceeded(listed, serverLog);
      assert.match(listed.stdout, /Audit\.Lib\s+1\.0\.0\s+1\.0\.0\s+High/, describeResult(listed));
      assert.ok(listed.stdout.includes(advisoryUrl), `the advisory URL\n${describeResult(listed)}`);
      completedSteps = 4;
    },
  );

  it('5. referencing the fixed 1.1.0 silences the audit', stepTimeout, async () => {
    requireStep(4);
    await writeFiles(consumerDir, { 'Consumer.csproj': consumerProject('1.1.0') });
    const restore = await dotnet('restore');
    assertSucceeded(restore, serverLog);
    assert.doesNotMatch(outputOf(restore), auditWarning, describeResult(restore));
    const vulnerable = await dotnet('list', 'package', '--vulnerable');
    assertSucceeded(vulnerable, serverLog);
    assert.match(vulnerable.stdout, /has no vulnerable packages/, describeResult(vulnerable));
    const deprecated = await dotnet('list', 'package', '--deprecated');
    assertSucceeded(deprecated, serverLog);
    assert.match(deprecated.stdout, /has no deprecated packages/, describeResult(deprecated));
  });
});
