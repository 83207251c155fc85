// Starting and stopping the `nugget` command as a process (docs/deployment.md, "Start and stop"):
// a start that cannot succeed says so in one line naming the flag or variable to fix and exits non-zero;
// SIGTERM lets running pushes finish within --shutdown-timeout, cuts off the rest leaving nothing behind, and a
// second signal exits at once; `npm start` gets the signal too.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, readdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import {
  createWorkspace,
  describeResult,
  type FeedServer,
  runCommand,
  startFeed,
  type Workspace,
} from './harness.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function nugget(args: readonly string[], env: Record<string, string> = {}) {
  return runCommand(process.execPath, ['bin/nugget.js', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    timeoutMs: 60_000,
  });
}

/** A port nothing listens on: one the system handed out and that was closed again. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every file under `dir` (none when it does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

function packageRows(dataDir: string): number {
  const db = new BetterSqlite3(path.join(dataDir, 'nugget.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM package_versions').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** A push of a raw .nupkg body, sent as the test writes it. */
function openPush(feed: FeedServer) {
  const request = http.request(new URL('/v3/package', feed.serviceIndexUrl), {
    method: 'PUT',
    headers: { 'X-NuGet-ApiKey': feed.apiKey, 'Content-Type': 'application/octet-stream' },
  });
  const answer = new Promise<number | Error>((resolve) => {
    request.once('response', (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    request.once('error', resolve);
  });
  request.flushHeaders();
  return { request, answer };
}

function withinMs<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref(),
    ),
  ]);
}

describe('a start that cannot succeed: one line naming what to fix, non-zero exit', () => {
  let workspace: Workspace;
  let blocker: net.Server;
  let busyPort: number;
  before(async () => {
    workspace = await createWorkspace('nugget-start-');
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    busyPort = (blocker.address() as net.AddressInfo).port;
  });
  after(async () => {
    await new Promise((resolve) => blocker.close(resolve));
    await workspace.dispose();
  });

  const cases: {
    name: string;
    args: () => Promise<string[]>;
    env?: Record<string, string>;
    code: number;
    line: RegExp;
  }[] = [
    {
      name: 'the port is in use',
      args: async () => [
        '--host',
        '127.0.0.1',
        '--port',
        String(busyPort),
        '--data-dir',
        workspace.root + '/a',
      ],
      code: 1,
      line: /cannot listen: 127\.0\.0\.1:\d+ is already in use.*--port \/ NUGGET_PORT/,
    },
    {
      // Tests run as root, who may write anywhere: a path below a regular file cannot be created by anyone.
      name: 'the data directory cannot be written',
      args: async () => {
        await writeFile(path.join(workspace.root, 'a-file'), 'not a directory');
        return ['--port', '0', '--data-dir', path.join(workspace.root, 'a-file', 'data')];
      },
      code: 1,
      line: /cannot use .*a-file\/data as the data directory: ENOTDIR.*--data-dir \/ NUGGET_DATA_DIR/,
    },
    {
      name: 'PostgreSQL cannot be reached',
      args: async () => [
        ...['--port', '0', '--data-dir', workspace.root + '/b', '--startup-wait', '1s'],
        ...['--database', `postgres://nugget:secret-password@127.0.0.1:${await closedPort()}/nugget`],
      ],
      code: 1,
      line: /cannot use PostgreSQL at postgres:\/\/nugget:\[REDACTED\]@127\.0\.0\.1:\d+\/nugget: .*ECONNREFUSED.*--database \/ NUGGET_DATABASE_URL/,
    },
    {
      name: 'the S3 store cannot be reached',
      args: async () => [
        ...['--port', '0', '--data-dir', workspace.root + '/c', '--startup-wait', '0'],
        '--storage',
        `s3://feed/packages?endpoint=http://127.0.0.1:${await closedPort()}&region=us-east-1&forcePathStyle=true`,
      ],
      env: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      code: 1,
      line: /cannot use the S3 store s3:\/\/feed\/packages.*ECONNREFUSED.*--storage \/ NUGGET_STORAGE/,
    },
    {
      name: 'the config file is not valid TOML',
      args: async () => {
        const file = path.join(workspace.root, 'nugget.toml');
        await writeFile(file, 'port = 5000\ndata-dir = /var/lib/nugget\n');
        return ['--config', file];
      },
      code: 2,
      line: /nugget\.toml:2:\d+: not valid TOML .*--config \/ NUGGET_CONFIG/,
    },
    {
      name: 'an option has a bad value',
      args: async () => ['--port', '0'],
      env: { NUGGET_SHUTDOWN_TIMEOUT: 'soon' },
      code: 2,
      line: /--shutdown-timeout \/ NUGGET_SHUTDOWN_TIMEOUT: 'soon' is not a duration/,
    },
  ];
  for (const { name, args, env, code, line } of cases) {
    test(name, async () => {
      const result = await nugget(await args(), env);
      const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
      assert.equal(result.code, code, describeResult(result));
      assert.equal(lines.length, 1, `expected one line on stderr\n${describeResult(result)}`);
      assert.match(lines[0] ?? '', /^nugget: /);
      assert.match(lines[0] ?? '', line);
      assert.doesNotMatch(result.stdout + result.stderr, /secret-password|\n\s+at /);
    });
  }
});

describe('stopping on SIGTERM and SIGINT', () => {
  let workspace: Workspace;
  let nupkg: Buffer;
  const sent = 300 * 1024;
  before(async () => {
    workspace = await createWorkspace('nugget-stop-');
    // Larger than what a push keeps in memory only (256 KB, receive-package.ts), so that once its first `sent`
    // bytes are sent, its upload is a file in tmp/: the sign that it is in progress.
    nupkg = await buildNupkg({
      id: 'Stop.Test',
      version: '1.0.0',
      files: [{ path: 'lib/net8.0/data.bin', content: randomBytes(600 * 1024) }],
    });
  });
  after(() => workspace.dispose());

  const inProgressUpload = async (feed: FeedServer) =>
    (await filesUnder(path.join(feed.dataDir, 'tmp'))).some((file) => file.endsWith('.nupkg'));

  /**
   * A server with --shutdown-timeout, and a push to it that never finishes (a byte every 50 ms until the server
   * hangs up), already uploading; `run` gets both, and everything is ended afterwards.
   */
  async function withEndlessPush(
    dataDirName: string,
    shutdownTimeout: string,
    run: (feed: FeedServer, push: ReturnType<typeof openPush>) => Promise<void>,
  ) {
    const feed = await startFeed(workspace, {
      entry: 'bin/nugget.js',
      dataDirName,
      extraArgs: ['--shutdown-timeout', shutdownTimeout],
    });
    const push = openPush(feed);
    push.request.write(nupkg.subarray(0, sent));
    const trickle = setInterval(() => push.request.write(nupkg.subarray(0, 1)), 50);
    try {
      await waitUntil('the upload is in progress', () => inProgressUpload(feed));
      await run(feed, push);
    } finally {
      clearInterval(trickle);
      push.request.destroy();
      await feed.stop();
    }
  }

  test('a push that finishes within --shutdown-timeout is stored; new connections are refused', async () => {
    const feed = await startFeed(workspace, {
      entry: 'bin/nugget.js',
      dataDirName: 'finishes',
      extraArgs: ['--shutdown-timeout', '60s'],
    });
    try {
      const push = openPush(feed);
      push.request.write(nupkg.subarray(0, sent));
      await waitUntil('the upload is in progress', () => inProgressUpload(feed));
      feed.process.kill('SIGTERM');
      await waitUntil('the server is stopping', () => /"msg":"stopping/.test(feed.output()));
      await assert.rejects(fetch(feed.serviceIndexUrl), 'a new connection after SIGTERM');
      push.request.end(nupkg.subarray(sent));
      assert.equal(await push.answer, 201);
      const { code } = await withinMs(30_000, feed.exited, 'exit after the push');
      assert.equal(code, 0, feed.output());
      assert.equal(packageRows(feed.dataDir), 1);
    } finally {
      await feed.stop();
    }
  });

  test('a push still running at --shutdown-timeout is cut off and leaves nothing behind', () =>
    withEndlessPush('cut-off', '2s', async (feed, push) => {
      feed.process.kill('SIGTERM');
      // Exit code 0: the server stopped by itself, before its own last-resort timer (timeout + 5 s) fired.
      const { code } = await withinMs(30_000, feed.exited, 'exit after SIGTERM');
      assert.equal(code, 0, feed.output());
      assert.match(feed.output(), /cutting off the requests still in progress after 2000 ms/);
      assert.ok((await push.answer) instanceof Error, 'the cut-off push got no answer');
      assert.deepEqual(await filesUnder(path.join(feed.dataDir, 'tmp')), [], 'no temporary file');
      assert.deepEqual(await filesUnder(path.join(feed.dataDir, 'blobs')), [], 'no blob');
      assert.equal(packageRows(feed.dataDir), 0, 'no row');
    }));

  test('a second signal exits at once', () =>
    withEndlessPush('twice', '10m', async (feed) => {
      feed.process.kill('SIGINT');
      await waitUntil('the server is stopping', () => /"msg":"stopping/.test(feed.output()));
      feed.process.kill('SIGINT');
      const { code } = await withinMs(30_000, feed.exited, 'exit after the second signal');
      assert.equal(code, 130, feed.output());
      assert.match(feed.output(), /second signal \(SIGINT\): exiting at once/);
    }));

  test('npm start: a SIGTERM to npm reaches the server, which stops gracefully', async () => {
    const dataDir = await workspace.makeDir('npm-start');
    // npm runs the script through `sh -c`; its own process group lets the test end every process it started.
    const npm = process.env['npm_execpath'];
    const command = npm ? process.execPath : 'npm';
    const child: ChildProcess = spawn(
      command,
      [...(npm ? [npm] : []), 'start', '--', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir],
      { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: process.env },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitUntil('npm start serves', () => /Service index: (http\S+)/.test(output));
      const url = /Service index: (http\S+)/.exec(output)?.[1] ?? '';
      child.kill('SIGTERM');
      await withinMs(30_000, exited, 'npm exits');
      await waitUntil('the server says it stopped', () => /"msg":"stopped"/.test(output), 30_000).catch(() =>
        assert.fail(`the server did not stop gracefully:\n${output}`),
      );
      await assert.rejects(fetch(url), 'nothing listens any more');
    } finally {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // the group is gone already
      }
    }
  });
});

// V8 reads the young generation's size only at start, so `nugget` starts itself again with it (bin/node-flags.js,
// docs/decisions/0027-perf-memory-young-generation-and-idle.md): the same process, and an operator's own size wins.
describe('the Node.js flags nugget runs with', () => {
  let workspace: Workspace;
  let preload: string;
  before(async () => {
    workspace = await createWorkspace('nugget-node-flags-');
    // Loaded into every Node.js process nugget becomes: says which flags it runs with, and under which id.
    preload = path.join(workspace.root, 'report-flags.mjs');
    await writeFile(
      preload,
      'process.stderr.write(`flags of ${process.pid}: ${JSON.stringify(process.execArgv)} ${process.env.NUGGET_TEST_MARK}\\n`);\n',
    );
  });
  after(() => workspace.dispose());

  const runs = (stderr: string) =>
    [...stderr.matchAll(/^flags of (\d+): (\[.*\]) (\S+)$/gm)].map((m) => ({
      pid: Number(m[1]),
      flags: JSON.parse(m[2] ?? '[]') as string[],
      // The environment goes along (Node 22's execve passes none unless given one).
      mark: m[3],
    }));

  test('a bounded young generation, in the same process', async () => {
    const result = await nugget(['--version'], {
      NODE_OPTIONS: `--import=${preload}`,
      NUGGET_TEST_MARK: 'kept',
    });
    assert.equal(result.code, 0, describeResult(result));
    const seen = runs(result.stderr);
    assert.deepEqual(
      seen.map((run) => run.mark),
      seen.map(() => 'kept'),
      describeResult(result),
    );
    assert.ok(!seen[0]?.flags.some((flag) => flag.startsWith('--max-semi-space-size')));
    if (typeof process.execve !== 'function') {
      // Windows: no way to start again as the same process; V8 sizes it (docs/configuration.md, "Memory").
      assert.equal(seen.length, 1, describeResult(result));
      return;
    }
    assert.equal(seen.length, 2, describeResult(result));
    assert.equal(seen[0]?.pid, seen[1]?.pid, 'started again as another process');
    assert.ok(seen[1]?.flags.includes('--max-semi-space-size=16'), describeResult(result));
  });

  test('a Node.js that cannot be started again (its executable gone) runs with V8 sizing, not aborted', async () => {
    if (typeof process.execve !== 'function') return;
    // process.execve aborts the process when the exec fails. An executable that is gone or cannot be run (a Node
    // upgraded under the service, no /proc so that execPath is a bare "node") is one nugget can see beforehand.
    const node = path.join(workspace.root, 'node-removed-at-start');
    await copyFile(process.execPath, node);
    await chmod(node, 0o755);
    const remove = path.join(workspace.root, 'remove-node.mjs');
    await writeFile(remove, 'import { rmSync } from "node:fs"; rmSync(process.execPath);\n');
    const result = await runCommand(node, [`--import=${remove}`, 'bin/nugget.js', '--version'], {
      cwd: repoRoot,
      env: process.env,
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 0, describeResult(result));
    assert.match(result.stdout, /\d+\.\d+\.\d+/, describeResult(result));
  });

  for (const where of ['NODE_OPTIONS', 'NODE_OPTIONS, quoted', 'the command line'] as const) {
    test(`an operator's own --max-semi-space-size on ${where} is kept, and nugget starts once`, async () => {
      const own = '--max-semi-space-size=4';
      const result =
        where !== 'the command line'
          ? await nugget(['--version'], {
              NODE_OPTIONS: `--import=${preload} ${where === 'NODE_OPTIONS' ? own : `"${own}"`}`,
            })
          : await runCommand(process.execPath, [`--import=${preload}`, own, 'bin/nugget.js', '--version'], {
              cwd: repoRoot,
              env: process.env,
              timeoutMs: 60_000,
            });
      assert.equal(result.code, 0, describeResult(result));
      const seen = runs(result.stderr);
      assert.equal(seen.length, 1, describeResult(result));
      assert.ok(!seen[0]?.flags.includes('--max-semi-space-size=16'));
    });
  }
});
