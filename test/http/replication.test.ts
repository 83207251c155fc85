// Replication: feed B follows feed A's catalog (pushes, unlists, relists, deprecations, hard deletes), catches up
// incrementally, and then answers the same version lists and registrations.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ReplicationProgress,
  type ReplicationSummary,
  replicateFeed,
  type RemoteFeed,
} from '../../src/packages/replicate-feed.ts';
import { RemoteFeedError } from '../../src/packages/remote-feed.ts';
import {
  HttpRemoteFeed,
  type HttpRemoteFeedOptions,
  type RetryNotice,
} from '../../src/storage/remote/http-remote-feed.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { type Fault, startSyntheticCatalog } from '../fixtures/synthetic-catalog-server.ts';
import { type JsonObject, startFeed, type TestFeed, testApiKey } from './feed-fixture.ts';

const ids = ['Repl.Alpha', 'Repl.Beta', 'Repl.Gamma'];
const repoRoot = resolve(import.meta.dirname, '../..');
const noProgress: ReplicationProgress = {
  start: () => {},
  advance: () => {},
  current: () => {},
  warn: () => {},
};

/** What must agree between the feeds: each id's version list and, per version, listed and deprecation. */
async function view(get: (url: string) => Promise<{ status: number; body: JsonObject }>) {
  const result: Record<string, unknown> = {};
  for (const id of ids) {
    const lower = id.toLowerCase();
    const list = await get(`/v3/flatcontainer/${lower}/index.json`);
    const registration = await get(`/v3/registration-gz-semver2/${lower}/index.json`);
    const leaves =
      registration.status === 200
        ? (registration.body['items'] as JsonObject[]).flatMap((page) =>
            (page['items'] as JsonObject[]).map((leaf) => {
              const entry = leaf['catalogEntry'] as JsonObject;
              return [entry['version'], entry['listed'], entry['deprecation'] ?? null];
            }),
          )
        : registration.status;
    result[id] = { versions: list.status === 200 ? list.body['versions'] : list.status, leaves };
  }
  return result;
}

describe('nugget replicate', () => {
  let source: TestFeed;
  let target: TestFeed;
  let sourceUrl: string;
  let remote: HttpRemoteFeed;

  const viaHttp = async (url: string) => {
    const response = await fetch(new URL(url, sourceUrl));
    return {
      status: response.status,
      body: response.status === 200 ? ((await response.json()) as JsonObject) : {},
    };
  };
  const viaInject = async (url: string) => {
    const response = await target.get(url, { 'accept-encoding': 'identity' });
    return {
      status: response.statusCode,
      body: response.statusCode === 200 ? (response.json() as JsonObject) : {},
    };
  };
  const replicate = (options: { ids?: string[]; remote?: RemoteFeed } = {}): Promise<ReplicationSummary> =>
    replicateFeed(
      {
        ...target.feed,
        feed: target.defaultFeed.feed,
        cursors: target.feed.replicationCursors,
        remote: options.remote ?? remote,
      },
      { source: `${sourceUrl}/v3/index.json`, ...(options.ids ? { ids: options.ids } : {}) },
      noProgress,
    );
  const unlist = (id: string, version: string) =>
    source.request('DELETE', `/v3/package/${id}/${version}`, { headers: { 'x-nuget-apikey': testApiKey } });

  before(async () => {
    // The source hard-deletes on DELETE; unlisting goes through the use case the unlist behaviour uses.
    // The source lets a deleted version be pushed again (docs/feeds.md, "Settings"): a replica must follow it.
    source = await startFeed({ deleteBehavior: 'delete', config: { allowRepushAfterDelete: true } });
    target = await startFeed();
    const address = await source.app.listen({ host: '127.0.0.1', port: 0 });
    sourceUrl = address;
    remote = new HttpRemoteFeed({ tempDir: join(target.dataDir, 'tmp') });
  });
  after(async () => {
    await remote.close();
    await source.close();
    await target.close();
  });

  it('copies pushes, unlists, deprecations and deletes, and leaves nothing to do on a rerun', async () => {
    for (const version of ['1.0.0', '1.1.0', '2.0.0-beta.1+build.7'])
      await source.publish({ id: 'Repl.Alpha', version });
    await source.publish({ id: 'Repl.Beta', version: '1.0.0' });
    await source.publish({ id: 'Repl.Gamma', version: '1.0.0' });
    await source.feed.packages.setListed('repl.alpha', '1.1.0', false);
    await source.feed.packages.setDeprecation('repl.beta', '1.0.0', {
      reasons: ['Legacy'],
      message: 'use Repl.Alpha',
      alternatePackage: { id: 'Repl.Alpha', range: '[1.0.0, )' },
    });
    assert.equal((await unlist('Repl.Gamma', '1.0.0')).statusCode, 204);

    const first = await replicate();
    assert.deepEqual(
      { added: first.added, deleted: first.deleted },
      { added: 4, deleted: 0 },
      'Gamma was pushed and deleted before the first run: its nupkg is gone, nothing to copy',
    );
    const expected = await view(viaHttp);
    assert.deepEqual(await view(viaInject), expected);
    assert.deepEqual((expected['Repl.Alpha'] as JsonObject)['versions'], ['1.0.0', '1.1.0', '2.0.0-beta.1']);
    assert.deepEqual((expected['Repl.Gamma'] as JsonObject)['versions'], 404);
    assert.deepEqual((expected['Repl.Beta'] as JsonObject)['leaves'], [
      [
        '1.0.0',
        true,
        {
          reasons: ['Legacy'],
          message: 'use Repl.Alpha',
          alternatePackage: { id: 'Repl.Alpha', range: '[1.0.0, )' },
        },
      ],
    ]);
    assert.deepEqual((expected['Repl.Alpha'] as JsonObject)['leaves'], [
      ['1.0.0', true, null],
      ['1.1.0', false, null],
      ['2.0.0-beta.1+build.7', true, null],
    ]);

    const again = await replicate();
    assert.deepEqual(
      [again.added, again.updated, again.deleted],
      [0, 0, 0],
      'a rerun with nothing new changes nothing',
    );
  });

  it('catches up incrementally with what changed since', async () => {
    await source.publish({ id: 'Repl.Alpha', version: '3.0.0' });
    await source.feed.packages.setListed('repl.alpha', '1.1.0', true);
    await source.feed.packages.setListed('repl.beta', '1.0.0', false);
    await source.feed.packages.setDeprecation('repl.beta', '1.0.0', undefined);
    assert.equal((await unlist('Repl.Alpha', '2.0.0-beta.1')).statusCode, 204);

    const second = await replicate();
    assert.deepEqual([second.added, second.deleted], [1, 1]);
    assert.ok(second.updated >= 2, `relist, unlist and undeprecation applied (updated ${second.updated})`);
    assert.deepEqual(await view(viaInject), await view(viaHttp));
    const catalogStats = await target.feed.catalog.pages();
    assert.ok(catalogStats[0]!.count > 0, 'the copy has its own catalog');
  });

  it('walks the flat container for the given ids when the source has no catalog', async () => {
    const fresh = await startFeed();
    try {
      // The same source, seen without its Catalog/3.0.0 resource.
      const withoutCatalog: RemoteFeed = {
        getJson: async (url) => {
          const document = (await remote.getJson(url)) as JsonObject | undefined;
          if (!url.endsWith('/v3/index.json') || !document) return document;
          const resources = (document['resources'] as JsonObject[]).filter(
            (r) => r['@type'] !== 'Catalog/3.0.0',
          );
          return { ...document, resources };
        },
        download: (url) => remote.download(url),
      };
      const run = (ids?: string[]) =>
        replicateFeed(
          {
            ...fresh.feed,
            feed: fresh.defaultFeed.feed,
            cursors: fresh.feed.replicationCursors,
            remote: withoutCatalog,
          },
          { source: `${sourceUrl}/v3/index.json`, ...(ids ? { ids } : {}) },
          noProgress,
        );
      await assert.rejects(run(), /has no catalog.*--ids/);
      await assert.rejects(
        run(['Repl.Alpha', 'not an id']),
        /--ids: the package id 'not an id' has a character/,
      );
      const summary = await run(['Repl.Alpha']);
      assert.equal(summary.added, 3);
      const list = await fresh.json('/v3/flatcontainer/repl.alpha/index.json', {
        'accept-encoding': 'identity',
      });
      assert.deepEqual(list['versions'], ['1.0.0', '1.1.0', '3.0.0']);
      assert.equal((await fresh.get('/v3/flatcontainer/repl.beta/index.json')).statusCode, 404);
    } finally {
      await fresh.close();
    }
  });

  it('copies only the ids of --ids from a catalog, with a cursor of its own', async () => {
    const fresh = await startFeed();
    try {
      const run = (ids?: string[]) =>
        replicateFeed(
          { ...fresh.feed, feed: fresh.defaultFeed.feed, cursors: fresh.feed.replicationCursors, remote },
          { source: `${sourceUrl}/v3/index.json`, ...(ids ? { ids } : {}) },
          noProgress,
        );
      const onlyBeta = await run([' repl.BETA ', '']);
      assert.equal(onlyBeta.added, 1);
      assert.deepEqual((await fresh.feed.packages.findVersions('repl.beta')).length, 1);
      assert.deepEqual(await fresh.feed.packages.findVersions('repl.alpha'), [], 'no other id is copied');
      // A full run does not start from where the --ids run stopped: that cursor passed over Alpha.
      const all = await run();
      assert.equal(all.added, 3);
      assert.deepEqual(
        await view(async (url) => {
          const response = await fresh.get(url, { 'accept-encoding': 'identity' });
          return {
            status: response.statusCode,
            body: response.statusCode === 200 ? (response.json() as JsonObject) : {},
          };
        }),
        await view(viaHttp),
      );
    } finally {
      await fresh.close();
    }
  });

  it('takes the new bytes of a version deleted and pushed again on the source', async () => {
    const first = await source.publish({ id: 'Repl.Again', version: '1.0.0', description: 'first build' });
    await replicate();
    assert.equal((await unlist('Repl.Again', '1.0.0')).statusCode, 204, 'the source hard-deletes');
    const second = await source.publish({ id: 'Repl.Again', version: '1.0.0', description: 'second build' });
    assert.notDeepEqual(second, first);
    // One page holds the delete and the new push: the reader passes over the delete as older than the push.
    const summary = await replicate();
    assert.deepEqual([summary.added, summary.updated, summary.deleted], [0, 1, 0]);
    const copy = await target.get('/v3/flatcontainer/repl.again/1.0.0/repl.again.1.0.0.nupkg');
    assert.equal(copy.statusCode, 200);
    assert.deepEqual(copy.rawPayload, second);
  });

  it('refuses a source that is not a V3 feed', async () => {
    const notV3: RemoteFeed = { getJson: async () => ({ hello: 'world' }), download: async () => undefined };
    await assert.rejects(
      replicateFeed(
        {
          ...target.feed,
          feed: target.defaultFeed.feed,
          cursors: target.feed.replicationCursors,
          remote: notV3,
        },
        { source: 'http://127.0.0.1:1/v3/index.json' },
        noProgress,
      ),
      /not a NuGet V3 service index/,
    );
    for (const source of ['feed.example/v3/index.json', 'file:///etc/passwd']) {
      await assert.rejects(
        replicateFeed(
          {
            ...target.feed,
            feed: target.defaultFeed.feed,
            cursors: target.feed.replicationCursors,
            remote: notV3,
          },
          { source },
          noProgress,
        ),
        /is not an http\(s\) URL: give the source's service index/,
      );
    }
  });
});

/** `lowerId/lowerVersion` -> listed, for the ids given, as the feed holds them. */
async function localState(feed: TestFeed, lowerIds: Iterable<string>): Promise<Map<string, boolean>> {
  const state = new Map<string, boolean>();
  for (const lowerId of lowerIds) {
    for (const version of await feed.feed.packages.findVersions(lowerId)) {
      state.set(`${lowerId}/${version.lowerVersion}`, version.listed);
    }
  }
  return state;
}

const sorted = (map: Map<string, boolean>) => [...map].sort(([a], [b]) => (a < b ? -1 : 1));

/** Runs the command line; its process group is killed when the test ends, whatever happens. */
function runCli(args: string[], onSpawn?: (child: ChildProcess) => void) {
  const child = spawn(process.execPath, ['src/cli/main.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, NUGGET_LOG_LEVEL: 'silent' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onSpawn?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

const killGroup = (child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL') => {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  }
};

describe('nugget replicate from a synthetic catalog', () => {
  const children: ChildProcess[] = [];
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const child of children) killGroup(child);
    for (const close of closers.reverse()) await close();
  });
  const started = async <T extends { close(): Promise<void> }>(thing: Promise<T>): Promise<T> => {
    const value = await thing;
    closers.push(() => value.close());
    return value;
  };
  /** A remote whose waits are instant: retries are counted, not timed. */
  const quickRemote = (feed: TestFeed, options: Partial<HttpRemoteFeedOptions> = {}) => {
    const remote = new HttpRemoteFeed({
      tempDir: join(feed.dataDir, 'tmp'),
      retry: { attempts: 8, baseDelayMs: 1 },
      sleep: async () => {},
      ...options,
    });
    closers.push(() => remote.close());
    return remote;
  };
  const replicateInto = (feed: TestFeed, remote: RemoteFeed, source: string, ids?: string[]) =>
    replicateFeed(
      { ...feed.feed, feed: feed.defaultFeed.feed, cursors: feed.feed.replicationCursors, remote },
      { source, ...(ids ? { ids } : {}) },
      noProgress,
    );

  it('follows a source that fails with 503, 429, resets, cut bodies and silence, to the same copy', async () => {
    const kinds: Fault[] = [
      { kind: 'status', status: 503, retryAfter: '0' },
      { kind: 'status', status: 429, retryAfter: '0' },
      { kind: 'reset' },
      { kind: 'truncate' },
      { kind: 'status', status: 502 },
      { kind: 'hang' },
    ];
    let hangs = 0;
    const source = await started(
      startSyntheticCatalog({
        items: 90,
        pageSize: 20,
        commitSize: 3,
        ids: 6,
        // The first requests all fail, one kind after the other; then every third request fails (two hangs at most,
        // each costing a timeout).
        fault: ({ n }) => {
          const fault = n <= kinds.length ? kinds[n - 1] : n % 3 === 0 ? kinds[n % 5] : undefined;
          if (fault?.kind === 'hang' && ++hangs > 2) return undefined;
          return fault;
        },
      }),
    );
    const target = await started(startFeed());
    const notices: RetryNotice[] = [];
    const remote = quickRemote(target, { timeoutMs: 1000, onRetry: (notice) => notices.push(notice) });
    await replicateInto(target, remote, source.url);
    const ids = Array.from({ length: 6 }, (_, m) => source.idOf(m).toLowerCase());
    assert.deepEqual(sorted(await localState(target, ids)), sorted(source.expected()));
    const reasons = new Set(notices.map((n) => n.reason));
    for (const reason of [
      'answered 503 Service Unavailable',
      'answered 429 Too Many Requests',
      'answered 502 Bad Gateway',
      'closed the connection',
      'sent no answer within 1 s',
    ]) {
      assert.ok(reasons.has(reason), `a retry after "${reason}" (saw ${[...reasons].join('; ')})`);
    }
    assert.ok(notices.length > 20, `${notices.length} retries`);
  });

  it('gives up on a source that keeps failing, with one line saying so', async () => {
    const source = await started(
      startSyntheticCatalog({ items: 10, fault: () => ({ kind: 'status', status: 503 }) }),
    );
    const target = await started(startFeed());
    const remote = quickRemote(target, { retry: { attempts: 3, baseDelayMs: 1 } });
    await assert.rejects(replicateInto(target, remote, source.url), (error: unknown) => {
      assert.ok(error instanceof RemoteFeedError);
      assert.match(
        error.message,
        /^GET \S+ answered 503 Service Unavailable, 3 times in a row: giving up for now/,
      );
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
    assert.equal(source.served.requests.get('service-index'), 3);
  });

  it('passes over, with a warning each, the packages this feed refuses, and copies the rest', async () => {
    // The first three versions asked for get these bodies, every time they are asked for.
    const refused: string[] = [];
    const bodies = [
      Buffer.from('not a zip at all'),
      await buildNupkg({ id: 'Some.Other.Package', version: '9.9.9' }),
      Buffer.alloc(300_000, 7),
    ];
    const source = await started(
      startSyntheticCatalog({
        items: 40,
        pageSize: 10,
        ids: 3,
        fault: ({ kind, path }) => {
          if (kind !== 'nupkg') return undefined;
          const identity = path.split('/').slice(3, 5).join('/');
          if (!refused.includes(identity) && refused.length < bodies.length) refused.push(identity);
          const body = bodies[refused.indexOf(identity)];
          return body && { kind: 'body', body };
        },
      }),
    );
    const target = await started(startFeed());
    const warnings: string[] = [];
    const summary = await replicateFeed(
      {
        ...target.feed,
        feed: target.defaultFeed.feed,
        cursors: target.feed.replicationCursors,
        remote: quickRemote(target, { maxPackageBytes: 200_000 }),
      },
      { source: source.url },
      { ...noProgress, warn: (message) => warnings.push(message) },
    );
    // A version refused once may be asked for again by a later leaf (unlisted in a later page): refused again.
    assert.ok(summary.refused >= 3);
    assert.equal(warnings.length, summary.refused, warnings.join('\n'));
    for (const reason of [
      /not copied: .*(zip|central directory)/i,
      /not copied: The source serves Some\.Other\.Package 9\.9\.9 at the address of/,
      /not copied: .* is larger than this feed's maximum package size \(200000 bytes\)/,
    ]) {
      assert.ok(
        warnings.some((warning) => reason.test(warning)),
        `${String(reason)} in ${warnings.join('\n')}`,
      );
    }
    const expected = source.expected();
    for (const identity of refused) expected.delete(identity);
    const ids = Array.from({ length: 3 }, (_, m) => source.idOf(m).toLowerCase());
    assert.deepEqual(sorted(await localState(target, ids)), sorted(expected));
    assert.equal(summary.added, expected.size);
    assert.deepEqual(await target.feed.packages.findVersions('some.other.package'), []);
  });

  it('honours --ids in both modes: the catalog and the flat-container walk', async () => {
    const source = await started(startSyntheticCatalog({ items: 120, pageSize: 25, ids: 8 }));
    const wanted = [source.idOf(2), source.idOf(5)];
    const lowerIds = new Set(wanted.map((id) => id.toLowerCase()));
    const all = Array.from({ length: 8 }, (_, m) => source.idOf(m).toLowerCase());
    for (const url of [source.url, source.urlWithoutCatalog]) {
      const target = await started(startFeed());
      const summary = await replicateInto(target, quickRemote(target), url, wanted);
      const expected = source.expected(lowerIds);
      assert.ok(expected.size > 10);
      const state = await localState(target, all);
      if (url === source.url) {
        assert.deepEqual(sorted(state), sorted(expected), 'from the catalog: listed states included');
      } else {
        // Without a catalog there is no listed state to read: every version arrives listed.
        assert.deepEqual([...state.keys()].sort(), [...expected.keys()].sort(), 'from the flat container');
      }
      assert.equal(summary.added, expected.size);
    }
    const leaves = source.served.requests.get('leaf') ?? 0;
    assert.ok(leaves <= 2 * 120 * (2 / 8), `only the wanted ids' leaves are read (${leaves})`);
  });

  it('stopped at any request and run again, ends with the same copy and downloads nothing twice', async () => {
    const source = await started(startSyntheticCatalog({ items: 16, pageSize: 5, commitSize: 2, ids: 2 }));
    const ids = [source.idOf(0).toLowerCase(), source.idOf(1).toLowerCase()];
    const expected = sorted(source.expected());
    /** Counts requests; throws at request `stopAt` as if the process died there; counts completed downloads. */
    const stoppable = (inner: RemoteFeed, stopAt: number, downloads: Map<string, number>) => {
      let calls = 0;
      const step = () => {
        calls += 1;
        if (calls === stopAt) throw new Error('killed');
      };
      const remote: RemoteFeed = {
        getJson: async (url) => (step(), inner.getJson(url)),
        download: async (url) => {
          step();
          const result = await inner.download(url);
          if (result) downloads.set(url, (downloads.get(url) ?? 0) + 1);
          return result;
        },
      };
      return { remote, calls: () => calls };
    };
    const probe = await started(startFeed());
    const clean = stoppable(quickRemote(probe), 0, new Map());
    await replicateInto(probe, clean.remote, source.url);
    assert.deepEqual(sorted(await localState(probe, ids)), expected);
    const requests = clean.calls();
    assert.ok(requests > 20, `${requests} requests in a whole run`);
    // Every 4th request (a new feed for each costs about a second) and the last one, where only the final cursor
    // is left to save: stops before, between and after the items of pages and of commits split over two pages.
    const stops = Array.from({ length: requests }, (_, k) => k + 1).filter(
      (k) => k % 4 === 2 || k === requests,
    );
    for (const stopAt of stops) {
      const target = await startFeed();
      try {
        const downloads = new Map<string, number>();
        const remote = quickRemote(target);
        await assert.rejects(
          replicateInto(target, stoppable(remote, stopAt, downloads).remote, source.url),
          /killed/,
        );
        await replicateInto(target, stoppable(remote, 0, downloads).remote, source.url);
        assert.deepEqual(sorted(await localState(target, ids)), expected, `stopped at request ${stopAt}`);
        const twice = [...downloads].filter(([, count]) => count > 1);
        assert.deepEqual(twice, [], `stopped at request ${stopAt}: downloaded twice`);
      } finally {
        await target.close();
      }
    }
  });

  it('after kill -9 of `nugget replicate` in the middle of a page, a rerun copies nothing twice and misses nothing', async () => {
    let victim: ChildProcess | undefined;
    let nupkgRequests = 0;
    const source = await started(
      startSyntheticCatalog({
        items: 60,
        pageSize: 30,
        ids: 4,
        // The 7th download: the process dies while it waits for it, six copies into the first page.
        fault: ({ kind }) => {
          if (kind !== 'nupkg' || ++nupkgRequests !== 7 || !victim) return undefined;
          killGroup(victim);
          return { kind: 'hang' };
        },
      }),
    );
    const dataDir = await mkdtemp(join(tmpdir(), 'nugget-replicate-kill-'));
    closers.push(() => rm(dataDir, { recursive: true, force: true }));
    const args = ['replicate', '--from', source.url, '--data-dir', dataDir, '--create'];
    const first = runCli(args, (child) => {
      victim = child;
      children.push(child);
    });
    const killed = await first.done;
    assert.equal(killed.signal, 'SIGKILL', `the first run was killed (stderr: ${killed.stderr})`);
    const resumed = runCli(args, (child) => children.push(child));
    const rerun = await resumed.done;
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /Replicated .*: \d+ added/);
    const downloads = [...source.served.nupkgs];
    assert.ok(downloads.length >= 7);
    assert.deepEqual(
      downloads.filter(([, count]) => count > 1),
      [],
      'no nupkg was downloaded twice',
    );
    const target = await started(startFeed({ config: { dataDir } }));
    const ids = Array.from({ length: 4 }, (_, m) => source.idOf(m).toLowerCase());
    assert.deepEqual(sorted(await localState(target, ids)), sorted(source.expected()));
  });

  it("sends the source's credentials to its own origin only: not to a redirect's or a leaf's", async () => {
    const seenBySynthetic: string[] = [];
    const synthetic = await started(
      startSyntheticCatalog({
        items: 30,
        pageSize: 10,
        ids: 2,
        fault: ({ kind, headers }) => {
          if (headers['authorization'] || headers['x-nuget-apikey']) seenBySynthetic.push(kind);
          return undefined;
        },
      }),
    );
    const syntheticBase = new URL(synthetic.url).origin;
    // The source: its own service index, catalog index and pages (proxied, with its own URLs for pages), leaves
    // still on the other origin, and nupkgs redirected there as to blob storage.
    const unauthorized: string[] = [];
    const front = createServer((request, response) => {
      const path = request.url ?? '/';
      if (request.headers['authorization'] !== 'Bearer sekrit') unauthorized.push(path);
      const base = `http://${request.headers.host}`;
      if (path.endsWith('.nupkg')) {
        response.writeHead(302, { location: `${syntheticBase}${path}` }).end();
        return;
      }
      void fetch(`${syntheticBase}${path}`).then(async (upstream) => {
        const text = (await upstream.text())
          .replaceAll(`${syntheticBase}/v3/catalog0/page`, `${base}/v3/catalog0/page`)
          .replaceAll(`${syntheticBase}/v3/catalog0/index.json`, `${base}/v3/catalog0/index.json`)
          .replaceAll(`${syntheticBase}/v3/flatcontainer/`, `${base}/v3/flatcontainer/`);
        response.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text);
      });
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => front.close(() => resolve())));
    const target = await started(startFeed());
    const remote = quickRemote(target, {
      headers: { authorization: 'Bearer sekrit', 'x-nuget-apikey': 'key' },
    });
    const frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}/v3/index.json`;
    await replicateInto(target, remote, frontUrl);
    const ids = [synthetic.idOf(0).toLowerCase(), synthetic.idOf(1).toLowerCase()];
    assert.deepEqual(sorted(await localState(target, ids)), sorted(synthetic.expected()));
    assert.deepEqual(unauthorized, [], 'every request to the source carried its credentials');
    assert.ok(
      (synthetic.served.requests.get('nupkg') ?? 0) > 5 && (synthetic.served.requests.get('leaf') ?? 0) > 5,
    );
    assert.deepEqual(seenBySynthetic, [], 'the other origin saw no credentials');
  });

  it('fails at once, with one line, on a source that answers 404 or 401', async () => {
    let requests = 0;
    const refusing = createServer((_request, response) => {
      requests += 1;
      response.writeHead(401, { 'www-authenticate': 'Basic realm="feed"' }).end();
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => refusing.close(() => resolve())));
    const missing = await started(startSyntheticCatalog({ items: 1 }));
    const dataDir = await mkdtemp(join(tmpdir(), 'nugget-replicate-refused-'));
    closers.push(() => rm(dataDir, { recursive: true, force: true }));
    const cases: [string, RegExp][] = [
      [
        `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/v3/index.json`,
        /^GET http:\S+ answered 401 Unauthorized: the source wants credentials .*--source-header 'Authorization: Bearer <token>'/,
      ],
      [
        missing.url.replace('/v3/', '/v2/'),
        /^GET http:\S+ answered 404 Not Found: give the URL of the source's service index/,
      ],
    ];
    for (const [url, message] of cases) {
      const { done } = runCli(['replicate', '--from', url, '--data-dir', dataDir, '--create'], (child) =>
        children.push(child),
      );
      const result = await done;
      assert.equal(result.code, 1, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line: ${result.stderr}`);
      assert.match(lines[0]!, message);
    }
    assert.equal(requests, 1, 'a 401 is not retried');
  });
});
