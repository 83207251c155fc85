// Scale-out benchmark (issue 6): requests per second of ONE nugget node vs TWO nodes sharing one PostgreSQL and
// one S3-compatible bucket (s3rver), on this machine. The hot read paths of restore: the flat-container version
// list and a .nupkg download.
// Run: npm run bench:scale-out [-- --duration 10] [--connections 50] [--ids 200]
// Writes bench/results/scale-out-<yyyy-mm-dd>.json (every raw number) and .md (the table); docs/deployment.md
// explains what the numbers mean.
import { randomUUID } from 'node:crypto';
import { writeFile, mkdir } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createWorkspace, type FeedServer, startFeed } from '../test/e2e/harness.ts';
import { buildNupkg } from '../test/fixtures/build-nupkg.ts';
import { multipartBody } from '../test/http/feed-fixture.ts';
import { startPostgresServer } from '../test/support/postgres-server.ts';
import { startS3Server } from '../test/support/s3-server.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string' },
    connections: { type: 'string' },
    ids: { type: 'string' },
  },
});
const settings = {
  durationSeconds: Number(flags.duration ?? 10),
  warmupSeconds: 3,
  connections: Number(flags.connections ?? 50),
  ids: Number(flags.ids ?? 200),
};
const log = (line: string) => console.log(line);

interface LoadRow {
  readonly endpoint: string;
  readonly nodes: 1 | 2;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  /** Per node, when two nodes share the load. */
  readonly perNode: readonly number[];
}

/**
 * `connections` in total, split evenly over the nodes: the load generator round-robins connections over them as a
 * load balancer would. One autocannon instance per node, all started together, in this one process.
 */
async function load(
  endpoint: string,
  nodes: readonly FeedServer[],
  paths: readonly string[],
): Promise<LoadRow> {
  const run = (duration: number) =>
    Promise.all(
      nodes.map((node) =>
        autocannon({
          url: node.serviceIndexUrl.replace(/\/v3\/index\.json$/, ''),
          connections: Math.max(1, Math.round(settings.connections / nodes.length)),
          duration,
          headers: { 'accept-encoding': 'gzip, deflate' },
          requests: paths.map((path) => ({ method: 'GET' as const, path })),
        }),
      ),
    );
  await run(settings.warmupSeconds);
  const results = await run(settings.durationSeconds);
  const row: LoadRow = {
    endpoint,
    nodes: nodes.length as 1 | 2,
    requestsPerSecond: results.reduce((sum, r) => sum + r.requests.average, 0),
    // Latency percentiles of the busiest instance: an upper bound for the pair.
    p50Ms: Math.max(...results.map((r) => r.latency.p50)),
    p99Ms: Math.max(...results.map((r) => r.latency.p99)),
    requests: results.reduce((sum, r) => sum + r.requests.total, 0),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    perNode: results.map((r) => Math.round(r.requests.average)),
  };
  log(
    `  ${endpoint}, ${row.nodes} node(s): ${row.requestsPerSecond.toFixed(0)} req/s ` +
      `(per node ${row.perNode.join(' + ')}), p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms` +
      (row.non2xx || row.errors ? ` (${row.non2xx} non-2xx, ${row.errors} errors)` : ''),
  );
  return row;
}

async function push(node: FeedServer, nupkg: Buffer): Promise<void> {
  const boundary = randomUUID();
  const response = await fetch(`${node.serviceIndexUrl.replace(/\/v3\/index\.json$/, '')}/v3/package`, {
    method: 'PUT',
    headers: { 'x-nuget-apikey': node.apiKey, 'content-type': `multipart/form-data; boundary="${boundary}"` },
    body: multipartBody(nupkg, boundary),
  });
  if (response.status !== 201) throw new Error(`push answered ${response.status}: ${await response.text()}`);
}

const workspace = await createWorkspace('nugget-bench-scale-out-');
const postgres = await startPostgresServer();
const s3 = await startS3Server();
const nodes: FeedServer[] = [];
try {
  const databaseUrl = await postgres.createDatabase();
  const env = {
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
  };
  const apiKey = `bench-${randomUUID()}`;
  for (const name of ['node-1', 'node-2']) {
    nodes.push(
      await startFeed(workspace, {
        apiKey,
        env,
        dataDirName: name,
        extraArgs: ['--database', databaseUrl, '--storage', s3.storageUrl('bench'), '--log-level', 'warn'],
      }),
    );
  }
  const [first] = nodes as [FeedServer, FeedServer];
  log(`Pushing ${settings.ids} packages (1 to 3 versions each) through node 1 ...`);
  const versionLists: string[] = [];
  const downloads: string[] = [];
  for (let i = 0; i < settings.ids; i++) {
    const id = `Bench.ScaleOut.Package${i}`;
    const lowerId = id.toLowerCase();
    for (let v = 0; v <= i % 3; v++) {
      const version = `1.${v}.0`;
      await push(first, await buildNupkg({ id, version, description: `Scale-out benchmark package ${i}` }));
      downloads.push(`/v3/flatcontainer/${lowerId}/${version}/${lowerId}.${version}.nupkg`);
    }
    versionLists.push(`/v3/flatcontainer/${lowerId}/index.json`);
  }

  const rows: LoadRow[] = [];
  for (const [endpoint, paths] of [
    ['flat-container version list', versionLists],
    ['small .nupkg download', downloads],
  ] as const) {
    log(`${endpoint}:`);
    rows.push(await load(endpoint, nodes.slice(0, 1), paths));
    rows.push(await load(endpoint, nodes, paths));
  }

  const date = new Date().toISOString().slice(0, 10);
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}`;
  const results = { date, machine, settings, packages: downloads.length, ids: settings.ids, rows };
  const resultsDir = join(repoRoot, 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, `scale-out-${date}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const table = [
    '| endpoint | nodes | req/s | per node | p50 ms | p99 ms | non-2xx | errors |',
    '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.endpoint} | ${r.nodes} | ${r.requestsPerSecond.toFixed(0)} | ${r.perNode.join(' + ')} | ${r.p50Ms} | ${r.p99Ms} | ${r.non2xx} | ${r.errors} |`,
    ),
  ].join('\n');
  await writeFile(
    join(resultsDir, `scale-out-${date}.md`),
    `# Scale-out benchmark, ${date}\n\nMachine: ${machine}. PostgreSQL (throwaway cluster, fsync off), s3rver ` +
      `3.7.1, the nugget nodes and the load generator (autocannon, in one process) all on this machine, unpinned. ` +
      `${settings.ids} ids, ${downloads.length} versions; ${settings.connections} connections in total (split ` +
      `evenly over the nodes), ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s measured.\n\n${table}\n`,
  );
  log(`\n${table}\n\nWritten to bench/results/scale-out-${date}.json and .md`);
} finally {
  for (const node of nodes) await node.stop();
  await s3.stop();
  await postgres.stop();
  await workspace.dispose();
}
