// Server CPU and PostgreSQL round trips per cached read, two checkouts side by side (issue 17, nugget on
// PostgreSQL): `node bench/postgres-reads.ts --against <dir>` (repeatable) starts one throwaway PostgreSQL cluster
// (test/support/postgres-server.ts) and, in turns, this checkout's server and the one in <dir> (another commit,
// with its node_modules), each on a database of its own with the same `--ids` small packages pushed over HTTP.
// Each server is pinned to CPU 0 (taskset, where there is one); PostgreSQL and the load generator share the rest.
// Per endpoint: `--connections` clients for `--duration` seconds after a warm-up, the server's CPU per request
// (user + system, from /proc) and the statements PostgreSQL ran per request (pg_stat_database.xact_commit: every
// statement outside a transaction is one, so this is the round trips the server made, plus a few of the bench's
// own, counted once per measure). CPU per request hardly depends on the machine's load; req/s does (the load
// average is printed with each round). Hold the bench lock: flock /tmp/nugget-bench.lock node bench/...
// `--sqlite` adds each checkout on SQLite (no statements to count there), for what differs; `--sqlite-only`
// runs SQLite alone.
// Run: node bench/postgres-reads.ts [--against <dir>]... [--sqlite | --sqlite-only] [--rounds 2] [--duration 6] [--connections 50] [--ids 40]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { buildNupkg } from '../test/fixtures/build-nupkg.ts';
import { startPostgresServer } from '../test/support/postgres-server.ts';
import { pushPackage, startCheckoutServer, stopCheckoutServer } from './checkout-server.ts';
import { median } from './writes.ts';

const { values } = parseArgs({
  options: {
    against: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '2' },
    duration: { type: 'string', default: '6' },
    connections: { type: 'string', default: '50' },
    ids: { type: 'string', default: '40' },
    sqlite: { type: 'boolean', default: false },
    'sqlite-only': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const duration = Number(values.duration);
const connections = Number(values.connections);
const idCount = Number(values.ids);
const apiKey = 'bench-key';
const here = resolve(import.meta.dirname, '..');
/** Each checkout on PostgreSQL and, with --sqlite, on its embedded SQLite database too (what differs). */
const runs = [here, ...(values.against ?? []).map((dir) => resolve(dir))].flatMap((root) => [
  ...(values['sqlite-only'] ? [] : [{ root, label: root, sqlite: false }]),
  ...(values.sqlite || values['sqlite-only'] ? [{ root, label: `${root} (SQLite)`, sqlite: true }] : []),
]);
const clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
function cpuMicrosOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / clockTicksPerSecond;
}

/** Statements the database has committed so far (after PostgreSQL's statistics caught up). */
async function statementsOf(database: string | undefined): Promise<number> {
  if (!database) return 0;
  await new Promise((wait) => setTimeout(wait, 1200));
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0]?.n);
  } finally {
    await client.end();
  }
}

const ids = Array.from({ length: idCount }, (_, i) => `Bench.PgRead.${i}`);
const nupkgs = await Promise.all(
  ids.map((id) => buildNupkg({ id, version: '1.0.0', description: `Benchmark package ${id}` })),
);
const endpoints: [string, string[]][] = [
  ['flat-container version list', ids.map((id) => `/v3/flatcontainer/${id.toLowerCase()}/index.json`)],
  [
    'registration index (gz, SemVer 2)',
    ids.map((id) => `/v3/registration-gz-semver2/${id.toLowerCase()}/index.json`),
  ],
  [
    'small .nupkg download',
    ids.map((id) => `/v3/flatcontainer/${id.toLowerCase()}/1.0.0/${id.toLowerCase()}.1.0.0.nupkg`),
  ],
];

const cluster = await startPostgresServer();
const work = await mkdtemp(join(tmpdir(), 'perf-postgres-reads-'));
const results = new Map<string, Map<string, { cpu: number[]; rate: number[]; statements: number[] }>>();
try {
  for (let round = 0; round < rounds; round++) {
    for (const [index, { root, label, sqlite }] of runs.entries()) {
      const database = sqlite ? undefined : await cluster.createDatabase();
      const server = await startCheckoutServer(
        root,
        [
          ...['--data-dir', join(work, `r${round}-${index}`), '--api-key', apiKey, '--workers', '1'],
          ...(database ? ['--database', database] : []),
        ],
        { pinned: true },
      );
      const pid = server.child.pid ?? 0;
      try {
        for (const nupkg of nupkgs) await pushPackage(server.base, nupkg, apiKey);
        for (const [, paths] of endpoints) {
          for (const path of paths) {
            const response = await fetch(server.base + path, { headers: { 'accept-encoding': 'gzip' } });
            await response.arrayBuffer();
            if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
          }
        }
        const line: string[] = [];
        for (const [name, paths] of endpoints) {
          const run = (seconds: number) =>
            autocannon({
              url: server.base,
              connections,
              duration: seconds,
              headers: { 'accept-encoding': 'gzip, deflate' },
              requests: paths.map((path) => ({ method: 'GET' as const, path })),
            });
          await run(2);
          const statementsBefore = await statementsOf(database);
          const cpuBefore = cpuMicrosOf(pid);
          const result = await run(duration);
          const cpu = (cpuMicrosOf(pid) - cpuBefore) / result.requests.total;
          const statements = ((await statementsOf(database)) - statementsBefore) / result.requests.total;
          if (result.non2xx > 0 || result.errors > 0)
            throw new Error(`${name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
          const byEndpoint = results.get(label) ?? new Map();
          const entry = byEndpoint.get(name) ?? { cpu: [], rate: [], statements: [] };
          entry.cpu.push(cpu);
          entry.rate.push(result.requests.average);
          entry.statements.push(statements);
          byEndpoint.set(name, entry);
          results.set(label, byEndpoint);
          line.push(
            `${name}: ${cpu.toFixed(0)} µs CPU/req, ${result.requests.average.toFixed(0)} req/s, ` +
              `${statements.toFixed(3)} statements/req, p99 ${result.latency.p99} ms`,
          );
        }
        console.log(
          `round ${round + 1} ${label} (load ${loadavg()
            .map((l) => l.toFixed(1))
            .join(' ')}):\n  ${line.join('\n  ')}`,
        );
      } finally {
        await stopCheckoutServer(server.child);
      }
    }
  }
} finally {
  await cluster.stop();
  await rm(work, { recursive: true, force: true });
}
for (const [root, byEndpoint] of results) {
  console.log(`median ${root}:`);
  for (const [name, r] of byEndpoint) {
    console.log(
      `  ${name}: ${median(r.cpu).toFixed(0)} µs CPU/req, ${median(r.rate).toFixed(0)} req/s, ` +
        `${median(r.statements).toFixed(3)} statements/req`,
    );
  }
}
