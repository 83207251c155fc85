// One server on several cores: `nugget --workers 2` (src/cli/workers.ts, docs/deployment.md "Workers"). Workers
// are nodes of one server, so what scale-out promises holds between them: a push through one worker is visible
// through every other at its next request (its read caches checked against the change stamps, decision 0003),
// concurrent pushes of one version give one 201 and 409s and one row, a worker that dies is replaced while the
// others serve, /metrics shows every worker's series, and SIGTERM stops them all gracefully. On SQLite and on
// PostgreSQL. Which worker answered is read from /metrics (series labelled by worker), so the tests do not depend
// on how the kernel spreads connections: they go on until every worker has answered.
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server.ts';
import { createWorkspace, type FeedServer, startFeed, type Workspace } from './harness.ts';

const workers = 2;

/** One request on a connection of its own (no keep-alive), so each can reach another worker. */
function request(
  feed: FeedServer,
  method: string,
  urlPath: string,
  body?: Buffer,
): Promise<{ status: number; text: string }> {
  const url = new URL(urlPath, feed.serviceIndexUrl);
  const boundary = 'nugget-workers-test';
  const payload =
    body &&
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="package"; filename="package.nupkg"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      body,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      url,
      {
        method,
        agent: false,
        headers: {
          connection: 'close',
          'x-nuget-apikey': feed.apiKey,
          ...(payload
            ? {
                'content-type': `multipart/form-data; boundary=${boundary}`,
                'content-length': payload.length,
              }
            : {}),
        },
        timeout: 30_000,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`${method} ${urlPath}: no answer in 30 s`)));
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** Sums of one counter's samples by worker, for samples whose labels include every one of `labels`. */
async function countsByWorker(feed: FeedServer, metric: string, labels: readonly string[]) {
  const { status, text } = await request(feed, 'GET', '/metrics');
  assert.equal(status, 200, text);
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) || !labels.every((label) => line.includes(label))) continue;
    const worker = /worker="(\d+)"/.exec(line)?.[1];
    assert.ok(worker, `a series without its worker: ${line}`);
    counts.set(worker, (counts.get(worker) ?? 0) + Number(line.split(' ').at(-1)));
  }
  return counts;
}

const everyWorker = (counts: Map<string, number>) =>
  Array.from({ length: workers }, (_, i) => counts.get(String(i + 1)) ?? 0).every((count) => count > 0);

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function startWorkers(workspace: Workspace, name: string, extraArgs: string[] = []) {
  const feed = await startFeed(workspace, {
    dataDirName: name,
    extraArgs: ['--workers', String(workers), ...extraArgs],
    startupTimeoutMs: 60_000,
  });
  await waitUntil(`all ${workers} workers listen`, () =>
    feed.output().includes(`"msg":"all ${workers} workers listening"`),
  );
  return feed;
}

const versionListRoute = 'route="/v3/flatcontainer/:id/index.json"';

/**
 * Every worker answers (and caches) a version list of an id that has no version yet, then one version is pushed
 * through one of them: every answer after the push, from any worker, lists it. Without the stamp check a worker
 * would keep answering its cached 404.
 */
async function pushIsSeenByEveryWorker(feed: FeedServer, id: string): Promise<void> {
  const list = `/v3/flatcontainer/${id.toLowerCase()}/index.json`;
  await waitUntil('every worker has answered (and cached) the 404', async () => {
    assert.equal((await request(feed, 'GET', list)).status, 404);
    return everyWorker(
      await countsByWorker(feed, 'nugget_http_requests_total', [versionListRoute, 'status="404"']),
    );
  });
  const pushed = await request(feed, 'PUT', '/v3/package', await buildNupkg({ id, version: '1.0.0' }));
  assert.equal(pushed.status, 201, pushed.text);
  await waitUntil('every worker has answered the version list after the push', async () => {
    const answer = await request(feed, 'GET', list);
    assert.equal(
      answer.status,
      200,
      `a worker answered from before the push: ${answer.status} ${answer.text}`,
    );
    assert.deepEqual(JSON.parse(answer.text), { versions: ['1.0.0'] });
    return everyWorker(
      await countsByWorker(feed, 'nugget_http_requests_total', [versionListRoute, 'status="200"']),
    );
  });
}

/**
 * Rounds of 8 concurrent pushes of one new version, each on its own connection: exactly one 201 per round, the
 * rest 409, until pushes have reached every worker. Returns the versions pushed.
 */
async function duplicatePushesAcrossWorkers(feed: FeedServer, id: string): Promise<string[]> {
  const versions: string[] = [];
  for (let round = 1; round <= 20; round++) {
    const version = `2.0.${round}`;
    const nupkg = await buildNupkg({ id, version });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => request(feed, 'PUT', '/v3/package', nupkg)),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409, 409, 409], JSON.stringify(answers));
    versions.push(version);
    const pushes = await countsByWorker(feed, 'nugget_pushes_total', ['kind="package"']);
    if (round >= 2 && everyWorker(pushes)) return versions;
  }
  assert.fail('20 rounds of pushes never reached every worker');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const workerPids = (feed: FeedServer): Map<number, number> => {
  const pids = new Map<number, number>();
  for (const match of feed
    .output()
    .matchAll(/"worker":(\d+),"workerPid":(\d+),"msg":"worker \d+ listening"/g)) {
    pids.set(Number(match[1]), Number(match[2]));
  }
  return pids;
};

describe('--workers 2 on SQLite', () => {
  let workspace: Workspace;
  let feed: FeedServer;
  before(async () => {
    workspace = await createWorkspace('nugget-workers-');
    feed = await startWorkers(workspace, 'sqlite');
  });
  after(async () => {
    await feed?.stop();
    await workspace?.dispose();
  });

  test('a push through one worker is seen through every other at its next request', () =>
    pushIsSeenByEveryWorker(feed, 'Workers.Visible'));

  test('concurrent pushes of one version across workers: one 201, the rest 409, one row', async () => {
    const versions = await duplicatePushesAcrossWorkers(feed, 'Workers.Duplicate');
    const db = new BetterSqlite3(path.join(feed.dataDir, 'nugget.db'), { readonly: true });
    try {
      const rows = db
        .prepare("SELECT lower_version FROM package_versions WHERE lower_id = 'workers.duplicate'")
        .pluck()
        .all();
      assert.deepEqual([...rows].sort(), [...versions].sort());
    } finally {
      db.close();
    }
  });

  test('/metrics labels every series with its worker', async () => {
    const { text } = await request(feed, 'GET', '/metrics');
    for (let worker = 1; worker <= workers; worker++) {
      assert.match(text, new RegExp(`process_resident_memory_bytes\\{worker="${worker}"\\} \\d`));
    }
    // Each family once, however many workers report it.
    assert.equal(
      text.split('\n').filter((line) => line.startsWith('# TYPE nugget_http_requests_total ')).length,
      1,
    );
  });

  test('a worker that dies is replaced; the others serve meanwhile', async () => {
    const before = workerPids(feed);
    const victim = before.get(2);
    assert.ok(victim, feed.output());
    process.kill(victim, 'SIGKILL');
    await waitUntil('the worker is gone', () => !isAlive(victim));
    for (let i = 0; i < 5; i++) {
      assert.equal((await request(feed, 'GET', '/v3/index.json')).status, 200);
    }
    await waitUntil('a new worker 2 listens', () => {
      const pid = workerPids(feed).get(2);
      return pid !== undefined && pid !== victim;
    });
    assert.match(feed.output(), /worker 2 exited \(SIGKILL\); starting another/);
    await pushIsSeenByEveryWorker(feed, 'Workers.AfterRestart');
  });

  test('SIGTERM stops every worker gracefully: exit 0, no process left', async () => {
    const pids = [...workerPids(feed).values()];
    feed.process.kill('SIGTERM');
    const { code } = await feed.exited;
    assert.equal(code, 0, feed.output());
    await waitUntil('every worker has exited', () => pids.every((pid) => !isAlive(pid)), 10_000);
    assert.match(feed.output(), /"msg":"worker 1 stopped"/);
    assert.match(feed.output(), /"msg":"worker 2 stopped"/);
  });
});

describe('--workers 2 on PostgreSQL', () => {
  let workspace: Workspace;
  let postgres: PostgresServer;
  let feed: FeedServer;
  let database: string;
  before(async () => {
    workspace = await createWorkspace('nugget-workers-pg-');
    postgres = await startPostgresServer();
    database = await postgres.createDatabase();
    feed = await startWorkers(workspace, 'postgres', ['--database', database]);
  });
  after(async () => {
    await feed?.stop();
    await postgres?.stop();
    await workspace?.dispose();
  });

  test('a push through one worker is seen through every other at its next request', () =>
    pushIsSeenByEveryWorker(feed, 'Workers.Visible'));

  test('concurrent pushes of one version across workers: one 201, the rest 409, one row', async () => {
    const versions = await duplicatePushesAcrossWorkers(feed, 'Workers.Duplicate');
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    try {
      const { rows } = await client.query<{ lower_version: string }>(
        "SELECT lower_version FROM package_versions WHERE lower_id = 'workers.duplicate'",
      );
      assert.deepEqual(rows.map((row) => row.lower_version).sort(), [...versions].sort());
    } finally {
      await client.end();
    }
  });
});
