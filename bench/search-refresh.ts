// Search at scale, the rows of `npm run bench:scale` that search alone decides, for A/B runs of checkouts:
// first-time searches (each of the scale bench's 100 queries asked once), then the same queries under load at 50
// connections right after every answer turned 60 s old (the search cache rebuilds it behind the answer, as download
// counts may have moved: routes/search.ts), then once more with every answer fresh.
// Run: node bench/search-refresh.ts --data-dir <copy of a scale feed> [--checkout <dir> ...] [--rounds 2]
// Each checkout is a nugget source tree with its node_modules (default: this one); rounds alternate between them.
// The feed is read and its download counts written: use a copy (`cp -a`), never the feed the scale bench made.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { words } from './synthetic-feed.ts';

const { values: flags } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    checkout: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '15' },
    feed: { type: 'string', default: 'bench' },
  },
});
if (!flags['data-dir']) throw new Error('--data-dir <a copy of the scale feed> is required');
const dataDir = resolve(flags['data-dir']);
const checkouts = (flags.checkout ?? [resolve(import.meta.dirname, '..')]).map((c) => resolve(c));
const connections = Number(flags.connections);
const seconds = Number(flags.seconds);
/** The search cache's max age (routes/search.ts): past it, an answer is rebuilt behind the next request. */
const maxAgeMs = 60_000;

// The scale bench's queries (bench/run.ts endpointPaths), as the client sends them.
const queries = [
  ...words.slice(0, 60),
  ...Array.from(
    { length: 40 },
    (_, i) => `${words[i] ?? 'json'} ${words[(i * 7 + 3) % words.length] ?? 'http'}`,
  ),
];
const paths = queries.map(
  (q) =>
    `/feeds/${flags.feed}/v3/search?q=${encodeURIComponent(q)}&take=20&prerelease=true&semVerLevel=2.0.0`,
);

const clockTicks = 100;
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / clockTicks;
}

async function start(checkout: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(
    'taskset',
    [
      ...['-c', '0', process.execPath, 'bin/nugget.js'],
      ...['--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'],
    ],
    { cwd: checkout, stdio: ['ignore', 'pipe', 'inherit'], detached: true },
  );
  const base = await new Promise<string>((done, fail) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Service index: (http\S+)\/v3\/index\.json/.exec(output);
      if (match) done(match[1] ?? '');
    });
    child.once('exit', (code) =>
      fail(new Error(`${checkout}: exited (${code}) before listening:\n${output}`)),
    );
  });
  child.stdout?.resume();
  return { child, base };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((done) => child.once('exit', done));
  process.kill(-child.pid, 'SIGTERM');
  await exited;
}

async function measure(base: string, pid: number) {
  const before = cpuMicros(pid);
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    headers: { 'accept-encoding': 'gzip, deflate' },
    requests: paths.map((path) => ({ method: 'GET' as const, path })),
  });
  const cpu = cpuMicros(pid) - before;
  return {
    reqPerS: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    cpuMicrosPerRequest: Number((cpu / Math.max(1, result.requests.total)).toFixed(1)),
    non2xx: result.non2xx + result.errors + result.timeouts,
  };
}

async function round(checkout: string) {
  const { child, base } = await start(checkout);
  try {
    const pid = child.pid ?? 0;
    const builtAt = Date.now();
    const cpuBefore = cpuMicros(pid);
    const firstMs: number[] = [];
    for (const path of paths) {
      const started = performance.now();
      const response = await fetch(base + path, { headers: { 'accept-encoding': 'gzip' } });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
      firstMs.push(performance.now() - started);
    }
    const firstCpuMs = (cpuMicros(pid) - cpuBefore) / 1000 / paths.length;
    firstMs.sort((a, b) => a - b);
    // Every answer past its max age: the first request of each in the measure starts its rebuild.
    await new Promise((done) => setTimeout(done, Math.max(0, builtAt + maxAgeMs + 1000 - Date.now())));
    const refreshing = await measure(base, pid);
    const fresh = await measure(base, pid);
    return {
      checkout,
      firstTime: {
        cpuMsPerQuery: Number(firstCpuMs.toFixed(1)),
        p50Ms: Number(firstMs[50]?.toFixed(1)),
        maxMs: Number(firstMs.at(-1)?.toFixed(1)),
      },
      refreshing,
      fresh,
    };
  } finally {
    await stop(child);
  }
}

const results = [];
for (let r = 0; r < Number(flags.rounds); r++) {
  for (const checkout of checkouts) {
    const load = loadavg().map((l) => l.toFixed(1));
    const result = { round: r + 1, load: load.join('/'), ...(await round(checkout)) };
    console.log(JSON.stringify(result));
    results.push(result);
  }
}
