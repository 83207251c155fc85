// A private feed (--private) with the real `dotnet` CLI (SDK 10): the client sends the packageSourceCredentials
// of its NuGet.Config only after a 401 with `WWW-Authenticate: Basic` (../../../shared/notes/client-behaviour.md
// §3.7), so restore succeeds with a read key as the password and fails cleanly (NU1301, 401) without one.
// The read key is made with `nugget apikey create` while the server runs (SQLite WAL allows a second process).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import {
  assertFailed,
  assertSucceeded,
  createDotnetEnv,
  createWorkspace,
  type DotnetEnv,
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

const consumerProject = `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Private.Lib" Version="1.0.0" />
  </ItemGroup>
</Project>
`;

describe('private feed with the dotnet CLI', () => {
  let workspace: Workspace;
  let server: FeedServer | undefined;
  let readKey = '';
  let nupkgFile = '';

  const feed = (): FeedServer => {
    assert.ok(server, 'the server is not running');
    return server;
  };
  const serverLog = () =>
    `--- nugget output (tail) ---\n${(server?.output() ?? '(not started)').slice(-6000)}`;

  /** An isolated client whose NuGet.Config (project and user level) is `configXml`. */
  async function client(name: string, configXml: string | undefined): Promise<DotnetEnv> {
    const env = await createDotnetEnv(workspace, {
      name,
      sources: [{ name: feedName, url: feed().serviceIndexUrl }],
      // One try per request: the negative case must fail fast, not retry.
      extraEnv: { NUGET_ENHANCED_MAX_NETWORK_TRY_COUNT: '1' },
    });
    if (configXml !== undefined) {
      await writeFile(env.configFile, configXml);
      await writeFile(path.join(env.home, '.nuget', 'NuGet', 'NuGet.Config'), configXml);
    }
    await writeFiles(path.join(env.root, 'app'), {
      'app.csproj': consumerProject,
      'Program.cs': 'return;\n',
    });
    return env;
  }

  before(async () => {
    await requireDotnet();
    workspace = await createWorkspace('nugget-e2e-private-');
    server = await startFeed(workspace, { extraArgs: ['--private'] });
    nupkgFile = path.join(await workspace.makeDir('packages'), 'Private.Lib.1.0.0.nupkg');
    await writeFile(
      nupkgFile,
      await buildNupkg({
        id: 'Private.Lib',
        version: '1.0.0',
        files: [{ path: 'lib/net10.0/_._', content: '' }],
      }),
    );
  });
  after(async () => {
    await server?.stop();
    await workspace?.dispose();
  });

  it('1. nugget apikey create makes a read key while the server runs', stepTimeout, async () => {
    const result = await runCommand(
      process.execPath,
      [
        'src/cli/main.ts',
        'apikey',
        'create',
        '--name',
        'restore',
        '--scopes',
        'read',
        '--data-dir',
        feed().dataDir,
      ],
      { cwd: repoRoot, env: { ...process.env, NUGGET_LOG_LEVEL: 'warn' } },
    );
    assertSucceeded(result, serverLog);
    const match = /ngt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/.exec(result.stdout);
    assert.ok(match, `no key in the output:\n${result.stdout}`);
    readKey = match[0];
    assert.match(result.stderr, /will not be shown again/);
  });

  it('2. anonymous requests get 401 with a Basic challenge', async () => {
    const response = await fetch(feed().serviceIndexUrl);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Basic realm="nugget feed default"/);
  });

  it(
    '3. dotnet nuget push works with credentials for the service index and -k for the push',
    stepTimeout,
    async () => {
      assert.ok(readKey, 'step 1 did not complete');
      const env = await client(
        'pusher',
        nugetConfigXml([{ name: feedName, url: feed().serviceIndexUrl }], { [feedName]: readKey }),
      );
      const result = await env.runDotnet(['nuget', 'push', nupkgFile, '-s', feedName, '-k', feed().apiKey]);
      assertSucceeded(result, serverLog);
    },
  );

  it(
    '4. dotnet restore with packageSourceCredentials (password = read key) succeeds',
    stepTimeout,
    async () => {
      assert.ok(readKey, 'step 1 did not complete');
      const env = await client(
        'with-credentials',
        nugetConfigXml([{ name: feedName, url: feed().serviceIndexUrl }], { [feedName]: readKey }),
      );
      const result = await env.runDotnet(['restore'], { cwd: path.join(env.root, 'app') });
      assertSucceeded(result, serverLog);
      assert.ok(
        existsSync(path.join(env.packagesDir, 'private.lib', '1.0.0', 'private.lib.1.0.0.nupkg')),
        'Private.Lib 1.0.0 is not in the packages folder',
      );
    },
  );

  it('5. dotnet restore without credentials fails cleanly with NU1301 and the 401', stepTimeout, async () => {
    const env = await client('without-credentials', undefined);
    const started = Date.now();
    const result = await env.runDotnet(['restore'], { cwd: path.join(env.root, 'app'), timeoutMs: 180_000 });
    assertFailed(result, serverLog);
    const output = outputOf(result);
    assert.match(output, /NU1301/, output);
    assert.match(output, /401/, output);
    assert.doesNotMatch(output, /killed after/, `restore hung (${Date.now() - started} ms)`);
  });
});
