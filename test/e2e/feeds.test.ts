// Feeds with the real `dotnet` CLI (docs/feeds.md): a package pushed to `ci` is not restorable from `release`
// (NU1101) until `nugget promote` copies it there; a key for `ci` cannot push to `release`; a private and a public
// feed on one server each behave as a client expects (credentials after the 401 challenge); and a NuGet.Config
// that points at /v3/index.json keeps restoring after an existing data dir is upgraded to feeds.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { populatePreFeeds, preFeedsCode } from '../support/pre-feeds.ts';
import {
  assertFailed,
  assertSucceeded,
  createDotnetEnv,
  createWorkspace,
  type DotnetEnv,
  type FeedServer,
  type NuGetSource,
  nugetConfigXml,
  outputOf,
  requireDotnet,
  runCommand,
  startFeed,
  type Workspace,
  writeFiles,
} from './harness.ts';

const stepTimeout = { timeout: 600_000 };
const repoRoot = path.resolve(import.meta.dirname, '..', '..');

function consumerProject(references: Record<string, string>): string {
  const items = Object.entries(references)
    .map(([id, version]) => `    <PackageReference Include="${id}" Version="${version}" />`)
    .join('\n');
  return `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
${items}
  </ItemGroup>
</Project>
`;
}

/** An isolated client with its own NuGet folders, these sources, and an app referencing `references`. */
async function client(
  workspace: Workspace,
  name: string,
  sources: readonly NuGetSource[],
  references: Record<string, string>,
  credentials: Record<string, string> = {},
): Promise<DotnetEnv> {
  const env = await createDotnetEnv(workspace, {
    name,
    sources,
    // One try per request: the negative cases must fail fast, not retry.
    extraEnv: { NUGET_ENHANCED_MAX_NETWORK_TRY_COUNT: '1' },
  });
  if (Object.keys(credentials).length > 0) {
    const xml = nugetConfigXml(sources, credentials);
    await writeFile(env.configFile, xml);
    await writeFile(path.join(env.home, '.nuget', 'NuGet', 'NuGet.Config'), xml);
  }
  await writeFiles(path.join(env.root, 'app'), {
    'app.csproj': consumerProject(references),
    'Program.cs': 'return;\n',
  });
  return env;
}

const restore = (env: DotnetEnv) =>
  env.runDotnet(['restore'], { cwd: path.join(env.root, 'app'), timeoutMs: 180_000 });

const restored = (env: DotnetEnv, id: string, version: string) =>
  existsSync(path.join(env.packagesDir, id.toLowerCase(), version, `${id.toLowerCase()}.${version}.nupkg`));

const library = (id: string, version: string) =>
  buildNupkg({
    id,
    version,
    description: `${id} for the feeds e2e`,
    files: [{ path: 'lib/net10.0/_._', content: '' }],
  });

describe('feeds with the dotnet CLI', () => {
  let workspace: Workspace;
  let server: FeedServer | undefined;
  let packagesDir = '';
  let ciKey = '';
  let secretReader = '';

  const feed = (): FeedServer => {
    assert.ok(server, 'the server is not running');
    return server;
  };
  const base = () => feed().serviceIndexUrl.replace(/\/v3\/index\.json$/, '');
  const source = (name: string): NuGetSource => ({ name, url: `${base()}/feeds/${name}/v3/index.json` });
  const serverLog = () =>
    `--- nugget output (tail) ---\n${(server?.output() ?? '(not started)').slice(-6000)}`;
  /** The nugget command line on the running server's data dir (SQLite WAL allows a second process). */
  const nugget = (args: string[]) =>
    runCommand(process.execPath, ['src/cli/main.ts', ...args, '--data-dir', feed().dataDir], {
      cwd: repoRoot,
      env: { ...process.env, NUGGET_LOG_LEVEL: 'warn' },
    });
  const createKey = async (name: string, scopes: string, feeds: string) => {
    const result = await nugget(['apikey', 'create', '--name', name, '--scopes', scopes, '--feeds', feeds]);
    assertSucceeded(result, serverLog);
    const match = /ngt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/.exec(result.stdout);
    assert.ok(match, `no key in the output:\n${result.stdout}`);
    return match[0];
  };
  const pushFile = async (id: string, version: string) => {
    const file = path.join(packagesDir, `${id}.${version}.nupkg`);
    await writeFile(file, await library(id, version));
    return file;
  };

  before(async () => {
    await requireDotnet();
    workspace = await createWorkspace('nugget-e2e-feeds-');
    server = await startFeed(workspace);
    packagesDir = await workspace.makeDir('packages');
  });
  after(async () => {
    await server?.stop();
    await workspace?.dispose();
  });

  it(
    '1. nugget feed create makes ci, release and a private feed while the server runs',
    stepTimeout,
    async () => {
      assertSucceeded(await nugget(['feed', 'create', 'ci', '--description', 'every CI build']), serverLog);
      assertSucceeded(await nugget(['feed', 'create', 'release']), serverLog);
      assertSucceeded(await nugget(['feed', 'create', 'secret', '--set', 'private=true']), serverLog);
      const listed = await nugget(['feed', 'list']);
      assertSucceeded(listed, serverLog);
      for (const name of ['ci', 'default', 'release', 'secret'])
        assert.match(listed.stdout, new RegExp(`^${name}`, 'm'));
      assert.equal(
        (await fetch(source('release').url)).status,
        200,
        'the running server serves the new feed',
      );
    },
  );

  it(
    '2. pushed to ci, restore from release fails with NU1101; after nugget promote it succeeds',
    stepTimeout,
    async () => {
      const pusher = await createDotnetEnv(workspace, { name: 'pusher', sources: [source('ci')] });
      const push = await pusher.runDotnet([
        ...['nuget', 'push', await pushFile('E2e.Promoted', '1.0.0'), '-s', 'ci', '-k', feed().apiKey],
        ...['--configfile', pusher.configFile],
      ]);
      assertSucceeded(push, serverLog);

      const before = await client(workspace, 'before-promotion', [source('release')], {
        'E2e.Promoted': '1.0.0',
      });
      const missing = await restore(before);
      assertFailed(missing, serverLog);
      assert.match(outputOf(missing), /NU1101/, outputOf(missing));

      const promoted = await nugget(['promote', 'E2e.Promoted', '1.0.0', '--from', 'ci', '--to', 'release']);
      assertSucceeded(promoted, serverLog);
      assert.match(promoted.stdout, /Promoted E2e\.Promoted 1\.0\.0 from 'ci' to 'release'/);
      const again = await nugget(['promote', 'E2e.Promoted', '1.0.0', '--from', 'ci', '--to', 'release']);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /already on feed 'release'/);

      const afterwards = await client(workspace, 'after-promotion', [source('release')], {
        'E2e.Promoted': '1.0.0',
      });
      assertSucceeded(await restore(afterwards), serverLog);
      assert.ok(restored(afterwards, 'E2e.Promoted', '1.0.0'), 'E2e.Promoted 1.0.0 came from release');
    },
  );

  it('3. a key for ci pushes to ci and cannot push to release', stepTimeout, async () => {
    ciKey = await createKey('ci-bot', 'push-new,push', 'ci');
    const env = await createDotnetEnv(workspace, {
      name: 'ci-bot',
      sources: [source('ci'), source('release')],
    });
    const file = await pushFile('E2e.CiOnly', '1.0.0');
    const toRelease = await env.runDotnet([
      'nuget',
      'push',
      file,
      '-s',
      'release',
      '-k',
      ciKey,
      '--configfile',
      env.configFile,
    ]);
    assertFailed(toRelease, serverLog);
    assert.match(outputOf(toRelease), /403/, outputOf(toRelease));
    assert.match(outputOf(toRelease), /not valid for feed 'release'/, outputOf(toRelease));
    const toCi = await env.runDotnet([
      'nuget',
      'push',
      file,
      '-s',
      'ci',
      '-k',
      ciKey,
      '--configfile',
      env.configFile,
    ]);
    assertSucceeded(toCi, serverLog);
  });

  it(
    '4. a private and a public feed on one server: credentials for the private one, none for the public one',
    stepTimeout,
    async () => {
      secretReader = await createKey('secret-reader', 'read', 'secret');
      const anonymous = await fetch(source('secret').url);
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic realm="nugget feed secret"/);

      const pusher = await client(
        workspace,
        'secret-pusher',
        [source('secret')],
        {},
        { secret: secretReader },
      );
      const push = await pusher.runDotnet([
        ...['nuget', 'push', await pushFile('E2e.Secret', '1.0.0'), '-s', 'secret', '-k', feed().apiKey],
      ]);
      assertSucceeded(push, serverLog);

      const both = { 'E2e.Promoted': '1.0.0', 'E2e.Secret': '1.0.0' };
      const withCredentials = await client(
        workspace,
        'with-credentials',
        [source('release'), source('secret')],
        both,
        {
          secret: secretReader,
        },
      );
      assertSucceeded(await restore(withCredentials), serverLog);
      assert.ok(restored(withCredentials, 'E2e.Secret', '1.0.0'), 'E2e.Secret came from the private feed');
      assert.ok(restored(withCredentials, 'E2e.Promoted', '1.0.0'), 'E2e.Promoted came from the public feed');

      const without = await client(workspace, 'without-credentials', [source('secret')], {
        'E2e.Secret': '1.0.0',
      });
      const refused = await restore(without);
      assertFailed(refused, serverLog);
      assert.match(outputOf(refused), /NU1301/, outputOf(refused));
      assert.match(outputOf(refused), /401/, outputOf(refused));

      // The key of another feed is no password for this one: 403, not the packages.
      const wrongKey = await client(
        workspace,
        'wrong-key',
        [source('secret')],
        { 'E2e.Secret': '1.0.0' },
        { secret: ciKey },
      );
      const forbidden = await restore(wrongKey);
      assertFailed(forbidden, serverLog);
      assert.match(outputOf(forbidden), /403|NU1301/, outputOf(forbidden));
    },
  );
});

describe('upgrading a data dir made before feeds, with the dotnet CLI', () => {
  let workspace: Workspace;
  let codeDir = '';
  let server: FeedServer | undefined;

  before(async () => {
    await requireDotnet();
    workspace = await createWorkspace('nugget-e2e-feeds-upgrade-');
    codeDir = await preFeedsCode();
    // The data dir as the old server left it, then served by this one: the upgrade runs at start.
    const dataDir = await workspace.makeDir('feed-data');
    await populatePreFeeds(codeDir, { dataDir });
    server = await startFeed(workspace, { dataDir });
  });
  after(async () => {
    await server?.stop();
    await workspace?.dispose();
    if (codeDir) await rm(codeDir, { recursive: true, force: true });
  });

  it(
    'a NuGet.Config pointing at /v3/index.json still restores what the old server held',
    stepTimeout,
    async () => {
      assert.ok(server);
      assert.match(server.serviceIndexUrl, /\/v3\/index\.json$/);
      const env = await client(workspace, 'old-config', [{ name: 'nugget', url: server.serviceIndexUrl }], {
        'Old.Core': '1.0.0',
      });
      const result = await restore(env);
      assertSucceeded(result, () => server?.output().slice(-6000) ?? '');
      assert.ok(restored(env, 'Old.Core', '1.0.0'), 'Old.Core 1.0.0 restored from the upgraded data dir');
    },
  );
});
