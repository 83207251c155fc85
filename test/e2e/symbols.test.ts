// The real `dotnet` CLI (SDK 10) and symbols: `dotnet pack --include-symbols -p:SymbolPackageFormat=snupkg`, then
// `dotnet nuget push x.nupkg`, which pushes x.snupkg beside it to SymbolPackagePublish
// (../../../shared/notes/client-behaviour.md §1.5 point 7). A debugger then finds the PDB by the key in the
// DLL's debug directory: `{file}/{guid}ffffffff/{file}`
// (https://github.com/dotnet/symstore/blob/main/docs/specs/SSQP_Key_Conventions.md).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readPeDebugInfo } from '../../src/nuget/symbols/pe-debug-directory.ts';
import { readPortablePdbId } from '../../src/nuget/symbols/portable-pdb.ts';
import { portablePdbSymbolKey } from '../../src/nuget/symbols/symbol-key.ts';
import {
  assertSucceeded,
  createDotnetEnv,
  createWorkspace,
  type DotnetEnv,
  describeResult,
  type FeedServer,
  outputOf,
  readZipEntries,
  requireDotnet,
  startFeed,
  type Workspace,
  writeFiles,
} from './harness.ts';

const stepTimeout = { timeout: 600_000 };
const feedName = 'nugget';
const id = 'E2e.Symbols';

const project = `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Version>1.0.0</Version>
    <Authors>nugget e2e</Authors>
    <Description>A library whose symbols go to nugget's symbol server.</Description>
    <DebugType>portable</DebugType>
  </PropertyGroup>
</Project>
`;

describe('symbols with the dotnet CLI', () => {
  let workspace: Workspace;
  let client: DotnetEnv;
  let server: FeedServer | undefined;
  let outDir = '';

  const serverLog = () =>
    `--- nugget output (tail) ---\n${(server?.output() ?? '(not started)').slice(-8000)}`;
  const feed = (): FeedServer => {
    assert.ok(server, 'the server is not running');
    return server;
  };
  const baseUrl = () => feed().serviceIndexUrl.replace(/\/v3\/index\.json$/, '');

  before(async () => {
    await requireDotnet();
    workspace = await createWorkspace('nugget-e2e-symbols-');
    server = await startFeed(workspace);
    // A net10.0 library with no package references restores from the SDK alone: our feed is the only source.
    client = await createDotnetEnv(workspace, {
      name: 'client',
      sources: [{ name: feedName, url: server.serviceIndexUrl }],
    });
  });

  after(async () => {
    await server?.stop();
    await workspace?.dispose();
  });

  it(
    'packs, pushes the .nupkg and its .snupkg, and serves the PDB by the key in the DLL',
    stepTimeout,
    async () => {
      const projectDir = path.join(client.root, 'src', id);
      await writeFiles(projectDir, {
        [`${id}.csproj`]: project,
        'Answer.cs':
          'namespace E2e.Symbols\n{\n    public static class Answer { public static int Value() => 42; }\n}\n',
      });
      outDir = await client.makeDir('out');
      assertSucceeded(
        await client.runDotnet(
          [
            ...['pack', '-c', 'Release', '--include-symbols', '-p:SymbolPackageFormat=snupkg'],
            ...['-o', outDir, '--configfile', client.configFile],
          ],
          { cwd: projectDir },
        ),
      );
      const nupkgFile = path.join(outDir, `${id}.1.0.0.nupkg`);
      const snupkgFile = path.join(outDir, `${id}.1.0.0.snupkg`);
      assert.ok(existsSync(nupkgFile) && existsSync(snupkgFile), 'dotnet pack made no .nupkg and .snupkg');

      const push = await client.runDotnet([
        ...['nuget', 'push', nupkgFile, '-s', feedName, '-k', feed().apiKey],
        ...['--configfile', client.configFile],
      ]);
      assertSucceeded(push, serverLog);
      // The client found SymbolPackagePublish in the index and pushed the .snupkg on its own.
      assert.match(outputOf(push), /\.snupkg/, describeResult(push));
      assert.match(serverLog(), /symbol package published/, describeResult(push));

      // What a debugger does: read the CodeView entry of the DLL it loaded, and ask for {file}/{key}/{file}.
      const nupkgEntries = await readZipEntries(nupkgFile);
      const dll = nupkgEntries.get(`lib/net10.0/${id}.dll`);
      assert.ok(dll, `no lib/net10.0/${id}.dll in the .nupkg: ${[...nupkgEntries.keys()].join(', ')}`);
      const codeView = readPeDebugInfo(dll, `${id}.dll`).codeView.find((entry) => entry.isPortable);
      assert.ok(codeView, `${id}.dll names no Portable PDB`);
      const pdbName = path.posix.basename(codeView.pdbPath.replaceAll('\\', '/'));
      assert.equal(pdbName, `${id}.pdb`);
      const key = portablePdbSymbolKey(codeView);

      const response = await fetch(`${baseUrl()}/v3/symbols/${pdbName}/${key}/${pdbName}`);
      assert.equal(
        response.status,
        200,
        `${response.status} ${await response.clone().text()}\n${serverLog()}`,
      );
      assert.equal(response.headers.get('content-type'), 'application/octet-stream');
      const served = Buffer.from(await response.arrayBuffer());

      const packed = (await readZipEntries(snupkgFile)).get(`lib/net10.0/${id}.pdb`);
      assert.ok(packed, `no lib/net10.0/${id}.pdb in the .snupkg`);
      assert.deepEqual(served, packed, 'the served PDB differs from the one in the .snupkg');
      const built = await readFile(
        path.join(client.root, 'src', id, 'bin', 'Release', 'net10.0', `${id}.pdb`),
      );
      assert.deepEqual(served, built, 'the served PDB differs from the build output');
      assert.equal(readPortablePdbId(served).guid, codeView.guid);

      // Lower case is what SSQP clients send; the file name's own case works too.
      const lower = await fetch(
        `${baseUrl()}/v3/symbols/${pdbName.toLowerCase()}/${key}/${pdbName.toLowerCase()}`,
      );
      assert.equal(lower.status, 200);
      await lower.arrayBuffer();
    },
  );

  it(
    'build once, pack twice: both ids and their symbols push in one command, and one PDB serves both',
    stepTimeout,
    async () => {
      assert.ok(outDir, 'the first step did not build');
      // The same build (same DLL, same PDB, same key) packed under other ids, as multi-package repos do.
      const repackDir = await client.makeDir('repacked');
      const ids = [`${id}.Repacked.A`, `${id}.Repacked.B`];
      for (const packageId of ids) {
        assertSucceeded(
          await client.runDotnet(
            [
              ...[
                'pack',
                '--no-build',
                '-c',
                'Release',
                '--include-symbols',
                '-p:SymbolPackageFormat=snupkg',
              ],
              ...[`-p:PackageId=${packageId}`, '-o', repackDir, '--configfile', client.configFile],
            ],
            { cwd: path.join(client.root, 'src', id) },
          ),
        );
      }
      const push = await client.runDotnet([
        ...['nuget', 'push', path.join(repackDir, '*.nupkg'), '-s', feedName, '-k', feed().apiKey],
        ...['--configfile', client.configFile],
      ]);
      assertSucceeded(push, serverLog);
      for (const packageId of ids) {
        assert.ok(outputOf(push).includes(`${packageId}.1.0.0.snupkg`), describeResult(push));
        const versions = await fetch(`${baseUrl()}/v3/flatcontainer/${packageId.toLowerCase()}/index.json`);
        assert.equal(versions.status, 200, `${packageId} is not on the feed\n${describeResult(push)}`);
        await versions.arrayBuffer();
      }
      const dll = (await readZipEntries(path.join(repackDir, `${ids[0]}.1.0.0.nupkg`))).get(
        `lib/net10.0/${id}.dll`,
      );
      assert.ok(dll, `the repacked .nupkg has no lib/net10.0/${id}.dll`);
      const codeView = readPeDebugInfo(dll, `${id}.dll`).codeView.find((entry) => entry.isPortable);
      assert.ok(codeView);
      const pdbName = `${id}.pdb`;
      const response = await fetch(
        `${baseUrl()}/v3/symbols/${pdbName}/${portablePdbSymbolKey(codeView)}/${pdbName}`,
      );
      assert.equal(response.status, 200, serverLog());
      const built = await readFile(path.join(client.root, 'src', id, 'bin', 'Release', 'net10.0', pdbName));
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), built);
    },
  );

  it(
    'an explicit push of the same .snupkg again succeeds: it replaces the symbols',
    stepTimeout,
    async () => {
      const again = await client.runDotnet([
        ...['nuget', 'push', path.join(outDir, `${id}.1.0.0.snupkg`), '-s', feedName, '-k', feed().apiKey],
        ...['--configfile', client.configFile],
      ]);
      assertSucceeded(again, serverLog);
      assert.match(outputOf(again), /\.snupkg/, describeResult(again));
    },
  );
});
