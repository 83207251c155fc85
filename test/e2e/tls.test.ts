// The real `dotnet` CLI (SDK 10) against nugget's built-in HTTPS (--tls-cert/--tls-key), with a certificate this
// test makes (its own CA, ../fixtures/test-certificate.ts). The source in NuGet.Config is https WITHOUT
// allowInsecureConnections, so NuGet's http checks (NU1302, push/delete refusals) would fail any http URL the feed
// printed (../../../shared/notes/client-behaviour.md §2). The client trusts the CA the way an operator's machine
// would: .NET on Linux reads its root store from OpenSSL's SSL_CERT_FILE, here a bundle of the system CAs plus ours
// (https://learn.microsoft.com/dotnet/core/extensions/sslstream-troubleshooting). No certificate check is turned off.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestCertificate, type TestCertificate } from '../fixtures/test-certificate.ts';
import {
  assertFailed,
  assertSucceeded,
  createDotnetEnv,
  createWorkspace,
  type DotnetEnv,
  describeResult,
  type FeedServer,
  machineNuGetSources,
  outputOf,
  requireDotnet,
  startFeed,
  type Workspace,
  writeFiles,
} from './harness.ts';

const stepTimeout = { timeout: 600_000 };
const id = 'E2e.Tls';
const marker = 'e2e-tls-marker-41c9';

const libraryProject = `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <PackageId>${id}</PackageId>
    <Version>1.0.0</Version>
    <Authors>nugget e2e</Authors>
    <Description>A package pushed and restored over TLS.</Description>
  </PropertyGroup>
</Project>
`;

const appProject = `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="${id}" Version="1.0.0" />
  </ItemGroup>
</Project>
`;

/** Where Debian keeps the system CA bundle; the test CA is appended to a copy of it. */
const systemBundle = '/etc/ssl/certs/ca-certificates.crt';

describe('HTTPS with the dotnet CLI (--tls-cert, --tls-key)', () => {
  let workspace: Workspace;
  let certificate: TestCertificate;
  let server: FeedServer | undefined;
  let client: DotnetEnv;
  let nupkg = '';

  const serverLog = () =>
    `--- nugget output (tail) ---\n${(server?.output() ?? '(not started)').slice(-8000)}`;
  const feed = (): FeedServer => {
    assert.ok(server, 'the server is not running');
    return server;
  };

  before(async () => {
    await requireDotnet();
    workspace = await createWorkspace('nugget-e2e-tls-');
    certificate = await createTestCertificate(await workspace.makeDir('certs'));
    server = await startFeed(workspace, {
      extraArgs: ['--tls-cert', certificate.certFile, '--tls-key', certificate.keyFile],
    });
    const bundle = path.join(workspace.root, 'certs', 'trusted-bundle.pem');
    const system = existsSync(systemBundle) ? await readFile(systemBundle, 'utf8') : '';
    await writeFile(bundle, `${system}\n${await readFile(certificate.caFile, 'utf8')}`);
    client = await createDotnetEnv(workspace, {
      name: 'client',
      sources: [{ name: 'nugget-tls', url: server.serviceIndexUrl }],
      extraEnv: { SSL_CERT_FILE: bundle },
    });
  }, stepTimeout);

  after(async () => {
    await server?.stop();
    await workspace?.dispose();
  });

  it('serve prints an https service index URL', () => {
    assert.match(feed().serviceIndexUrl, /^https:\/\/127\.0\.0\.1:\d+\/v3\/index\.json$/);
  });

  it('the source has no allowInsecureConnections and no disabled certificate check', async () => {
    const config = await readFile(client.configFile, 'utf8');
    assert.match(config, /value="https:\/\//);
    assert.doesNotMatch(config, /allowInsecureConnections|disableTLSCertificateValidation/);
  });

  it('dotnet nuget push over TLS -> the package is on the feed', stepTimeout, async () => {
    const packEnv = await createDotnetEnv(workspace, { name: 'pack', sources: await machineNuGetSources() });
    const projectDir = await packEnv.makeDir('lib');
    await writeFiles(projectDir, {
      [`${id}.csproj`]: libraryProject,
      'Marker.cs': `namespace E2e.Tls\n{\n    public static class Marker\n    {\n        public const string Text = "${marker}";\n    }\n}\n`,
    });
    const outDir = await packEnv.makeDir('out');
    assertSucceeded(
      await packEnv.runDotnet(
        [
          'pack',
          projectDir,
          '-c',
          'Release',
          `-p:PackageOutputPath=${outDir}`,
          '--configfile',
          packEnv.configFile,
        ],
        { cwd: projectDir },
      ),
    );
    nupkg = path.join(outDir, `${id}.1.0.0.nupkg`);
    assert.ok(existsSync(nupkg), `dotnet pack wrote no ${nupkg}`);

    const push = await client.runDotnet([
      ...['nuget', 'push', nupkg, '-s', 'nugget-tls', '-k', feed().apiKey],
      ...['--configfile', client.configFile],
    ]);
    assertSucceeded(push, serverLog);
    assert.match(outputOf(push), /Your package was pushed/);
    assert.match(outputOf(push), /PUT https:\/\/127\.0\.0\.1:\d+\/v3\/package/);
  });

  it(
    'dotnet restore of a net10.0 project over TLS, then the app runs with the package',
    stepTimeout,
    async () => {
      assert.ok(nupkg, 'needs the push step');
      const appDir = await client.makeDir('app');
      await writeFiles(appDir, {
        'App.csproj': appProject,
        'Program.cs': 'System.Console.WriteLine(E2e.Tls.Marker.Text);\n',
      });
      const restore = await client.runDotnet(
        ['restore', '--configfile', client.configFile, '--no-http-cache', '--force', '-v', 'detailed'],
        { cwd: appDir },
      );
      assertSucceeded(restore, serverLog);
      const output = outputOf(restore);
      // Every request the client made went to the https feed, and it warned about no insecure source.
      assert.match(output, /GET https:\/\/127\.0\.0\.1:\d+\/v3\/flatcontainer\/e2e\.tls\/index\.json/);
      assert.doesNotMatch(output, /\bGET http:\/\//);
      assert.doesNotMatch(output, /NU1302|NU1803/);
      assert.ok(existsSync(path.join(client.packagesDir, 'e2e.tls', '1.0.0', 'e2e.tls.1.0.0.nupkg')));

      const run = await client.runDotnet(['run', '--no-restore'], { cwd: appDir });
      assertSucceeded(run, serverLog);
      assert.match(run.stdout, new RegExp(marker));
    },
  );

  it(
    'without the test CA the client refuses the feed: the certificate is really checked',
    stepTimeout,
    async () => {
      const untrusting = await createDotnetEnv(workspace, {
        name: 'untrusting',
        sources: [{ name: 'nugget-tls', url: feed().serviceIndexUrl }],
        extraEnv: { NUGET_ENHANCED_MAX_NETWORK_TRY_COUNT: '1' },
      });
      delete untrusting.env['SSL_CERT_FILE'];
      delete untrusting.env['SSL_CERT_DIR'];
      const appDir = await untrusting.makeDir('app');
      await writeFiles(appDir, { 'App.csproj': appProject, 'Program.cs': 'System.Console.WriteLine(1);\n' });
      const restore = await untrusting.runDotnet(
        ['restore', '--configfile', untrusting.configFile, '--no-http-cache', '--force'],
        { cwd: appDir },
      );
      assertFailed(restore, () => describeResult(restore));
      assert.match(
        outputOf(restore),
        /SSL connection could not be established|certificate/i,
        describeResult(restore),
      );
    },
  );
});
