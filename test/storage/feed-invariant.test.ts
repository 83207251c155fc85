// The feed invariant (test/support/feed-invariant.ts) on every configuration: every version that any document
// lists downloads with 200 and the bytes the catalog recorded, after pushes of every kind of version, unlist,
// relist, hard delete and a re-push of a deleted version; on SQLite + files and PostgreSQL + S3, with one node
// and with two nodes sharing the database and the bucket; and after a server process is killed (SIGKILL) in the
// middle of pushes and started again, when every push it acknowledged must still be there.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deletePackage } from '../../src/packages/manage-package.ts';
import { buildNupkg, type NupkgSpec } from '../fixtures/build-nupkg.ts';
import { startFeed, type TestFeed } from '../http/feed-fixture.ts';
import {
  assertFeedInvariant,
  checkFeedInvariant,
  type FeedReader,
  httpReader,
  injectReader,
} from '../support/feed-invariant.ts';
import { startPostgresServer } from '../support/postgres-server.ts';
import { startS3Server } from '../support/s3-server.ts';
import { type SharedBackends, startSharedBackends } from '../support/shared-backends.ts';
import { type SocketPush, startSocketPush } from '../support/socket-push.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/** What a scenario does to a feed, whichever nodes carry it out. */
interface Writer {
  publish(spec: NupkgSpec): Promise<void>;
  unlist(id: string, version: string): Promise<void>;
  relist(id: string, version: string): Promise<void>;
  hardDelete(id: string, version: string): Promise<void>;
}

/** Writes spread over in-process nodes; a hard delete goes through a node that deletes, or the use case itself. */
function writerOver(nodes: readonly TestFeed[]): Writer {
  let turn = 0;
  const next = () => nodes[turn++ % nodes.length] as TestFeed;
  const headers = (feed: TestFeed) => ({ 'x-nuget-apikey': feed.apiKey ?? '' });
  const expect = async (status: number, response: Promise<{ statusCode: number; body: string }>) => {
    const r = await response;
    assert.equal(r.statusCode, status, r.body);
  };
  const unlister = nodes.find((n) => n.feed.options.deleteBehavior === 'unlist') as TestFeed;
  return {
    publish: async (spec) => void (await next().publish(spec)),
    unlist: (id, version) =>
      expect(204, unlister.request('DELETE', `/v3/package/${id}/${version}`, { headers: headers(unlister) })),
    relist: (id, version) => {
      const feed = next();
      return expect(200, feed.request('POST', `/v3/package/${id}/${version}`, { headers: headers(feed) }));
    },
    hardDelete: async (id, version) => {
      const deleter = nodes.find((n) => n.feed.options.deleteBehavior === 'delete');
      if (deleter) {
        await expect(
          204,
          deleter.request('DELETE', `/v3/package/${id}/${version}`, { headers: headers(deleter) }),
        );
        return;
      }
      // The use case the DELETE route runs when the feed deletes for good.
      await deletePackage({ ...unlister.feed, deleteBehavior: 'delete' }, { id, version });
    },
  };
}

/** Pushes of every kind of version, then unlist, relist, hard delete and a re-push, checking after each phase. */
async function exercise(writer: Writer, readers: readonly FeedReader[]): Promise<void> {
  await writer.publish({ id: 'Inv.Plain', version: '1.0.0' });
  await writer.publish({ id: 'Inv.Plain', version: '2.0.0', readme: { path: 'README.md', content: '# 2' } });
  await writer.publish({ id: 'Inv.Pre', version: '1.0.0-beta.1' });
  await writer.publish({ id: 'Inv.Meta', version: '1.0.0+build.5' });
  for (const id of ['Inv.Unlisted', 'Inv.Relisted', 'Inv.Deleted', 'Inv.Repushed']) {
    await writer.publish({ id, version: '1.0.0' });
  }
  await writer.publish({ id: 'Inv.Deleted', version: '2.0.0' });
  await assertFeedInvariant(readers);

  await writer.unlist('Inv.Unlisted', '1.0.0');
  await writer.unlist('Inv.Relisted', '1.0.0');
  await writer.relist('Inv.Relisted', '1.0.0');
  await writer.hardDelete('Inv.Deleted', '1.0.0');
  await writer.hardDelete('Inv.Repushed', '1.0.0');
  await assertFeedInvariant(readers);

  // The same id and version again, with other bytes: every document must now point at the new ones.
  await writer.publish({ id: 'Inv.Repushed', version: '1.0.0', description: 'pushed again, other bytes' });
  const report = await assertFeedInvariant(readers);
  assert.deepEqual([...report.versions.keys()].sort(), [
    'inv.deleted/2.0.0',
    'inv.meta/1.0.0',
    'inv.plain/1.0.0',
    'inv.plain/2.0.0',
    'inv.pre/1.0.0-beta.1',
    'inv.relisted/1.0.0',
    'inv.repushed/1.0.0',
    // Unlisted: out of search, still in the version list, the registration and the catalog, still downloadable.
    'inv.unlisted/1.0.0',
  ]);
}

describe('the feed invariant: SQLite + files, one node', () => {
  test('the checker finds a listed version whose file is other or missing', async () => {
    const feed = await startFeed();
    try {
      const nupkgOf = async (lowerId: string) => {
        const folder = path.join(feed.dataDir, 'blobs', 'packages', lowerId, '1.0.0');
        const [push] = await readdir(folder);
        return path.join(folder, push as string, `${lowerId}.1.0.0.nupkg`);
      };
      await feed.publish({ id: 'Inv.Other', version: '1.0.0' });
      await feed.publish({ id: 'Inv.Missing', version: '1.0.0' });
      // Behind the feed's back, before anything was downloaded (and so cached).
      await writeFile(await nupkgOf('inv.other'), Buffer.from('not the pushed bytes'));
      await rm(await nupkgOf('inv.missing'));
      const problems = (await checkFeedInvariant([injectReader('node', feed.app)])).problems.join('\n');
      assert.match(problems, /inv\.other\/1\.0\.0: .* does not match the catalog's packageHash/);
      assert.match(problems, /inv\.missing\/1\.0\.0: listed by .*catalog.*version list.* -> 404/);
    } finally {
      await feed.close();
    }
  });

  test('pushes, unlist, relist, hard delete and a re-push', async () => {
    const feed = await startFeed();
    try {
      await exercise(writerOver([feed]), [injectReader('node', feed.app)]);
    } finally {
      await feed.close();
    }
  });
});

describe('the feed invariant: PostgreSQL + S3', () => {
  let backends: SharedBackends;
  before(async () => {
    backends = await startSharedBackends();
  });
  after(() => backends?.stop());
  const startNodes = (behaviors: readonly ('unlist' | 'delete')[]) => backends.startNodes(behaviors);

  test('one node', async () => {
    const nodes = await startNodes(['unlist']);
    try {
      await exercise(writerOver(nodes), [injectReader('node', nodes[0]!.app)]);
    } finally {
      for (const node of nodes) await node.close();
    }
  });

  test('two nodes on one database and bucket', async () => {
    const nodes = await startNodes(['unlist', 'delete']);
    try {
      await exercise(
        writerOver(nodes),
        nodes.map((node, i) => injectReader(`node ${i + 1}`, node.app)),
      );
    } finally {
      for (const node of nodes) await node.close();
    }
  });
});

/** A nugget server process of its own, killed with SIGKILL (its whole process group) when the test is done. */
interface ServerProcess {
  readonly serviceIndexUrl: string;
  readonly base: string;
  kill(): Promise<void>;
}

async function startServerProcess(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['src/main.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const serviceIndexUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nugget did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Service index: (http\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nugget exited (${code}) before it started:\n${output}`));
    });
  });
  return {
    serviceIndexUrl,
    base: serviceIndexUrl.replace(/\/v3\/index\.json$/, ''),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(-(child.pid as number), 'SIGKILL');
        await exited;
      }
    },
  };
}

/**
 * Pushes to a server process, kills it with SIGKILL while pushes are in flight (some mid-body, some being
 * published), starts it again on the same storage, and checks: the invariant holds, every push answered 201
 * before the kill is there, and every push cut off can be pushed again (201, or 409 when it had committed).
 */
async function crashAndRestart(args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const apiKey = `crash-${randomUUID()}`;
  const serverArgs = [
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--api-key',
    apiKey,
    '--log-level',
    'warn',
    ...args,
  ];
  const packages = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      buildNupkg({
        id: 'Crash.Package',
        version: `1.0.${i}`,
        readme: { path: 'README.md', content: `# ${i}` },
      }),
    ),
  );
  let server = await startServerProcess(serverArgs, env);
  try {
    const status = async (push: SocketPush) => (await push.answer).status;
    assert.equal(await status(startSocketPush(server.base, apiKey, packages[0]!)), 201);
    // Some stall half-way through their body, the others are sent whole.
    const inFlight = packages
      .slice(1)
      .map((nupkg, i) => status(startSocketPush(server.base, apiKey, nupkg, { firstHalfOnly: i % 3 === 0 })));
    // Pull the plug as soon as one of them is acknowledged: the others are then being received, stored or
    // committed.
    const firstAcknowledged = Promise.any(
      inFlight.map((p) => p.then((status) => (status === 201 ? status : Promise.reject(new Error())))),
    );
    await Promise.race([
      firstAcknowledged.catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, 20_000)),
    ]);
    await server.kill();
    const statuses = [201, ...(await Promise.all(inFlight))];

    server = await startServerProcess(serverArgs, env);
    const reader = httpReader('restarted node', server.serviceIndexUrl);
    const report = await assertFeedInvariant([reader]);
    statuses.forEach((status, i) => {
      if (status === 201)
        assert.ok(report.versions.has(`crash.package/1.0.${i}`), `1.0.${i} was acknowledged`);
    });
    for (const [i, nupkg] of packages.entries()) {
      if (statuses[i] === 201) continue;
      const again = await status(startSocketPush(server.base, apiKey, nupkg));
      assert.ok([201, 409].includes(again), `1.0.${i} pushed again: ${again}`);
    }
    const after = await assertFeedInvariant([reader]);
    assert.equal(after.versions.size, packages.length);
  } finally {
    await server.kill();
  }
}

describe('the feed invariant after kill -9 mid-push, then a restart', () => {
  test('SQLite + files', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'nugget-crash-'));
    try {
      await crashAndRestart(['--data-dir', dataDir], {});
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('PostgreSQL + S3', async () => {
    const postgres = await startPostgresServer();
    const s3 = await startS3Server();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'nugget-crash-'));
    try {
      const args = [
        ...['--data-dir', dataDir],
        ...['--database', await postgres.createDatabase()],
        ...['--storage', s3.storageUrl('crash')],
      ];
      await crashAndRestart(args, {
        AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await s3.stop();
      await postgres.stop();
    }
  });
});
