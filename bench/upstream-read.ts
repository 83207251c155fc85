// Benchmark scenario of issue 13: a restore-like read load (version list, registration index and .nupkg of 50
// packages) through a virtual feed whose upstream cache is warm, side by side with the same load from a hosted
// feed holding the same packages, with the ratio. The upstream is a second nugget on this machine; after the warm-up
// it is stopped, so every answer of the virtual feed comes from nugget alone (as the claim "no slower than hosted"
// is about the cache, not about the upstream).
// Part of `npm run bench` (bench/run.ts); alone: node bench/upstream-read.ts [--quick]
// Writes bench/results/upstream-read-<yyyy-mm-dd>[-quick].json and .md.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { buildNupkg } from '../test/fixtures/build-nupkg.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const apiKey = 'bench-upstream-key';
const packageCount = 50;

export interface UpstreamReadOptions {
  readonly work: string;
  readonly quick: boolean;
  readonly log?: (line: string) => void;
}

interface Side {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  /** Median time of one restore-like pass (every path once, 16 at a time, as the NuGet client does). */
  readonly passMs: number;
}

export interface UpstreamReadResult {
  readonly packages: number;
  readonly paths: number;
  readonly hosted: Side;
  readonly virtual: Side;
  /** virtual / hosted requests per second (1 = as fast; the target is >= 1 within noise). */
  readonly throughputRatio: number;
  /** virtual / hosted pass time (1 = as fast). */
  readonly passRatio: number;
}

function startNugget(
  dataDir: string,
  children: Set<ChildProcess>,
): Promise<{ base: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      'src/main.ts',
      ...['--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'],
      ...['--api-key', apiKey],
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  children.add(child);
  return new Promise((resolvePromise, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`nugget did not start:\n${output}`)), 120_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Service index: (http\S+)\/v3\/index\.json/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolvePromise({ base: match[1], child });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nugget exited (code ${code}):\n${output}`));
    });
  });
}

function stop(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

async function send(
  url: string,
  method: string,
  body: string | FormData,
  headers: Record<string, string> = {},
) {
  const response = await fetch(url, { method, headers: { 'x-nuget-apikey': apiKey, ...headers }, body });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
}

async function push(base: string, feed: string, nupkg: Buffer): Promise<void> {
  const form = new FormData();
  form.append('package', new Blob([nupkg]), 'package.nupkg');
  await send(`${base}/feeds/${feed}/v3/package`, 'PUT', form);
}

const createFeed = (base: string, name: string, body: Record<string, unknown>) =>
  send(`${base}/admin/feeds/${name}`, 'PUT', JSON.stringify(body), { 'content-type': 'application/json' });

const median = (numbers: readonly number[]) => [...numbers].sort((a, b) => a - b)[numbers.length >> 1] ?? NaN;

/** Every path once, 16 at a time; fails on any non-200. */
async function pass(base: string, paths: readonly string[]): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const path = paths[next++] as string;
      const response = await fetch(base + path, { headers: { 'accept-encoding': 'gzip, deflate' } });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return performance.now() - started;
}

async function measure(base: string, paths: readonly string[], quick: boolean): Promise<Side> {
  const passes: number[] = [];
  for (let i = 0; i < (quick ? 3 : 7); i++) passes.push(await pass(base, paths));
  const options = {
    url: base,
    connections: 16,
    headers: { 'accept-encoding': 'gzip, deflate' },
    requests: paths.map((path) => ({ method: 'GET' as const, path })),
  };
  await autocannon({ ...options, duration: 1 });
  const result = await autocannon({ ...options, duration: quick ? 3 : 10 });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    passMs: median(passes),
  };
}

export async function upstreamReadScenario(options: UpstreamReadOptions): Promise<UpstreamReadResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const children = new Set<ChildProcess>();
  const dir = join(options.work, 'upstream-read');
  await mkdir(dir, { recursive: true });
  try {
    const upstream = await startNugget(join(dir, 'upstream'), children);
    const nugget = await startNugget(join(dir, 'nugget'), children);
    const ids = Array.from({ length: packageCount }, (_, i) => `Bench.Upstream.Package${i}`);
    await createFeed(nugget.base, 'hosted', {});
    await createFeed(nugget.base, 'internal', {});
    await createFeed(nugget.base, 'public', { kind: 'upstream', source: `${upstream.base}/v3/index.json` });
    await createFeed(nugget.base, 'team', { kind: 'virtual', members: ['internal', 'public'] });
    for (const id of ids) {
      const nupkg = await buildNupkg({
        id,
        version: '1.0.0',
        description: `Upstream read benchmark ${id}`,
        dependencyGroups: [{ targetFramework: 'net8.0', dependencies: [] }],
      });
      await push(upstream.base, 'default', nupkg);
      await push(nugget.base, 'hosted', nupkg);
    }
    const pathsOf = (feed: string) =>
      ids.flatMap((id) => {
        const lower = id.toLowerCase();
        return [
          `/feeds/${feed}/v3/flatcontainer/${lower}/index.json`,
          `/feeds/${feed}/v3/registration-gz-semver2/${lower}/index.json`,
          `/feeds/${feed}/v3/flatcontainer/${lower}/1.0.0/${lower}.1.0.0.nupkg`,
        ];
      });
    // Warm the virtual feed's cache, then take the upstream away: what follows is served by nugget alone.
    await pass(nugget.base, pathsOf('team'));
    stop(upstream.child);
    log(
      `upstream read: ${packageCount} packages, ${pathsOf('team').length} paths, cache warm, upstream stopped`,
    );
    const hosted = await measure(nugget.base, pathsOf('hosted'), options.quick);
    const virtualSide = await measure(nugget.base, pathsOf('team'), options.quick);
    const result: UpstreamReadResult = {
      packages: packageCount,
      paths: pathsOf('team').length,
      hosted,
      virtual: virtualSide,
      throughputRatio: virtualSide.requestsPerSecond / hosted.requestsPerSecond,
      passRatio: virtualSide.passMs / hosted.passMs,
    };
    const table = markdown(result);
    log(table);
    const date = `${new Date().toISOString().slice(0, 10)}${options.quick ? '-quick' : ''}`;
    const results = join(import.meta.dirname, 'results');
    await writeFile(join(results, `upstream-read-${date}.json`), `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(join(results, `upstream-read-${date}.md`), table);
    log(`wrote bench/results/upstream-read-${date}.json and .md`);
    return result;
  } finally {
    for (const child of children) stop(child);
  }
}

function markdown(r: UpstreamReadResult): string {
  const row = (name: string, s: Side) =>
    `| ${name} | ${s.requestsPerSecond.toFixed(0)} | ${s.p50Ms} | ${s.p99Ms} | ${s.passMs.toFixed(0)} | ${s.non2xx} |`;
  return [
    `# Restore-like reads: virtual feed (warm cache) vs hosted feed, ${new Date().toISOString().slice(0, 10)}`,
    '',
    `${r.packages} packages, ${r.paths} paths (version list, registration index, .nupkg of each), 16 connections.`,
    '',
    '| feed | req/s | p50 ms | p99 ms | one pass ms (median) | non-2xx |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    row('hosted', r.hosted),
    row('virtual (upstream cache warm, upstream stopped)', r.virtual),
    '',
    `Ratio virtual / hosted: throughput ${r.throughputRatio.toFixed(2)}, pass time ${r.passRatio.toFixed(2)} ` +
      `(target: throughput >= 0.9 and pass time <= 1.1, i.e. no slower within noise).`,
    '',
  ].join('\n');
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  const work = await mkdtemp(join(tmpdir(), 'nugget-bench-upstream-'));
  try {
    await upstreamReadScenario({ work, quick: values.quick === true });
  } finally {
    await rm(work, { recursive: true, force: true, maxRetries: 3 });
  }
}
