// A production install as the README and docs/deployment.md describe it, on the lowest Node.js nugget claims to
// run on (bin/check-node.js, docs/decisions/0010-runtime-node-versions-config-and-stop.md): `npm ci --omit=dev` in a copy of the project,
// `npm start` with a config file and the key from a file, then the real dotnet client pushes and restores.
// A Node.js just below the minimum gets one clear line from the `nugget` command and from `npm ci`, and a packed
// tarball installs globally and serves. Node.js itself comes from the npm registry (node-<os>-<arch>) into
// folders this test owns, through the npm cache.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { minimumNode } from '../../bin/check-node.js';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import {
  assertSucceeded,
  createDotnetEnv,
  createWorkspace,
  describeResult,
  type DotnetResult,
  requireDotnet,
  runCommand,
  type Workspace,
} from './harness.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const stepTimeout = { timeout: 600_000 };
/** The last release before the minimum. */
const tooOldNode = '22.18.0';
/**
 * The Node.js of Debian 13 and of many hosts still: older than every API the start uses (enableCompileCache came in
 * 22.1), so the version check must run before anything that would fail to load on it.
 */
const olderNode = '20.20.2';

const nodePackage = (version: string) =>
  `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}@${version}`;

/** npm as the tests run it (npm_execpath), on the given node. */
function npmOn(node: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv) {
  const npmCli = process.env['npm_execpath'];
  assert.ok(npmCli, 'run this test through npm (npm test, or npx node --test) so npm_execpath is set');
  return runCommand(node, [npmCli, ...args], { cwd, env, timeoutMs: 480_000 });
}

describe('production install on the lowest supported Node.js', () => {
  let workspace: Workspace;
  let node = '';
  let oldNode = '';
  let olderNodeBin = '';
  let app = '';
  /** PATH with the lowest supported Node.js first, ahead of the Node 24 that npm test puts on PATH. */
  let env: NodeJS.ProcessEnv = {};
  const servers: ChildProcess[] = [];

  before(async () => {
    await requireDotnet();
    workspace = await createWorkspace('nugget-production-');
    // Node.js builds from the npm registry, each in its own folder (none of them is this project's dependency).
    const nodes = await workspace.makeDir('nodes');
    for (const version of [minimumNode, tooOldNode, olderNode]) {
      const result = await runCommand(
        process.execPath,
        [
          process.env['npm_execpath'] ?? 'npm',
          ...['install', '--no-save', '--no-package-lock', '--ignore-scripts', '--prefer-offline'],
          ...['--prefix', path.join(nodes, version), nodePackage(version)],
        ],
        { cwd: nodes, env: process.env, timeoutMs: 480_000 },
      );
      assertSucceeded(result);
    }
    const binOf = (version: string) => path.join(nodes, version, 'node_modules', '.bin');
    node = path.join(binOf(minimumNode), process.platform === 'win32' ? 'node.exe' : 'node');
    oldNode = path.join(binOf(tooOldNode), process.platform === 'win32' ? 'node.exe' : 'node');
    olderNodeBin = path.join(binOf(olderNode), process.platform === 'win32' ? 'node.exe' : 'node');
    env = { ...process.env, PATH: `${binOf(minimumNode)}${path.delimiter}${process.env['PATH'] ?? ''}` };
    delete env['NUGGET_API_KEY'];

    // The project as a clone has it, without anything installed.
    app = await workspace.makeDir('app');
    for (const name of ['package.json', 'package-lock.json', '.npmrc', 'bin', 'src', 'tools']) {
      await cp(path.join(repoRoot, name), path.join(app, name), { recursive: true });
    }
  });

  after(async () => {
    for (const server of servers) {
      try {
        process.kill(-(server.pid ?? 0), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await workspace?.dispose();
  });

  /** Starts a command in its own process group and waits for its "Service index:" line. */
  async function serve(
    command: string,
    args: readonly string[],
    cwd: string,
    extraEnv: NodeJS.ProcessEnv = {},
  ) {
    const child = spawn(command, args, {
      cwd,
      env: { ...env, ...extraEnv },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    servers.push(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "Service index:" line:\n${output}`)), 60_000);
      child.stdout.on('data', () => {
        const match = /Service index: (http\S+)/.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      void exited.then((code) => reject(new Error(`it exited with ${code}:\n${output}`)));
    });
    return { child, url, output: () => output, exited };
  }

  it('npm ci --omit=dev installs no development dependency and no Node.js binary', stepTimeout, async () => {
    const result = await npmOn(node, ['ci', '--omit=dev', '--engine-strict', '--prefer-offline'], app, env);
    assertSucceeded(result);
    assert.ok(existsSync(path.join(app, 'node_modules', 'fastify')));
    assert.ok(!existsSync(path.join(app, 'node_modules', 'typescript')), 'a development dependency');
    assert.ok(!existsSync(path.join(app, 'node_modules', '.bin', 'node')), 'a Node.js binary');
  });

  it(
    'npm start with a config file and the key from a file serves; dotnet pushes and restores',
    stepTimeout,
    async () => {
      assert.ok(existsSync(path.join(app, 'node_modules')), 'step 1 did not complete');
      const key = 'production-' + Math.random().toString(36).slice(2);
      await mkdir(path.join(app, 'secrets'));
      await writeFile(path.join(app, 'secrets', 'api-key'), `${key}\n`, { mode: 0o600 });
      // Relative paths in the file are taken from the file's directory.
      await writeFile(
        path.join(app, 'nugget.toml'),
        'host = "127.0.0.1"\nport = 0\ndata-dir = "feed"\nshutdown-timeout = "5s"\n',
      );
      const server = await serve(
        process.execPath,
        [process.env['npm_execpath'] ?? 'npm', 'start', '--', '--config', 'nugget.toml'],
        app,
        { NUGGET_API_KEY_FILE: 'secrets/api-key' },
      );
      // npm itself runs on the Node 24 of the tests; the server on the first node on PATH.
      assert.match(server.output(), new RegExp(`"node":"v${minimumNode.replaceAll('.', '\\.')}"`));
      assert.ok(
        existsSync(path.join(app, 'feed', 'nugget.db')),
        'the data directory is beside the config file',
      );

      const nupkg = path.join(await workspace.makeDir('packages'), 'Production.Check.1.0.0.nupkg');
      await writeFile(
        nupkg,
        await buildNupkg({
          id: 'Production.Check',
          version: '1.0.0',
          files: [{ path: 'lib/net10.0/_._', content: '' }],
        }),
      );
      const client = await createDotnetEnv(workspace, {
        name: 'client',
        sources: [{ name: 'nugget', url: server.url }],
      });
      const push: DotnetResult = await client.runDotnet(['nuget', 'push', nupkg, '-s', 'nugget', '-k', key]);
      assertSucceeded(push, server.output);
      const project = await client.makeDir('consumer');
      await writeFile(
        path.join(project, 'Consumer.csproj'),
        '<Project Sdk="Microsoft.NET.Sdk">\n  <PropertyGroup>\n    <TargetFramework>net10.0</TargetFramework>\n' +
          '  </PropertyGroup>\n  <ItemGroup>\n    <PackageReference Include="Production.Check" Version="1.0.0" />\n' +
          '  </ItemGroup>\n</Project>\n',
      );
      const restore = await client.runDotnet(['restore'], { cwd: project });
      assertSucceeded(restore, server.output);
      assert.ok(
        existsSync(
          path.join(client.packagesDir, 'production.check', '1.0.0', 'production.check.1.0.0.nupkg'),
        ),
        describeResult(restore),
      );

      // A SIGTERM to npm reaches the server through `sh -c`.
      server.child.kill('SIGTERM');
      await server.exited;
      const deadline = Date.now() + 30_000;
      while (!/"msg":"stopped"/.test(server.output()) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.match(server.output(), /"msg":"stopped"/);
    },
  );

  it('npx nugget runs the project command', stepTimeout, async () => {
    const result = await npmOn(node, ['exec', '--', 'nugget', '--version'], app, env);
    assertSucceeded(result);
    const { version } = JSON.parse(await readFile(path.join(app, 'package.json'), 'utf8')) as {
      version: string;
    };
    assert.equal(result.stdout.trim(), version);
  });

  it(
    `a Node.js below ${minimumNode} gets one clear line from nugget and from npm ci`,
    stepTimeout,
    async () => {
      for (const [bin, version] of [
        [oldNode, tooOldNode],
        [olderNodeBin, olderNode],
      ] as const) {
        const command = await runCommand(bin, ['bin/nugget.js', '--version'], {
          cwd: app,
          env,
          timeoutMs: 60_000,
        });
        assert.equal(command.code, 1, describeResult(command));
        const lines = command.stderr.split('\n').filter((line) => line.trim() !== '');
        assert.equal(lines.length, 1, describeResult(command));
        assert.match(
          lines[0] ?? '',
          new RegExp(`needs Node\\.js ${minimumNode} or later.*this is Node\\.js ${version}`),
        );
      }

      const oldPath = `${path.dirname(oldNode)}${path.delimiter}${process.env['PATH'] ?? ''}`;
      const install = await npmOn(oldNode, ['ci', '--omit=dev', '--prefer-offline'], app, {
        ...env,
        PATH: oldPath,
      });
      assert.notEqual(install.code, 0, describeResult(install));
      assert.match(install.stderr, new RegExp(`needs Node\\.js ${minimumNode} or later`));
    },
  );

  it('a packed tarball installs globally and its nugget command serves', stepTimeout, async () => {
    const packs = await workspace.makeDir('packs');
    // npm pack compiles the sources to dist/ (Node runs no TypeScript under node_modules) and removes it again.
    const pack = await npmOn(process.execPath, ['pack', '--pack-destination', packs], repoRoot, process.env);
    assertSucceeded(pack);
    assert.ok(!existsSync(path.join(repoRoot, 'dist')), 'npm pack left dist/ behind');
    const [tarball] = (await readdir(packs)).filter((name) => name.endsWith('.tgz'));
    assert.ok(tarball, describeResult(pack));
    const prefix = await workspace.makeDir('global');
    const install = await npmOn(
      node,
      ['install', '--global', '--prefer-offline', '--prefix', prefix, path.join(packs, tarball)],
      packs,
      env,
    );
    assertSucceeded(install);
    const bin = path.join(prefix, process.platform === 'win32' ? 'nugget.cmd' : path.join('bin', 'nugget'));
    const dataDir = await workspace.makeDir('global-data');
    const server = await serve(bin, ['--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], prefix);
    const response = await fetch(server.url);
    assert.equal(response.status, 200);
    // The web UI's pages and their static files come with the package too (prepack copies src/web/assets).
    const home = await fetch(new URL('/feeds/default/', server.url));
    assert.equal(home.status, 200);
    const page = await home.text();
    const stylesheet = /href="(\/static\/site\.[^"]+\.css)"/.exec(page)?.[1];
    assert.ok(stylesheet, 'the page links its stylesheet');
    assert.equal((await fetch(new URL(stylesheet, server.url))).status, 200);
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, server.output());
  });
});
