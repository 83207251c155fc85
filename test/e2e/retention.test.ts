// Retention with the real dotnet client (docs/retention.md): a server runs; `nugget retention set` and `nugget
// retention run` work on its storage beside it; afterwards a project pinned to a kept version restores, one pinned
// to a removed version gets NuGet's "not found" (so the run really removed it), and every version the feed still
// lists downloads with its catalog hash (the feed invariant). Each restore has its own isolated client (its own
// NUGET_PACKAGES, NUGET_HTTP_CACHE_PATH, HOME and NuGet.Config), so nothing comes from a cache.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { assertFeedInvariant, httpReader } from '../support/feed-invariant.ts';
import {
  assertFailed,
  assertSucceeded,
  createDotnetEnv,
  createWorkspace,
  type FeedServer,
  outputOf,
  pushNupkg,
  requireDotnet,
  runCommand,
  startFeed,
  type Workspace,
  writeFiles,
} from './harness.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
let workspace: Workspace;
let server: FeedServer;

before(async () => {
  await requireDotnet();
  workspace = await createWorkspace('nugget-e2e-retention-');
  server = await startFeed(workspace);
});
after(async () => {
  await server?.stop();
  await workspace?.dispose();
});

const nugget = (args: string[]) =>
  runCommand(process.execPath, [path.join(repoRoot, 'bin/nugget.js'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, NUGGET_LOG_LEVEL: 'warn' },
  });

async function restorePinned(name: string, version: string) {
  const client = await createDotnetEnv(workspace, {
    name,
    sources: [{ name: 'nugget', url: server.serviceIndexUrl }],
  });
  const dir = await client.makeDir('app');
  await writeFiles(dir, {
    'App.csproj': `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageReference Include="Ret.Lib" Version="[${version}]" /></ItemGroup>
</Project>
`,
  });
  return client.runDotnet(['restore', '--configfile', client.configFile], { cwd: dir });
}

test(
  'after a retention run, a project pinned to a kept version restores and every version left downloads',
  { timeout: 600_000 },
  async () => {
    const versions = ['0.9.0', ...Array.from({ length: 6 }, (_, i) => `1.0.0-ci.${i + 1}`)];
    for (const version of versions) await pushNupkg(server, await buildNupkg({ id: 'Ret.Lib', version }));
    const policy = path.join(workspace.root, 'policy.json');
    await writeFile(
      policy,
      JSON.stringify({
        rules: [{ kind: 'keep-latest-prereleases', count: 1, action: 'delete' }],
        protected: [{ id: 'Ret.Lib', versions: '[1.0.0-ci.2]' }],
      }),
    );
    const storage = ['--feed', 'default', '--data-dir', server.dataDir];
    assertSucceeded(await nugget(['retention', 'set', ...storage, '--file', policy]));
    const dry = await nugget(['retention', 'run', ...storage, '--dry-run']);
    assertSucceeded(dry);
    const real = await nugget(['retention', 'run', ...storage]);
    assertSucceeded(real);
    assert.equal(real.stdout, dry.stdout, 'the run printed exactly what the dry run did');
    assert.deepEqual(
      real.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(':')[0]),
      [
        'delete Ret.Lib 1.0.0-ci.1',
        'delete Ret.Lib 1.0.0-ci.3',
        'delete Ret.Lib 1.0.0-ci.4',
        'delete Ret.Lib 1.0.0-ci.5',
      ],
    );

    const kept = await restorePinned('pinned-kept', '1.0.0-ci.2');
    assertSucceeded(kept, () => server.output().slice(-4000));
    const removed = await restorePinned('pinned-removed', '1.0.0-ci.3');
    assertFailed(removed);
    assert.match(outputOf(removed), /NU1102|NU1101/);

    const report = await assertFeedInvariant([httpReader('server', server.serviceIndexUrl)]);
    assert.deepEqual([...report.versions.keys()].sort(), [
      'ret.lib/0.9.0',
      'ret.lib/1.0.0-ci.2',
      'ret.lib/1.0.0-ci.6',
    ]);
  },
);
