// The server benchmark of issue 7: one command, one machine, side by side with a bare node:http ceiling.
// Run: npm run bench [-- --quick] [--ids 10000] [--versions 100000] [--duration 10] [--connections 50]
//                    [--data-dir <dir>] [--no-dotnet] [--no-profile] [--seed 7]
// Writes bench/results/<yyyy-mm-dd>.json (every raw number) and .md (the tables); bench/README.md explains them.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import yazl from 'yazl';
import { createDotnetEnv, createWorkspace, runCommand } from '../test/e2e/harness.ts';
import { buildNupkg, buildNuspecXml } from '../test/fixtures/build-nupkg.ts';
import { type BulkImportReport, bulkImport, markerFile } from './bulk-import.ts';
import {
  atLeast,
  below,
  formats,
  latestTargets,
  notMeasured,
  type TargetRow,
  targetsTable,
} from './report.ts';
import { seededRandom } from '../src/storage/contracts/seeded-random.ts';
import { bigId, type SyntheticPackage, syntheticFeed, words } from './synthetic-feed.ts';
import { measureWebPages, type PageTiming, webPageRows } from './web-pages.ts';
import {
  measureWrites,
  type WritesHarness,
  type WritesResults,
  writesMarkdown,
  writesTargets,
} from './writes.ts';
import { type UpstreamReadResult, upstreamReadScenario } from './upstream-read.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const { values: flags } = parseArgs({
  options: {
    ids: { type: 'string' },
    versions: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string' },
    seed: { type: 'string' },
    feed: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    'no-dotnet': { type: 'boolean', default: false },
    'no-profile': { type: 'boolean', default: false },
    // Worker counts of the cores curve (issue 17): reads and pushes at each; default 1, 2, 4 ... up to the CPUs.
    workers: { type: 'string' },
    'no-cores': { type: 'boolean', default: false },
    scale: { type: 'boolean', default: false },
    'big-id': { type: 'string' },
    // With --scale: also copy both feeds into PostgreSQL (`nugget migrate-data`) and measure them there.
    postgres: { type: 'boolean', default: false },
    // `--only writes`: the push and memory measures of bench/writes.ts alone.
    // `--only reads`: the read endpoints and the ceilings alone, in rounds (`--rounds`), optionally A/B against
    // another checkout (`--against <dir>`), with CPU profiles (`--cpu-prof <dir>`).
    only: { type: 'string' },
    against: { type: 'string' },
    rounds: { type: 'string' },
    'cpu-prof': { type: 'string' },
    endpoints: { type: 'string' },
  },
});
const quick = flags.quick === true;
if (flags.only !== undefined && flags.only !== 'writes' && flags.only !== 'reads')
  throw new Error(`--only takes 'writes' or 'reads', not ${flags.only}`);
/** --scale (npm run bench:scale): issue 17's feed of a million versions and one id with 5,000. */
const scale = flags.scale === true;
const settings = {
  ids: Number(flags.ids ?? (scale ? (quick ? 10_000 : 100_000) : quick ? 500 : 10_000)),
  versions: Number(flags.versions ?? (scale ? (quick ? 100_000 : 1_000_000) : quick ? 5_000 : 100_000)),
  bigIdVersions: Number(flags['big-id'] ?? 5_000),
  durationSeconds: Number(flags.duration ?? (quick ? 3 : 10)),
  warmupSeconds: quick ? 1 : 3,
  connections: Number(flags.connections ?? 50),
  seed: Number(flags.seed ?? 7),
  sequentialPushes: quick ? 50 : 300,
  concurrentPushes: quick ? 100 : 600,
  pushConcurrency: 8,
  bigPushBytes: quick ? 20 * 1024 * 1024 : 249 * 1024 * 1024,
  coldStarts: quick ? 3 : 5,
  restoreReferences: 50,
  restoreRuns: quick ? 1 : 3,
};
/** The feed the synthetic packages go into and are read from: a named feed, read at /feeds/{feed}/v3/. */
const benchFeed = flags.feed ?? 'bench';
const workerCounts = flags.workers
  ? flags.workers.split(',').map(Number)
  : [1, 2, 4, 8, 16, 32, 64].filter((count) => count === 1 || count <= cpus().length);
if (!workerCounts.every((count) => Number.isInteger(count) && count > 0)) {
  throw new Error(`--workers must be a list of positive whole numbers such as 1,2,4, not ${flags.workers}`);
}
for (const [name, value] of Object.entries(settings)) {
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`--${name} must be a positive integer, not ${value}`);
}

// ---------------------------------------------------------------------------------------------------------
// CPU pinning: the servers on core 0, this process (the load generator) on core 1, so they never compete.

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return cpus().length >= 2;
  } catch {
    return false;
  }
})();

// ---------------------------------------------------------------------------------------------------------
// Child processes: every one is registered and killed at the end, on failure and on SIGINT.

const children = new Set<ChildProcess>();

function killChildren(): void {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}

function spawnPinned(
  args: readonly string[],
  extraEnv: Record<string, string> = {},
  pinned = true,
  cwd = repoRoot,
): ChildProcess {
  const [file, rest] =
    hasTaskset && pinned
      ? ['taskset', ['-c', '0', process.execPath, ...args]]
      : [process.execPath, [...args]];
  const child = spawn(file, rest, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...extraEnv },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Waits for a line matching `pattern` on stdout; fails with the output after `timeoutMs` or an early exit. */
function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => finish(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) finish(undefined, match);
    };
    const onExit = (code: number | null) => finish(new Error(`exited early (code ${code}):\n${output}`));
    const finish = (error?: Error, match?: RegExpExecArray) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (match) resolve(match);
      else reject(error);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

interface Server {
  readonly base: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Milliseconds from spawn to the "Service index:" line. */
  readonly startMs: number;
}

const apiKey = 'bench-key';

/**
 * One nugget: one process on CPU 0 (the default), or `workers` worker processes on every CPU (the cores curve),
 * in which case this waits until every worker listens.
 */
async function startNugget(
  dataDir: string,
  options: { nodeFlags?: readonly string[]; workers?: number; database?: string; root?: string } = {},
): Promise<Server> {
  const started = performance.now();
  const workers = options.workers ?? 1;
  const child = spawnPinned(
    [
      ...(options.nodeFlags ?? []),
      // The `nugget` command as installed (npm start, the bin): it enables the compile cache before loading any
      // TypeScript, which `node src/main.ts` cannot (Node strips the entry module's types first).
      'bin/nugget.js',
      ...['--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'],
      ...['--api-key', apiKey, '--workers', String(workers)],
      ...(options.database ? ['--database', options.database] : []),
    ],
    {},
    workers === 1,
    options.root,
  );
  const match = await waitForLine(child, /Service index: (http\S+)\/v3\/index\.json/, 120_000);
  const startMs = performance.now() - started;
  const base = match[1] ?? '';
  if (workers > 1) await untilEveryWorkerListens(base, workers);
  return { base, pid: child.pid ?? 0, child, startMs };
}

/** Polls /metrics (every worker's series, labelled) until each of `workers` workers reports. */
async function untilEveryWorkerListens(base: string, workers: number): Promise<void> {
  const deadline = performance.now() + 120_000;
  for (;;) {
    const text = await (await fetch(`${base}/metrics`)).text();
    const seen = new Set(text.match(/process_resident_memory_bytes\{worker="\d+"\}/g) ?? []);
    if (seen.size >= workers) return;
    if (performance.now() > deadline)
      throw new Error(`only ${seen.size} of ${workers} workers listen after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A process and its descendants (a nugget with workers is its primary and their processes). */
function processTree(pid: number): number[] {
  const pids = [pid];
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')) {
      if (child) pids.push(...processTree(Number(child)));
    }
  } catch {
    // gone, or no children file
  }
  return pids;
}

/**
 * Resident memory of a process and its descendants in MB: now (VmRSS) and the sum of their peaks since they
 * started (VmHWM).
 */
function memoryOf(pid: number): { rssMB: number; peakMB: number } {
  let rssMB = 0;
  let peakMB = 0;
  for (const one of processTree(pid)) {
    try {
      const status = readFileSync(`/proc/${one}/status`, 'utf8');
      const kb = (field: string) =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
      rssMB += kb('VmRSS') / 1024;
      peakMB += kb('VmHWM') / 1024;
    } catch {
      // exited meanwhile
    }
  }
  return { rssMB, peakMB };
}

/**
 * Resets VmHWM of a process and its descendants to their RSS now (proc(5), /proc/<pid>/clear_refs, "5"), so that
 * a peak read afterwards is the peak of what follows: a server's start-up peak is 20 to 30 MB above its RSS once
 * its idle collector has run, and was counted as growth of the push measured after it.
 */
function resetPeakMemory(pid: number): void {
  for (const one of processTree(pid)) {
    try {
      writeFileSync(`/proc/${one}/clear_refs`, '5');
    } catch {
      // exited meanwhile
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const median = (numbers: readonly number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};
const log = (line: string) => console.log(line);

// ---------------------------------------------------------------------------------------------------------
// Load: autocannon against a rotating set of paths.

interface LoadResult {
  readonly name: string;
  readonly paths: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly throughputMBps: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Mean size of the answers of the sampled paths, as sent (compressed when the server compressed). */
  readonly meanBodyBytes: number;
  /**
   * CPU time (user + system) the server process spent per request during the measured run, in microseconds.
   * Unlike req/s it hardly moves when other work shares the machine, so two runs compare even on a busy host.
   */
  readonly serverCpuMicrosPerRequest: number;
}

const clockTicksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time a process and its descendants (workers) have used so far, in microseconds (/proc/<pid>/stat fields 14
 * and 15, in clock ticks).
 */
function cpuMicrosOf(pid: number): number {
  let total = 0;
  for (const one of processTree(pid)) {
    try {
      const fields = readFileSync(`/proc/${one}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      total += ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / clockTicksPerSecond;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

async function probe(base: string, paths: readonly string[]): Promise<number> {
  let bytes = 0;
  const sample = paths.slice(0, 50);
  for (const path of sample) {
    // Generous: on the million-version feed a first-time search for a common word is built from every match
    // (bench/README.md, "Search at scale"), and the first answers of a busy machine may take seconds.
    const response = await fetch(base + path, {
      headers: { 'accept-encoding': 'gzip, deflate' },
      signal: AbortSignal.timeout(180_000),
    }).catch((error: unknown) => {
      throw new Error(`GET ${path} had no answer: ${String(error)}`);
    });
    const body = await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
    bytes += Number(response.headers.get('content-length') ?? body.byteLength);
  }
  return bytes / sample.length;
}

/**
 * Before the first measure: every answer of every endpoint built once (8 requests at a time), then a warm-up over
 * all of them together, so that no endpoint pays for the server's first minutes: answers built under load, code
 * not yet optimized, a heap still growing. Without it the endpoint measured first (the version list) came out
 * slower than the registration index, which carries more bytes through the same code. Search answers are left to
 * their own warm-up: they are rebuilt once a minute old (routes/search.ts), which would then fall in their measure.
 */
async function warmServer(
  base: string,
  paths: EndpointPaths,
  options: { search?: boolean } = {},
): Promise<void> {
  const all = [
    ...paths.versionList,
    ...paths.registrationIndex,
    ...paths.nupkg,
    ...paths.autocomplete,
    // At a million versions a first-time search of a common word takes 100-250 ms to build, more than the 3 s
    // warm-up of its row can absorb for 100 queries: the scale bench builds each once first, as a busy feed has.
    ...(options.search ? paths.search : []),
  ];
  let next = 0;
  const fetchNext = async (): Promise<void> => {
    for (let path = all[next++]; path !== undefined; path = all[next++]) {
      const response = await fetch(base + path, {
        headers: { 'accept-encoding': 'gzip, deflate' },
        signal: AbortSignal.timeout(60_000),
      });
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 8 }, fetchNext));
  await autocannon({
    url: base,
    connections: settings.connections,
    duration: settings.warmupSeconds,
    headers: { 'accept-encoding': 'gzip, deflate' },
    requests: all.map((path) => ({ method: 'GET' as const, path })),
  });
}

async function load(name: string, base: string, pid: number, paths: readonly string[]): Promise<LoadResult> {
  const meanBodyBytes = await probe(base, paths);
  const options = {
    url: base,
    connections: settings.connections,
    // The NuGet client asks for compressed answers on every request.
    headers: { 'accept-encoding': 'gzip, deflate' },
    requests: paths.map((path) => ({ method: 'GET' as const, path })),
  };
  await autocannon({ ...options, duration: settings.warmupSeconds });
  const cpuBefore = cpuMicrosOf(pid);
  const result = await autocannon({ ...options, duration: settings.durationSeconds });
  const serverCpuMicrosPerRequest = (cpuMicrosOf(pid) - cpuBefore) / Math.max(1, result.requests.total);
  const row: LoadResult = {
    name,
    paths: paths.length,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    throughputMBps: result.throughput.average / (1024 * 1024),
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    meanBodyBytes,
    serverCpuMicrosPerRequest,
  };
  log(
    `  ${name}: ${row.requestsPerSecond.toFixed(0)} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, ` +
      `${serverCpuMicrosPerRequest.toFixed(1)} µs server CPU per request` +
      (row.non2xx || row.errors ? ` (${row.non2xx} non-2xx, ${row.errors} errors)` : ''),
  );
  return row;
}

interface EndpointPaths {
  readonly versionList: string[];
  readonly registrationIndex: string[];
  readonly nupkg: string[];
  readonly search: string[];
  readonly autocomplete: string[];
}

/** A seeded, random-ish sample of the feed: the same paths on every run of the same feed. */
function endpointPaths(packages: readonly SyntheticPackage[], seed: number, feed: string): EndpointPaths {
  // The default feed is read at /v3/, as clients configured before feeds do; any other at /feeds/{name}/v3/.
  const v3 = feed === 'default' ? '/v3' : `/feeds/${feed}/v3`;
  const random = seededRandom(seed * 31 + 1);
  const pick = () => packages[Math.floor(random() * packages.length)] as SyntheticPackage;
  const ids = Array.from({ length: Math.min(500, packages.length) }, pick);
  const nupkg: string[] = [];
  for (let i = 0; i < 200; i++) {
    const pkg = pick();
    const index = pkg.versions.findLastIndex((_, v) => !pkg.unlisted.has(v));
    const lowerId = pkg.id.toLowerCase();
    const lowerVersion = (pkg.versions[Math.max(0, Math.floor(random() * (index + 1)))] ?? '').toLowerCase();
    nupkg.push(`${v3}/flatcontainer/${lowerId}/${lowerVersion}/${lowerId}.${lowerVersion}.nupkg`);
  }
  const filters = 'prerelease=true&semVerLevel=2.0.0';
  const queries = [
    ...words.slice(0, 60),
    ...Array.from(
      { length: 40 },
      (_, i) => `${words[i] ?? 'json'} ${words[(i * 7 + 3) % words.length] ?? 'http'}`,
    ),
  ];
  const prefixes = ids.slice(0, 100).map((pkg, i) => pkg.id.toLowerCase().slice(0, 3 + (i % 8)));
  return {
    versionList: ids.map((pkg) => `${v3}/flatcontainer/${pkg.id.toLowerCase()}/index.json`),
    registrationIndex: ids.map((pkg) => `${v3}/registration-gz-semver2/${pkg.id.toLowerCase()}/index.json`),
    nupkg,
    search: queries.map((q) => `${v3}/search?q=${encodeURIComponent(q)}&take=20&${filters}`),
    autocomplete: prefixes.map((q) => `${v3}/autocomplete?q=${encodeURIComponent(q)}&take=20&${filters}`),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Pushes, as the NuGet client sends them: multipart/form-data with a quoted boundary.

const boundary = 'nugget-bench-boundary';
const multipartHead = Buffer.from(
  `--${boundary}\r\nContent-Type: application/octet-stream\r\n` +
    'Content-Disposition: form-data; name=package; filename=package.nupkg\r\n\r\n',
);
const multipartTail = Buffer.from(`\r\n--${boundary}--\r\n`);

async function push(
  base: string,
  body: Buffer | AsyncIterable<Buffer>,
  timeoutMs = 60_000,
  v3 = '/v3',
): Promise<void> {
  if (!Buffer.isBuffer(body)) return pushStreamed(`${base}${v3}/package`, body, timeoutMs);
  const response = await fetch(`${base}${v3}/package`, {
    method: 'PUT',
    headers: { 'content-type': `multipart/form-data; boundary="${boundary}"`, 'x-nuget-apikey': apiKey },
    body: Buffer.concat([multipartHead, body, multipartTail]),
    signal: AbortSignal.timeout(timeoutMs),
  });
  await response.arrayBuffer();
  if (response.status !== 201) throw new Error(`push answered ${response.status}`);
}

/**
 * A large push, chunked as the NuGet client sends it, through node:http: `fetch` with a streamed body cost the
 * load generator about as much CPU as the server spent receiving the push (0.43 s against 0.17 s per 100 MB here),
 * so the figure measured the client as much as the server.
 */
async function pushStreamed(url: string, body: AsyncIterable<Buffer>, timeoutMs: number): Promise<void> {
  const target = new URL(url);
  const request = httpRequest({
    host: target.hostname,
    port: target.port,
    path: target.pathname,
    method: 'PUT',
    agent: false,
    signal: AbortSignal.timeout(timeoutMs),
    headers: {
      'content-type': `multipart/form-data; boundary="${boundary}"`,
      'x-nuget-apikey': apiKey,
      'transfer-encoding': 'chunked',
    },
  });
  const status = new Promise<number>((resolve, reject) => {
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
  await pipeline(body, request);
  const code = await status;
  if (code !== 201) throw new Error(`push answered ${code}`);
}

async function smallPackages(prefix: string, count: number): Promise<Buffer[]> {
  const packages: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    packages.push(
      await buildNupkg({
        id: `${prefix}${i}`,
        version: '1.0.0',
        description: `Benchmark package ${i}: ${words.slice(i % 50, (i % 50) + 12).join(' ')}`,
        tags: words.slice(i % 40, (i % 40) + 3),
        dependencyGroups: [{ targetFramework: 'net8.0', dependencies: [] }],
        licenseExpression: 'MIT',
      }),
    );
  }
  return packages;
}

/** Pushes every package, `concurrency` at a time; returns pushes per second. Bounded by count and time. */
async function pushAll(base: string, packages: readonly Buffer[], concurrency: number): Promise<number> {
  const deadline = performance.now() + 120_000;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < packages.length && performance.now() < deadline)
      await push(base, packages[next++] as Buffer);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return next / ((performance.now() - started) / 1000);
}

/** A nupkg of about `bytes` on disk: a stored (uncompressed) entry of pseudo-random, incompressible bytes. */
async function writeBigNupkg(path: string, bytes: number): Promise<number> {
  const chunk = Buffer.alloc(1024 * 1024);
  const random = seededRandom(99);
  for (let offset = 0; offset < chunk.length; offset += 4)
    chunk.writeUInt32LE(Math.floor(random() * 2 ** 32), offset);
  const zip = new yazl.ZipFile();
  const id = 'Bench.Big';
  zip.addBuffer(
    Buffer.from(buildNuspecXml({ id, version: '1.0.0', description: 'A 250 MB push' })),
    `${id}.nuspec`,
  );
  const chunks = Math.floor(bytes / chunk.length);
  async function* content() {
    for (let i = 0; i < chunks; i++) {
      chunk.writeUInt32LE(i, 0); // no two chunks alike
      yield chunk;
    }
  }
  const { Readable } = await import('node:stream');
  zip.addReadStream(Readable.from(content()), `lib/net8.0/${id}.dll`, { compress: false });
  zip.end();
  const file = await open(path, 'w');
  await pipeline(zip.outputStream, file.createWriteStream());
  return (await stat(path)).size;
}

async function* multipartFile(path: string): AsyncIterable<Buffer> {
  yield multipartHead;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) yield chunk as Buffer;
  yield multipartTail;
}

// ---------------------------------------------------------------------------------------------------------
// CPU profile of the server during the version-list load: the top self-time functions and files.

interface ProfileSummary {
  readonly totalMs: number;
  readonly topFunctions: { name: string; selfMs: number; percent: number }[];
  readonly topFiles: { file: string; selfMs: number; percent: number }[];
}

function summarizeProfile(text: string): ProfileSummary {
  const profile = JSON.parse(text) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    total += us;
    const url = node.callFrame.url.replace(`file://${repoRoot}/`, '');
    const file = url.includes('node_modules/')
      ? `node_modules/${url.split('node_modules/').at(-1)?.split('/').slice(0, 1).join('/')}`
      : url || '(native)';
    const name =
      `${node.callFrame.functionName || '(anonymous)'} ${url ? `${url}:${node.callFrame.lineNumber + 1}` : ''}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const top = (map: Map<string, number>, count: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, count);
  return {
    totalMs: total / 1000,
    topFunctions: top(byFunction, 25).map(([name, us]) => ({
      name,
      selfMs: us / 1000,
      percent: (100 * us) / total,
    })),
    topFiles: top(byFile, 15).map(([file, us]) => ({ file, selfMs: us / 1000, percent: (100 * us) / total })),
  };
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const stopAll = () => {
    killChildren();
    process.exit(130);
  };
  process.on('SIGINT', stopAll);
  process.on('SIGTERM', stopAll);
  const work = await mkdtemp(join(tmpdir(), 'nugget-bench-'));
  try {
    await run(work);
  } finally {
    killChildren();
    await rm(work, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * The body the bare node:http ceiling answers with: a version list of the median size of the sample (same JSON
 * shape, same bytes), fetched from `base`, a nugget of the same feed. Returns its file.
 */
async function writeCeilingBody(base: string, paths: EndpointPaths, work: string): Promise<string> {
  const ceilingBody = join(work, 'ceiling.json');
  const listSizes = await Promise.all(
    paths.versionList
      .slice(0, 50)
      .map(async (path) => (await (await fetch(base + path)).arrayBuffer()).byteLength),
  );
  const medianSize = median(listSizes);
  const medianPath = paths.versionList[listSizes.findIndex((size) => size >= medianSize)] ?? '';
  await writeFile(ceilingBody, Buffer.from(await (await fetch(base + medianPath)).arrayBuffer()));
  return ceilingBody;
}

/** The bare node:http ceiling answering `bodyFile` to every request, loaded as the endpoints are. */
async function loadCeiling(bodyFile: string): Promise<LoadResult> {
  const ceilingChild = spawnPinned(['bench/ceiling-server.ts', bodyFile]);
  const ceilingPort = (await waitForLine(ceilingChild, /Listening: (\d+)/, 30_000))[1];
  try {
    return await load('bare node:http ceiling', `http://127.0.0.1:${ceilingPort}`, ceilingChild.pid ?? 0, [
      '/',
    ]);
  } finally {
    await stopChild(ceilingChild);
  }
}

/** The synthetic feed in `dataDir`: imported, or reused when its marker says it holds this very feed. */
async function importFeed(
  dataDir: string,
  feed: { ids: number; versions: number; seed: number; bigIdVersions?: number },
  linkBlobs?: (lowerId: string, lowerVersion: string) => boolean,
): Promise<BulkImportReport & { reused: boolean }> {
  const marker = join(dataDir, markerFile);
  const previous = existsSync(marker)
    ? (JSON.parse(await readFile(marker, 'utf8')) as BulkImportReport)
    : undefined;
  if (
    previous &&
    previous.ids === feed.ids &&
    previous.versions === feed.versions &&
    previous.seed === feed.seed &&
    (previous.bigIdVersions ?? 0) === (feed.bigIdVersions ?? 0) &&
    (previous.feed ?? 'default') === benchFeed
  ) {
    log(`feed: reusing ${dataDir} (imported in ${previous.totalSeconds.toFixed(0)} s)`);
    return { ...previous, reused: true };
  }
  if (existsSync(join(dataDir, 'nugget.db'))) {
    throw new Error(
      `${dataDir} holds a different feed than --ids/--versions/--seed ask for: use an empty or new --data-dir`,
    );
  }
  log(`feed: importing into ${dataDir}`);
  const report = await bulkImport({ ...feed, feed: benchFeed, dataDir, log, linkBlobs });
  log(`feed: imported in ${report.totalSeconds.toFixed(1)} s`);
  return { ...report, reused: false };
}

function writesHarness(work: string): WritesHarness {
  return {
    ...{
      work,
      quick,
      profile: !flags['no-profile'],
      log,
      stopChild,
      memoryOf,
      resetPeakMemory,
      cpuMicrosOf,
      push,
      smallPackages,
    },
    ...{ writeBigNupkg, multipartFile, summarizeProfile },
    startNugget: (dataDir, nodeFlags = []) => startNugget(dataDir, { nodeFlags }),
  };
}

/** `--only writes`: the write measures alone, as results/writes-<date>.json (with their target rows) and .md. */
async function writeWritesResults(startedAt: Date, writes: WritesResults): Promise<void> {
  const machine = {
    cpu: cpus()[0]?.model,
    cpus: cpus().length,
    memoryGB: totalmem() / 1024 ** 3,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    pinned: hasTaskset,
    loadAverage: loadavg(),
    ...gitCommit(),
  };
  const date = `writes-${startedAt.toISOString().slice(0, 10)}${quick ? '-quick' : ''}`;
  const dir = join(import.meta.dirname, 'results');
  await mkdir(dir, { recursive: true });
  const table = writesMarkdown(startedAt, machine, writes);
  const json = {
    benchmark: 'writes',
    date: startedAt.toISOString(),
    machine,
    targets: writesTargets(writes),
    writes,
  };
  await writeFile(join(dir, `${date}.json`), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(join(dir, `${date}.md`), table);
  console.log(`\n${table}`);
  console.log(`wrote bench/results/${date}.json and bench/results/${date}.md`);
}

async function run(work: string): Promise<void> {
  if (flags.scale) {
    await runScale(work);
    return;
  }
  if (flags.only === 'writes') {
    await writeWritesResults(new Date(), await measureWrites(writesHarness(work)));
    return;
  }
  if (flags.only === 'reads') {
    await runReads(work);
    return;
  }
  const startedAt = new Date();
  const loadAtStart = loadavg();
  log(
    `nugget server benchmark: ${settings.ids} ids, ${settings.versions} versions, ${settings.connections} connections, ${settings.durationSeconds} s per endpoint`,
  );
  log(
    hasTaskset
      ? 'pinned: servers on CPU 0, load generator on CPU 1'
      : 'not pinned (no taskset or a single CPU)',
  );

  // 1. The feed: imported once per data dir (a marker records what it holds).
  const dataDir = resolve(flags['data-dir'] ?? join(work, 'feed'));
  // The server benchmark's feed has no big id (that is the scale benchmark's).
  const feed = { ids: settings.ids, versions: settings.versions, seed: settings.seed };
  const feedImport = await importFeed(dataDir, feed);
  const packages = syntheticFeed(feed);
  const paths = endpointPaths(packages, settings.seed, benchFeed);

  // 2. Cold start and idle memory: an empty feed and the loaded one.
  const coldStart = { emptyMs: [] as number[], loadedMs: [] as number[] };
  let idleEmptyMB = NaN;
  for (let i = 0; i < settings.coldStarts; i++) {
    const server = await startNugget(join(work, `empty-${i}`));
    coldStart.emptyMs.push(server.startMs);
    if (i === 0) {
      await sleep(2000);
      idleEmptyMB = memoryOf(server.pid).rssMB;
    }
    await stopChild(server.child);
  }
  for (let i = 0; i < settings.coldStarts; i++) {
    const server = await startNugget(dataDir);
    coldStart.loadedMs.push(server.startMs);
    await stopChild(server.child);
  }
  log(
    `cold start: median ${median(coldStart.emptyMs).toFixed(0)} ms empty, ${median(coldStart.loadedMs).toFixed(0)} ms loaded`,
  );

  // 3. Read endpoints against the loaded feed, and the ceiling with a body the size of a version list.
  const server = await startNugget(dataDir);
  await sleep(2000);
  const idleLoadedMB = memoryOf(server.pid).rssMB;
  const ceilingBody = await writeCeilingBody(server.base, paths, work);
  await stopChild(server.child);
  log('load:');
  const ceiling = await loadCeiling(ceilingBody);

  const loaded = await startNugget(dataDir);
  await warmServer(loaded.base, paths);
  const endpoints = [
    await load('flat-container version list', loaded.base, loaded.pid, paths.versionList),
    await load('registration index (gz, SemVer 2)', loaded.base, loaded.pid, paths.registrationIndex),
    await load('small .nupkg download', loaded.base, loaded.pid, paths.nupkg),
    await load('search', loaded.base, loaded.pid, paths.search),
    await load('autocomplete', loaded.base, loaded.pid, paths.autocomplete),
  ];
  const afterLoadMB = memoryOf(loaded.pid);
  await stopChild(loaded.child);

  // 4. Where the version-list time goes: a CPU profile of a separate server run.
  let profile: ProfileSummary | undefined;
  if (!flags['no-profile']) {
    const profileDir = join(work, 'profile');
    const profiled = await startNugget(dataDir, {
      nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
    });
    await autocannon({
      url: profiled.base,
      connections: settings.connections,
      duration: settings.durationSeconds,
      headers: { 'accept-encoding': 'gzip, deflate' },
      requests: paths.versionList.map((path) => ({ method: 'GET' as const, path })),
    });
    await stopChild(profiled.child);
    const file = (await readdir(profileDir)).find((name) => name.endsWith('.cpuprofile'));
    if (file) profile = summarizeProfile(await readFile(join(profileDir, file), 'utf8'));
    log(`profile: ${profile ? `${profile.topFiles.length} files summarized` : 'no profile written'}`);
  }

  // 5. Pushes on a fresh feed: sequential, then 8 at a time.
  const pushFeed = await startNugget(join(work, 'push-feed'));
  const sequentialPackages = await smallPackages('Bench.Push.Sequential', settings.sequentialPushes);
  const concurrentPackages = await smallPackages('Bench.Push.Concurrent', settings.concurrentPushes);
  const sequentialCpuBefore = cpuMicrosOf(pushFeed.pid);
  const sequentialPerSecond = await pushAll(pushFeed.base, sequentialPackages, 1);
  const concurrentCpuBefore = cpuMicrosOf(pushFeed.pid);
  const concurrentPerSecond = await pushAll(pushFeed.base, concurrentPackages, settings.pushConcurrency);
  const concurrentCpuMs = (cpuMicrosOf(pushFeed.pid) - concurrentCpuBefore) / 1000;
  const pushes = {
    sequentialPerSecond,
    concurrentPerSecond,
    // Server CPU (user + system) per push, in ms: what the issue's "1.5 ms per push" compares.
    sequentialCpuMsPerPush: (concurrentCpuBefore - sequentialCpuBefore) / 1000 / settings.sequentialPushes,
    concurrentCpuMsPerPush: concurrentCpuMs / settings.concurrentPushes,
    concurrency: settings.pushConcurrency,
    sequentialCount: settings.sequentialPushes,
    concurrentCount: settings.concurrentPushes,
    meanPackageBytes: sequentialPackages.reduce((sum, b) => sum + b.length, 0) / sequentialPackages.length,
  };
  log(
    `pushes: ${pushes.sequentialPerSecond.toFixed(0)}/s sequential, ${pushes.concurrentPerSecond.toFixed(0)}/s ${settings.pushConcurrency} at a time, ` +
      `${pushes.concurrentCpuMsPerPush.toFixed(2)} ms server CPU per push`,
  );

  // 6. dotnet restore of 50 references from a cold client cache, from the push feed.
  let restore: { seconds: number[]; medianSeconds: number } | { skipped: string };
  if (flags['no-dotnet']) {
    restore = { skipped: '--no-dotnet' };
  } else {
    restore = await measureRestore(pushFeed.base);
  }
  await stopChild(pushFeed.child);

  // 7. Memory during a 250 MB push, on a fresh server.
  const bigPath = join(work, 'big.nupkg');
  const bigBytes = await writeBigNupkg(bigPath, settings.bigPushBytes);
  const bigFeed = await startNugget(join(work, 'big-feed'));
  await sleep(1500);
  resetPeakMemory(bigFeed.pid);
  const before = memoryOf(bigFeed.pid);
  let sampledPeakMB = before.rssMB;
  const sampler = setInterval(() => {
    sampledPeakMB = Math.max(sampledPeakMB, memoryOf(bigFeed.pid).rssMB);
  }, 20);
  const bigStarted = performance.now();
  const bigCpuBefore = cpuMicrosOf(bigFeed.pid);
  try {
    await push(bigFeed.base, multipartFile(bigPath), 300_000);
  } finally {
    clearInterval(sampler);
  }
  const bigSeconds = (performance.now() - bigStarted) / 1000;
  const bigCpuSeconds = (cpuMicrosOf(bigFeed.pid) - bigCpuBefore) / 1e6;
  const after = memoryOf(bigFeed.pid);
  await stopChild(bigFeed.child);
  const bigPush = {
    bytes: bigBytes,
    seconds: bigSeconds,
    /** The server's CPU during the push, every thread. */
    cpuSeconds: bigCpuSeconds,
    rssBeforeMB: before.rssMB,
    sampledPeakMB,
    hwmBeforeMB: before.peakMB,
    hwmAfterMB: after.peakMB,
    growthMB: Math.max(sampledPeakMB, after.peakMB) - before.rssMB,
  };
  log(
    `250 MB push: ${(bigBytes / 1024 / 1024).toFixed(0)} MB in ${bigSeconds.toFixed(1)} s (server CPU ` +
      `${bigCpuSeconds.toFixed(2)} s), RSS +${bigPush.growthMB.toFixed(0)} MB`,
  );

  // 7b. Pushes with the server CPU each costs, idle memory after pushes, a 100 MB push beside cp (bench/writes.ts).
  const writes = await measureWrites(writesHarness(work));

  // 8. The cores curve: reads and pushes at each worker count, the workers free to use every CPU.
  const cores = flags['no-cores'] ? undefined : await measureCores(dataDir, paths, work);

  // 8b. The web UI's pages (bench/web-pages.ts).
  const webPages = await measureWebPages();

  // 8c. Restore-like reads through a virtual feed with a warm upstream cache vs a hosted feed (also its own file).
  const upstreamRead = await upstreamReadScenario({ work, quick });

  // 9. Results.
  await writeResults({
    upstreamRead,
    writes,
    load: { atStart: loadAtStart, atEnd: loadavg() },
    cores,
    webPages,
    startedAt,
    feedImport,
    ceiling,
    endpoints,
    coldStart,
    memory: {
      idleEmptyMB,
      idleLoadedMB,
      afterLoadMB: afterLoadMB.rssMB,
      peakDuringLoadMB: afterLoadMB.peakMB,
    },
    pushes,
    bigPush,
    restore,
    profile,
  });
}

// ---------------------------------------------------------------------------------------------------------
// `--only reads`: the hot read endpoints against the ceilings alone, in rounds, optionally A/B against another
// checkout, with CPU profiles. A short run for a change of the read path (bench/README.md, "Reads alone").

/** One GET as sent, gzip asked for as the NuGet client does: the head as a [name, value, ...] list and the body. */
function rawGet(url: string): Promise<{ head: string[]; body: Buffer }> {
  return new Promise((resolveAnswer, reject) => {
    const request = httpRequest(url, { headers: { 'accept-encoding': 'gzip, deflate' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolveAnswer({ head: response.rawHeaders, body: Buffer.concat(chunks) }));
    });
    request.on('error', reject);
    request.end();
  });
}

/** Node adds these to every answer, the ceiling's too: the matched ceiling leaves them to Node. */
const headersNodeAdds = new Set(['date', 'connection', 'keep-alive']);

const readEndpoints = {
  versions: ['version list', (paths: EndpointPaths) => paths.versionList],
  registration: ['registration index', (paths: EndpointPaths) => paths.registrationIndex],
  download: ['small .nupkg download', (paths: EndpointPaths) => paths.nupkg],
  autocomplete: ['autocomplete', (paths: EndpointPaths) => paths.autocomplete],
  search: ['search', (paths: EndpointPaths) => paths.search],
} as const;

/** One server of `--only reads`, and the paths of the rows it answers. */
interface ReadTarget {
  readonly name: string;
  readonly pid: number;
  readonly base: string;
  readonly rows: { readonly name: string; readonly paths: readonly string[] }[];
}

/**
 * `--only reads`: every server up at once (the ceiling, the ceilings with nugget's bytes and head, this checkout and
 * `--against`, each on CPU 0), then `--rounds` rounds in which each row (a server and an endpoint) is loaded for
 * `--duration` seconds in turn (after a second not measured). On a machine shared with other work the load moves from minute to minute: short
 * turns, interleaved, give every row the same mix of it. A row's server CPU is counted from the start of its turn
 * to the end of the next row's, so that the download counts its server flushes a second later are counted too.
 */
async function runReads(work: string): Promise<void> {
  const startedAt = new Date();
  const rounds = Number(flags.rounds ?? 10);
  const seconds = Number(flags.duration ?? 2);
  // `--endpoints=` (none): the ceilings alone.
  const chosen = (flags.endpoints ?? 'versions,registration,download').split(',').filter(Boolean);
  for (const key of chosen) {
    if (!(key in readEndpoints))
      throw new Error(`--endpoints takes ${Object.keys(readEndpoints).join(', ')}, not ${key}`);
  }
  const dataDir = resolve(flags['data-dir'] ?? join(work, 'feed'));
  const feed = { ids: settings.ids, versions: settings.versions, seed: settings.seed };
  await importFeed(dataDir, feed);
  const paths = endpointPaths(syntheticFeed(feed), settings.seed, benchFeed);
  const checkouts = [
    { name: 'this', root: repoRoot },
    ...(flags.against ? [{ name: 'against', root: resolve(flags.against) }] : []),
  ];
  log(
    `reads: ${checkouts.map((c) => `${c.name} = ${c.root}`).join(', ')}; ${rounds} rounds of ${seconds} s turns`,
  );
  log(hasTaskset ? 'pinned: servers on CPU 0, load generator on CPU 1' : 'not pinned');

  const targets: ReadTarget[] = [];
  for (const checkout of checkouts) {
    const profileDir = flags['cpu-prof'] ? join(resolve(flags['cpu-prof']), checkout.name) : undefined;
    // Each checkout serves a copy of the feed: download counts and their flushes are each server's own.
    const copy = join(work, `feed-${checkout.name}`);
    execFileSync('cp', ['-a', dataDir, copy]);
    const server = await startNugget(copy, {
      root: checkout.root,
      nodeFlags: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    });
    targets.push({
      name: checkout.name,
      pid: server.pid,
      base: server.base,
      rows: chosen.map((key) => {
        const [name, pathsOf] = readEndpoints[key as keyof typeof readEndpoints];
        return { name: `${checkout.name}: ${name}`, paths: pathsOf(paths) };
      }),
    });
  }
  // The ceiling's body, and for the registration index and downloads one answer's bytes and head as nugget sends
  // them: a ceiling that sends those costs what Node costs for nugget's bytes and headers, without nugget's code.
  const base = targets[0]?.base ?? '';
  const ceilings = [
    { name: 'bare node:http ceiling', body: await writeCeilingBody(base, paths, work), head: [] as string[] },
  ];
  for (const [key, path] of [
    ['registration', paths.registrationIndex[0]],
    ['download', paths.nupkg[0]],
  ] as const) {
    const answer = await rawGet(base + (path ?? ''));
    const head = answer.head.flatMap((part, i, all) =>
      i % 2 === 0 && !headersNodeAdds.has(part.toLowerCase()) ? [part, all[i + 1] ?? ''] : [],
    );
    const body = join(work, `${key}.body`);
    const file = join(work, `${key}.head.json`);
    await writeFile(body, answer.body);
    await writeFile(file, JSON.stringify(head));
    ceilings.push({ name: `ceiling with ${readEndpoints[key][0]}'s bytes and head`, body, head: [file] });
  }
  for (const ceiling of ceilings) {
    const child = spawnPinned(['bench/ceiling-server.ts', ceiling.body, ...ceiling.head]);
    const port = (await waitForLine(child, /Listening: (\d+)/, 30_000))[1];
    targets.unshift({
      name: ceiling.name,
      pid: child.pid ?? 0,
      base: `http://127.0.0.1:${port}`,
      rows: [{ name: ceiling.name, paths: ['/'] }],
    });
  }
  targets.sort((a, b) => (a.rows[0]?.paths.length ?? 0) - (b.rows[0]?.paths.length ?? 0));

  for (const target of targets) {
    if (target.rows.length === 0) continue;
    if (target.rows[0]?.paths[0] === '/') {
      await autocannon({ url: target.base, connections: settings.connections, duration: 2 });
    } else {
      await warmServer(target.base, paths);
    }
  }
  // The nugget rows interleaved (this, against, this, ...), so that a row's next turn is another server's.
  const turns = targets
    .flatMap((target) => target.rows.map((row, i) => ({ target, row, i })))
    .sort((a, b) => a.i - b.i);
  const totals = new Map(
    turns.map(({ row }) => [
      row.name,
      { requests: 0, cpu: 0, ratios: [] as number[], perSecond: [] as number[] },
    ]),
  );
  const loads: number[][] = [];
  for (let round = 1; round <= rounds; round++) {
    loads.push(loadavg());
    // Each round starts at another turn, so that no row always follows the same one.
    const order = turns.map((_, i) => turns[(i + round) % turns.length]!);
    const ends: (() => void)[] = [];
    let turn = 0;
    let ceilingPerSecond = Number.NaN;
    const perSecond = new Map<string, number>();
    for (const { target, row } of order) {
      const options = {
        url: target.base,
        connections: settings.connections,
        headers: { 'accept-encoding': 'gzip, deflate' },
        requests: row.paths.map((path) => ({ method: 'GET' as const, path })),
      };
      // A second not measured: a server idle for a while answers its first requests slower.
      await autocannon({ ...options, duration: 1 });
      const cpuBefore = cpuMicrosOf(target.pid);
      const result = await autocannon({ ...options, duration: seconds });
      if (result.non2xx || result.errors)
        throw new Error(`${row.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      for (const end of ends.splice(0)) end();
      const total = totals.get(row.name)!;
      total.requests += result.requests.total;
      const end = () => (total.cpu += cpuMicrosOf(target.pid) - cpuBefore);
      if (order[++turn]?.target === target) {
        // The next turn is this server's too (one checkout): its flush a second later is counted here.
        await sleep(1200);
        end();
      } else {
        ends.push(end);
      }
      perSecond.set(row.name, result.requests.total / seconds);
      if (row.name === 'bare node:http ceiling') ceilingPerSecond = result.requests.total / seconds;
    }
    await sleep(1500);
    for (const end of ends.splice(0)) end();
    for (const [name, value] of perSecond) {
      totals.get(name)!.ratios.push(value / ceilingPerSecond);
      totals.get(name)!.perSecond.push(value);
    }
    log(`  round ${round}: load average ${loadavg()[0]?.toFixed(2)}`);
  }
  for (const target of targets) process.kill(target.pid, 'SIGTERM');
  await sleep(3000);
  killChildren();

  const range = (numbers: number[], digits: number) =>
    `${median(numbers).toFixed(digits)} (${Math.min(...numbers).toFixed(digits)}-${Math.max(...numbers).toFixed(digits)})`;
  const table = [
    `Reads alone (\`--only reads\`), ${startedAt.toISOString()}: ${rounds} rounds of ${seconds} s turns, ` +
      `${settings.connections} connections, ${settings.versions} versions; load average ` +
      `${Math.min(...loads.map((l) => l[0] ?? 0)).toFixed(1)} to ${Math.max(...loads.map((l) => l[0] ?? 0)).toFixed(1)}; ` +
      `${hasTaskset ? 'pinned' : 'not pinned'}; "this" is ${gitCommit().commit.slice(0, 7)}${flags.against ? `, "against" ${flags.against}` : ''}.`,
    '',
    '| row | req/s, median of the rounds | ratio to the ceiling, median (min-max) | server CPU µs/req, all rounds |',
    '| --- | ---: | ---: | ---: |',
    ...[...totals].map(
      ([name, row]) =>
        `| ${name} | ${median(row.perSecond).toFixed(0)} | ${range(row.ratios, 2)} | ${(row.cpu / row.requests).toFixed(1)} |`,
    ),
  ].join('\n');
  console.log(`\n${table}`);
}

interface CoresPoint {
  readonly workers: number;
  readonly versionList: LoadResult;
  readonly nupkg: LoadResult;
  readonly pushesPerSecond: number;
  readonly cpuMsPerPush: number;
  readonly idleRssMB: number;
}

/**
 * Issue 17's cores curve: for each worker count, the version list and small downloads of the loaded feed, then
 * pushes 8 at a time to a fresh feed. Servers are not pinned here (every worker may use every CPU), so on a
 * machine with few CPUs the load generator competes with the workers: the ratio between counts is what counts.
 */
async function measureCores(dataDir: string, paths: EndpointPaths, work: string): Promise<CoresPoint[]> {
  const points: CoresPoint[] = [];
  const packages = await smallPackages('Bench.Cores', settings.concurrentPushes * workerCounts.length);
  for (const [i, workers] of workerCounts.entries()) {
    log(`cores: ${workers} worker${workers === 1 ? '' : 's'}`);
    const server = await startNugget(dataDir, { workers });
    await sleep(1000);
    const idleRssMB = memoryOf(server.pid).rssMB;
    const versionList = await load(
      `version list, ${workers} workers`,
      server.base,
      server.pid,
      paths.versionList,
    );
    const nupkg = await load(
      `small .nupkg download, ${workers} workers`,
      server.base,
      server.pid,
      paths.nupkg,
    );
    await stopChild(server.child);
    const pushFeed = await startNugget(join(work, `cores-push-${workers}`), { workers });
    const mine = packages.slice(i * settings.concurrentPushes, (i + 1) * settings.concurrentPushes);
    const cpuBefore = cpuMicrosOf(pushFeed.pid);
    const pushesPerSecond = await pushAll(pushFeed.base, mine, settings.pushConcurrency);
    const cpuMsPerPush = (cpuMicrosOf(pushFeed.pid) - cpuBefore) / 1000 / mine.length;
    await stopChild(pushFeed.child);
    log(
      `  pushes, ${workers} workers: ${pushesPerSecond.toFixed(0)}/s, ${cpuMsPerPush.toFixed(2)} ms CPU per push`,
    );
    points.push({ workers, versionList, nupkg, pushesPerSecond, cpuMsPerPush, idleRssMB });
  }
  return points;
}

// ---------------------------------------------------------------------------------------------------------
// Scale (npm run bench:scale): a feed of a million versions and one id with 5,000, against a feed 100 times
// smaller in the same run.

interface ScalePoint {
  readonly ids: number;
  readonly versions: number;
  readonly import: BulkImportReport & { reused: boolean };
  readonly coldStartMs: number[];
  readonly idleRssMB: number;
  readonly endpoints: LoadResult[];
  readonly afterLoad: { rssMB: number; peakMB: number };
  readonly pushMs: number[];
}

/** `count` pushes one after the other into the bench feed; the milliseconds of each. */
async function pushLatencies(base: string, prefix: string, count: number): Promise<number[]> {
  const packages = await smallPackages(prefix, count);
  const v3 = benchFeed === 'default' ? '/v3' : `/feeds/${benchFeed}/v3`;
  const ms: number[] = [];
  for (const nupkg of packages) {
    const started = performance.now();
    await push(base, nupkg, 60_000, v3);
    ms.push(performance.now() - started);
  }
  return ms;
}

const percentile = (numbers: readonly number[], p: number) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

async function measureFeed(
  dataDir: string,
  feed: { ids: number; versions: number; seed: number; bigIdVersions?: number },
  paths: EndpointPaths,
  linkBlobs: (lowerId: string, lowerVersion: string) => boolean,
  runId: string,
  /** The feed copied into this PostgreSQL database (its package files stay in `dataDir`), imported as given. */
  postgres?: { database: string; imported: BulkImportReport & { reused: boolean } },
): Promise<ScalePoint> {
  const imported = postgres?.imported ?? (await importFeed(dataDir, feed, linkBlobs));
  const backend = postgres ? { database: postgres.database } : {};
  const coldStartMs: number[] = [];
  for (let i = 0; i < settings.coldStarts; i++) {
    const server = await startNugget(dataDir, backend);
    coldStartMs.push(server.startMs);
    await stopChild(server.child);
  }
  const server = await startNugget(dataDir, backend);
  await sleep(2000);
  const idleRssMB = memoryOf(server.pid).rssMB;
  // Steady state, as in the server benchmark: every answer built once (on the big feed a cold start reads its
  // pages from the disk for the first requests of each id), then the rows measure what clients get.
  await warmServer(server.base, paths, { search: true });
  const endpoints = [
    await load('flat-container version list', server.base, server.pid, paths.versionList),
    await load('registration index (gz, SemVer 2)', server.base, server.pid, paths.registrationIndex),
    await load('small .nupkg download', server.base, server.pid, paths.nupkg),
    await load('search', server.base, server.pid, paths.search),
    await load('autocomplete', server.base, server.pid, paths.autocomplete),
  ];
  const afterLoad = memoryOf(server.pid);
  const pushMs = await pushLatencies(
    server.base,
    `Bench.Scale.Push${postgres ? '.Pg' : ''}.${runId}.`,
    quick ? 20 : 50,
  );
  await stopChild(server.child);
  log(
    `  ${feed.versions} versions: cold start ${median(coldStartMs).toFixed(0)} ms, idle ${idleRssMB.toFixed(0)} MB, ` +
      `after load ${afterLoad.rssMB.toFixed(0)} MB, push median ${median(pushMs).toFixed(1)} ms`,
  );
  return { ...feed, import: imported, coldStartMs, idleRssMB, endpoints, afterLoad, pushMs };
}

/** The registration of the big id: the first answer (built), then warm ones, and under load; paged? */
async function measureBigRegistration(dataDir: string): Promise<
  Record<string, unknown> & {
    warmP99Ms: number;
    firstMs: number;
    loaded: LoadResult;
    pages: number;
    inlinedLeaves: number;
  }
> {
  const server = await startNugget(dataDir);
  try {
    const v3 = benchFeed === 'default' ? '/v3' : `/feeds/${benchFeed}/v3`;
    const path = `${v3}/registration-gz-semver2/${bigId.toLowerCase()}/index.json`;
    const get = async () => {
      const started = performance.now();
      const response = await fetch(server.base + path, { headers: { 'accept-encoding': 'gzip' } });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
      return { ms: performance.now() - started, body };
    };
    const first = await get();
    const index = JSON.parse(first.body) as { count: number; items: { items?: unknown[] }[] };
    const warm: number[] = [];
    for (let i = 0; i < 200; i++) warm.push((await get()).ms);
    const loaded = await load(
      `registration index of ${bigId} (${settings.bigIdVersions} versions)`,
      server.base,
      server.pid,
      [path],
    );
    return {
      firstMs: first.ms,
      warmMedianMs: median(warm),
      warmP99Ms: percentile(warm, 99),
      loaded,
      pages: index.items.length,
      inlinedLeaves: index.items.reduce((sum, page) => sum + (page.items?.length ?? 0), 0),
      bytes: first.body.length,
    };
  } finally {
    await stopChild(server.child);
  }
}

interface PostgresScale {
  readonly version: string;
  readonly small: { readonly migrateSeconds: number; readonly point: ScalePoint };
  readonly big: { readonly migrateSeconds: number; readonly point: ScalePoint };
}

/**
 * The scale measures again on PostgreSQL: a throwaway cluster (test/support/postgres-server.ts, installed with
 * apt-get when missing), each feed copied into a database of its own by `nugget migrate-data` (rows only: the
 * package files stay where the SQLite feed keeps them), then the same cold starts, reads and pushes.
 */
async function measureOnPostgres(
  feeds: readonly {
    dir: string;
    feed: { ids: number; versions: number; seed: number; bigIdVersions?: number };
    point: ScalePoint;
    paths: EndpointPaths;
    link: (lowerId: string, lowerVersion: string) => boolean;
  }[],
  runId: string,
): Promise<PostgresScale> {
  const { startPostgresServer } = await import('../test/support/postgres-server.ts');
  const cluster = await startPostgresServer();
  try {
    const measured: { migrateSeconds: number; point: ScalePoint }[] = [];
    let version = 'PostgreSQL';
    for (const { dir, feed, point, paths, link } of feeds) {
      const database = await cluster.createDatabase();
      log(`PostgreSQL: copying ${feed.versions} versions (nugget migrate-data)`);
      const started = performance.now();
      const migrate = spawnPinned(
        ['bin/nugget.js', 'migrate-data', '--data-dir', dir, '--to', database],
        {},
        false,
      );
      const output: string[] = [];
      migrate.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      migrate.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      const code = await new Promise<number | null>((done) => migrate.once('exit', done));
      if (code !== 0)
        throw new Error(`nugget migrate-data failed (${code}):\n${output.join('').slice(-4000)}`);
      const migrateSeconds = (performance.now() - started) / 1000;
      log(`PostgreSQL: copied in ${migrateSeconds.toFixed(0)} s; measuring`);
      measured.push({
        migrateSeconds,
        point: await measureFeed(dir, feed, paths, link, runId, { database, imported: point.import }),
      });
      version = postgresVersion(database) ?? version;
    }
    const [small, big] = measured;
    if (!small || !big) throw new Error('both feeds must be measured on PostgreSQL');
    return { version, small, big };
  } finally {
    await cluster.stop();
  }
}

function postgresVersion(database: string): string | undefined {
  try {
    const psql = readdirSync('/usr/lib/postgresql')
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a))
      .map((name) => join('/usr/lib/postgresql', name, 'bin', 'psql'))
      .find((path) => existsSync(path));
    if (!psql) return undefined;
    return execFileSync(psql, [database, '-At', '-c', 'SHOW server_version'], { encoding: 'utf8' })
      .trim()
      .replace(/^/, 'PostgreSQL ');
  } catch {
    return undefined;
  }
}

/** "The same read throughput": each endpoint's CPU per request on the small feed ÷ on the big one (target 0.9). */
function sameCpuRows(
  area: string,
  small: ScalePoint,
  big: ScalePoint,
  note: (row: LoadResult, reference: LoadResult, index: number) => string,
): TargetRow[] {
  return big.endpoints.map((row, i) => {
    const reference = small.endpoints[i] as LoadResult;
    return atLeast(
      area,
      `${row.name}: CPU per request, small feed ÷ big feed`,
      reference.serverCpuMicrosPerRequest / row.serverCpuMicrosPerRequest,
      0.9,
      formats.ratio,
      note(row, reference, i),
    );
  });
}

/** The scale targets measured on PostgreSQL, beside SQLite's. */
function postgresRows(postgres: PostgresScale, sqliteBig: ScalePoint): TargetRow[] {
  const { small, big } = postgres;
  return [
    below(
      'scale (PostgreSQL)',
      `cold start, ${big.point.versions.toLocaleString('en-US')}-version feed (median)`,
      median(big.point.coldStartMs),
      1000,
      formats.ms,
      `SQLite: ${median(sqliteBig.coldStartMs).toFixed(0)} ms`,
    ),
    below(
      'scale (PostgreSQL)',
      'push latency, big feed (median) vs small feed',
      median(big.point.pushMs),
      median(small.point.pushMs),
      formats.ms,
      `SQLite big feed: ${median(sqliteBig.pushMs).toFixed(1)} ms`,
    ),
    ...sameCpuRows('scale (PostgreSQL)', small.point, big.point, (row, _small, i) => {
      const sqlite = sqliteBig.endpoints[i] as LoadResult;
      return `${row.requestsPerSecond.toFixed(0)} req/s (SQLite ${sqlite.requestsPerSecond.toFixed(0)}), p99 ${row.p99Ms} ms (SQLite ${sqlite.p99Ms})`;
    }),
    below(
      'scale (PostgreSQL)',
      'RSS after the read load, big feed (peak)',
      big.point.afterLoad.peakMB,
      250,
      formats.mb,
      `SQLite: ${sqliteBig.afterLoad.peakMB.toFixed(0)} MB`,
    ),
  ];
}

async function runScale(work: string): Promise<void> {
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const big = {
    ids: settings.ids,
    versions: settings.versions,
    seed: settings.seed,
    bigIdVersions: settings.bigIdVersions,
  };
  const small = {
    ids: Math.max(10, Math.round(settings.ids / 100)),
    versions: Math.max(10, Math.round(settings.versions / 100)),
    seed: settings.seed,
  };
  log(
    `nugget scale benchmark: ${big.ids} ids and ${big.versions} versions plus ${bigId} with ${big.bigIdVersions} versions, ` +
      `against ${small.ids} ids and ${small.versions} versions; ${settings.connections} connections, ${settings.durationSeconds} s per endpoint`,
  );
  const runId = startedAt.getTime().toString(36);
  const feedOf = (feed: typeof small & { bigIdVersions?: number }) => {
    const paths = endpointPaths(syntheticFeed(feed), settings.seed, benchFeed);
    // Only the versions the bench downloads get their blobs: at a million versions the links cost more than the rows.
    // With --postgres every version gets them: `nugget migrate-data` verifies that each row's files are there.
    const downloaded = new Set(paths.nupkg.map((path) => path.split('/').slice(-3, -1).join('/')));
    return {
      paths,
      link: (lowerId: string, lowerVersion: string) =>
        flags.postgres === true || downloaded.has(`${lowerId}/${lowerVersion}`),
    };
  };
  const smallFeed = feedOf(small);
  const bigFeed = feedOf(big);
  const bigDir = resolve(flags['data-dir'] ?? join(work, 'scale-feed'));
  const smallDir = join(work, 'scale-small-feed');

  log('the small feed:');
  const smallPoint = await measureFeed(smallDir, small, smallFeed.paths, smallFeed.link, runId);
  log('the big feed:');
  const bigPoint = await measureFeed(bigDir, big, bigFeed.paths, bigFeed.link, runId);
  // The ceiling of this run, with a version list of the big feed.
  const server = await startNugget(bigDir);
  const ceilingBody = await writeCeilingBody(server.base, bigFeed.paths, work);
  await stopChild(server.child);
  const ceiling = await loadCeiling(ceilingBody);
  const bigRegistration = await measureBigRegistration(bigDir);
  const postgres = flags.postgres
    ? await measureOnPostgres(
        [
          { dir: smallDir, feed: small, point: smallPoint, ...smallFeed },
          { dir: bigDir, feed: big, point: bigPoint, ...bigFeed },
        ],
        runId,
      )
    : undefined;

  const targets: TargetRow[] = [
    below(
      'scale',
      `cold start, ${big.versions.toLocaleString('en-US')}-version feed (median)`,
      median(bigPoint.coldStartMs),
      1000,
      formats.ms,
      `small feed: ${median(smallPoint.coldStartMs).toFixed(0)} ms`,
    ),
    below(
      'scale',
      'push latency, big feed (median of sequential pushes) vs small feed',
      median(bigPoint.pushMs),
      median(smallPoint.pushMs),
      formats.ms,
      `p99 ${percentile(bigPoint.pushMs, 99).toFixed(1)} vs ${percentile(smallPoint.pushMs, 99).toFixed(1)} ms; "no higher": the target is the small feed's median`,
    ),
    ...sameCpuRows(
      'scale',
      smallPoint,
      bigPoint,
      (row, reference) =>
        `${row.requestsPerSecond.toFixed(0)} vs ${reference.requestsPerSecond.toFixed(0)} req/s, ${row.serverCpuMicrosPerRequest.toFixed(1)} vs ${reference.serverCpuMicrosPerRequest.toFixed(1)} µs/req; ratio to ceiling ${(row.requestsPerSecond / ceiling.requestsPerSecond).toFixed(2)}`,
    ),
    below(
      'scale',
      `search p99 at ${settings.connections} connections, big feed`,
      (bigPoint.endpoints[3] as LoadResult).p99Ms,
      10,
      formats.ms,
    ),
    below(
      'scale',
      `registration index of the ${settings.bigIdVersions}-version id (warm p99, one client)`,
      bigRegistration.warmP99Ms,
      5,
      formats.ms,
      `${bigRegistration.pages} pages, ${bigRegistration.inlinedLeaves} leaves inlined; first (built) ${bigRegistration.firstMs.toFixed(0)} ms; p99 ${bigRegistration.loaded.p99Ms} ms at ${settings.connections} connections`,
    ),
    below(
      'scale',
      'RSS after the read load, big feed (peak)',
      bigPoint.afterLoad.peakMB,
      250,
      formats.mb,
      `idle ${bigPoint.idleRssMB.toFixed(0)} MB`,
    ),
    ...(postgres
      ? postgresRows(postgres, bigPoint)
      : [
          notMeasured(
            'scale',
            'the same on PostgreSQL',
            'as SQLite',
            'not measured in this run: npm run bench:scale -- --postgres',
          ),
        ]),
  ];
  const machine = {
    cpu: cpus()[0]?.model,
    cpus: cpus().length,
    memoryGB: totalmem() / 1024 ** 3,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    pinned: hasTaskset,
    ...gitCommit(),
  };
  const load = { atStart: loadAtStart, atEnd: loadavg() };
  const table = [
    `# nugget scale benchmark, ${startedAt.toISOString().slice(0, 10)}`,
    '',
    `Big feed: ${big.ids} ids, ${big.versions} versions and ${bigId} with ${big.bigIdVersions} (seed ${big.seed}; ` +
      `import ${bigPoint.import.totalSeconds.toFixed(0)} s${bigPoint.import.reused ? ', reused' : ''}). Small feed: ${small.ids} ids, ${small.versions} versions. ` +
      `Machine: ${String(machine.cpu)} x ${machine.cpus}, Node ${machine.node}, ${hasTaskset ? 'server on CPU 0, load generator on CPU 1' : 'not pinned'}. ` +
      `Commit ${machine.commit.slice(0, 10)}${machine.dirty ? ' (with uncommitted changes)' : ''}. Load average ${load.atStart.map((l) => l.toFixed(1)).join('/')} at the start, ${load.atEnd.map((l) => l.toFixed(1)).join('/')} at the end.`,
    '',
    '| endpoint | small feed req/s | CPU µs/req | big feed req/s | CPU µs/req | big p99 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| bare node:http ceiling | | | ${ceiling.requestsPerSecond.toFixed(0)} | ${ceiling.serverCpuMicrosPerRequest.toFixed(1)} | ${ceiling.p99Ms} |`,
    ...bigPoint.endpoints.map((row, i) => {
      const reference = smallPoint.endpoints[i] as LoadResult;
      return `| ${row.name} | ${reference.requestsPerSecond.toFixed(0)} | ${reference.serverCpuMicrosPerRequest.toFixed(1)} | ${row.requestsPerSecond.toFixed(0)} | ${row.serverCpuMicrosPerRequest.toFixed(1)} | ${row.p99Ms} |`;
    }),
    ...(postgres
      ? [
          '',
          `On PostgreSQL (${postgres.version}; both feeds copied by \`nugget migrate-data\`: small ${postgres.small.migrateSeconds.toFixed(0)} s, big ${postgres.big.migrateSeconds.toFixed(0)} s; the package files stay in the data directory; CPU is nugget's alone, PostgreSQL's own processes are not pinned and not counted):`,
          '',
          '| endpoint | small feed req/s | CPU µs/req | big feed req/s | CPU µs/req | big p99 ms | big req/s ÷ SQLite |',
          '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
          ...postgres.big.point.endpoints.map((row, i) => {
            const reference = postgres.small.point.endpoints[i] as LoadResult;
            const sqlite = bigPoint.endpoints[i] as LoadResult;
            return `| ${row.name} | ${reference.requestsPerSecond.toFixed(0)} | ${reference.serverCpuMicrosPerRequest.toFixed(1)} | ${row.requestsPerSecond.toFixed(0)} | ${row.serverCpuMicrosPerRequest.toFixed(1)} | ${row.p99Ms} | ${(row.requestsPerSecond / sqlite.requestsPerSecond).toFixed(2)} |`;
          }),
        ]
      : []),
    '',
    targetsTable(targets),
    '',
  ].join('\n');
  const date = `${startedAt.toISOString().slice(0, 10)}${quick ? '-quick' : ''}${postgres ? '-postgres' : ''}`;
  const dir = join(import.meta.dirname, 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, `scale-${date}.json`),
    `${JSON.stringify({ benchmark: 'scale', date: startedAt.toISOString(), machine, load, settings, small: smallPoint, big: bigPoint, ceiling, bigRegistration, postgres, targets }, null, 2)}\n`,
  );
  await writeFile(join(dir, `scale-${date}.md`), table);
  console.log(`\n${table}`);
  console.log(`wrote bench/results/scale-${date}.json and .md`);
}

async function measureRestore(base: string): Promise<{ seconds: number[]; medianSeconds: number }> {
  const ids = Array.from({ length: settings.restoreReferences }, (_, i) => `Bench.Restore.Package${i}`);
  for (const id of ids) {
    await push(base, await buildNupkg({ id, version: '1.0.0', description: `Restore benchmark ${id}` }));
  }
  const workspace = await createWorkspace('nugget-bench-restore-');
  try {
    const seconds: number[] = [];
    for (let run = 0; run < settings.restoreRuns; run++) {
      // A new environment per run: empty global packages folder and HTTP cache (a cold client).
      const env = await createDotnetEnv(workspace, {
        name: `client-${run}`,
        sources: [{ name: 'nugget', url: `${base}/v3/index.json` }],
      });
      const project = await env.makeDir('app');
      const references = ids
        .map((id) => `    <PackageReference Include="${id}" Version="1.0.0" />`)
        .join('\n');
      await writeFile(
        join(project, 'app.csproj'),
        `<Project Sdk="Microsoft.NET.Sdk">\n  <PropertyGroup>\n    <TargetFramework>net10.0</TargetFramework>\n  </PropertyGroup>\n  <ItemGroup>\n${references}\n  </ItemGroup>\n</Project>\n`,
      );
      const started = performance.now();
      const result = await runCommand('dotnet', ['restore', '--configfile', env.configFile], {
        cwd: project,
        env: env.env,
        timeoutMs: 300_000,
      });
      if (result.code !== 0) throw new Error(`dotnet restore failed:\n${result.stdout}\n${result.stderr}`);
      seconds.push((performance.now() - started) / 1000);
    }
    log(
      `dotnet restore (${settings.restoreReferences} references, cold): ${seconds.map((s) => s.toFixed(1)).join(', ')} s`,
    );
    return { seconds, medianSeconds: median(seconds) };
  } finally {
    await workspace.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------

interface Results {
  startedAt: Date;
  /** The machine's load averages (1, 5, 15 min) when the run started and ended: it is shared. */
  load: { atStart: number[]; atEnd: number[] };
  cores: CoresPoint[] | undefined;
  writes: WritesResults;
  feedImport: BulkImportReport & { reused: boolean };
  ceiling: LoadResult;
  endpoints: LoadResult[];
  coldStart: { emptyMs: number[]; loadedMs: number[] };
  memory: { idleEmptyMB: number; idleLoadedMB: number; afterLoadMB: number; peakDuringLoadMB: number };
  pushes: {
    sequentialPerSecond: number;
    concurrentPerSecond: number;
    concurrency: number;
    sequentialCpuMsPerPush: number;
    concurrentCpuMsPerPush: number;
  };
  bigPush: { bytes: number; growthMB: number; seconds: number };
  restore: { seconds: number[]; medianSeconds: number } | { skipped: string };
  profile: ProfileSummary | undefined;
  webPages: PageTiming[];
  upstreamRead: UpstreamReadResult;
}

function gitCommit(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: repoRoot, encoding: 'utf8' });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}

const yes = (met: boolean) => (met ? 'yes' : '**no**');

/** Issue 17's targets beside what this run measured (report.ts), and the rows other benches wrote last. */
function issueTargets(results: Results): TargetRow[] {
  const { ceiling, endpoints, cores } = results;
  const rows: TargetRow[] = endpoints.map((row) =>
    atLeast(
      'reads',
      `${row.name}: req/s ÷ bare node:http ceiling (same run)`,
      row.requestsPerSecond / ceiling.requestsPerSecond,
      0.8,
      formats.ratio,
      `${row.requestsPerSecond.toFixed(0)} req/s, ${row.serverCpuMicrosPerRequest.toFixed(1)} µs CPU/req ` +
        `(ceiling ${ceiling.serverCpuMicrosPerRequest.toFixed(1)})`,
    ),
  );
  // Pushes and memory: bench/writes.ts, medians of several fresh servers, with the 100 MB push beside cp.
  rows.push(...writesTargets(results.writes));
  const one = cores?.find((point) => point.workers === 1);
  for (const point of cores ?? []) {
    if (!one || point.workers === 1) continue;
    const linear = 0.9 * point.workers;
    const note = (a: LoadResult, b: LoadResult) =>
      `${b.requestsPerSecond.toFixed(0)} vs ${a.requestsPerSecond.toFixed(0)} req/s; CPU/req ${b.serverCpuMicrosPerRequest.toFixed(1)} vs ${a.serverCpuMicrosPerRequest.toFixed(1)} µs`;
    rows.push(
      atLeast(
        'cores',
        `version list req/s, ${point.workers} workers ÷ 1`,
        point.versionList.requestsPerSecond / one.versionList.requestsPerSecond,
        linear,
        formats.times,
        note(one.versionList, point.versionList),
      ),
      atLeast(
        'cores',
        `small .nupkg req/s, ${point.workers} workers ÷ 1`,
        point.nupkg.requestsPerSecond / one.nupkg.requestsPerSecond,
        linear,
        formats.times,
        note(one.nupkg, point.nupkg),
      ),
      atLeast(
        'cores',
        `pushes/s (${settings.pushConcurrency} in flight), ${point.workers} workers ÷ 1`,
        point.pushesPerSecond / one.pushesPerSecond,
        linear,
        formats.times,
        `${point.pushesPerSecond.toFixed(0)} vs ${one.pushesPerSecond.toFixed(0)}/s; CPU/push ${point.cpuMsPerPush.toFixed(2)} vs ${one.cpuMsPerPush.toFixed(2)} ms`,
      ),
    );
  }
  if (!cores) rows.push(notMeasured('cores', 'reads and pushes, N workers ÷ 1', '>= 0.9 N', '--no-cores'));
  rows.push(
    ...latestTargets(join(import.meta.dirname, 'results'), 'scale', 'npm run bench:scale'),
    ...virtualFeedRows(results.upstreamRead),
    ...results.webPages.map((page) =>
      below(
        'web UI',
        `${page.name}: server render (median)`,
        page.medianMs,
        page.targetMs,
        formats.ms,
        `p95 ${page.p95Ms.toFixed(1)} ms, CPU ${page.cpuMedianMs.toFixed(1)} ms, ${(page.bytes / 1024).toFixed(0)} KB`,
      ),
    ),
  );
  return rows;
}

/** Issue 13's measure in issue 17's table: restore-like reads through a virtual feed, warm cache, vs hosted. */
function virtualFeedRows(read: UpstreamReadResult): TargetRow[] {
  const sides = `${read.packages} packages, ${read.paths} paths; hosted ${read.hosted.requestsPerSecond.toFixed(0)} req/s, pass ${read.hosted.passMs.toFixed(0)} ms`;
  return [
    atLeast(
      'virtual feed',
      "restore-like reads, req/s ÷ the hosted feed's (same run)",
      read.throughputRatio,
      0.9,
      formats.ratio,
      `virtual ${read.virtual.requestsPerSecond.toFixed(0)} req/s; ${sides}`,
    ),
    below(
      'virtual feed',
      "one restore-like pass, time ÷ the hosted feed's (same run)",
      read.passRatio,
      1.1,
      formats.ratio,
      `virtual ${read.virtual.passMs.toFixed(0)} ms`,
    ),
  ];
}

function markdown(results: Results, machine: Record<string, unknown>): string {
  const { ceiling, endpoints, feedImport } = results;
  const ratioTargets = new Set([
    'flat-container version list',
    'registration index (gz, SemVer 2)',
    'small .nupkg download',
  ]);
  const endpointRows = [ceiling, ...endpoints].map((row) => {
    const ratio = row.requestsPerSecond / ceiling.requestsPerSecond;
    let target = '';
    let met = '';
    if (ratioTargets.has(row.name)) {
      target = 'ratio >= 0.8';
      met = yes(ratio >= 0.8);
    } else if (row.name === 'search' || row.name === 'autocomplete') {
      target = 'p99 < 10 ms';
      met = yes(row.p99Ms < 10);
    }
    return `| ${row.name} | ${row.requestsPerSecond.toFixed(0)} | ${row.p50Ms} | ${row.p99Ms} | ${row.serverCpuMicrosPerRequest.toFixed(1)} | ${ratio.toFixed(2)} | ${target} | ${met} |`;
  });
  const m = results.memory;
  const restoreText =
    'skipped' in results.restore
      ? `skipped (${results.restore.skipped})`
      : `${results.restore.medianSeconds.toFixed(1)} s (runs: ${results.restore.seconds.map((s) => s.toFixed(1)).join(', ')})`;
  const coldLoaded = median(results.coldStart.loadedMs);
  const otherRows = [
    `| pushes/s, sequential (small packages, HTTP multipart) | ${results.pushes.sequentialPerSecond.toFixed(0)} | >= 100 | ${yes(results.pushes.sequentialPerSecond >= 100)} |`,
    `| pushes/s, ${results.pushes.concurrency} concurrent | ${results.pushes.concurrentPerSecond.toFixed(0)} | | |`,
    `| RSS idle, empty feed | ${m.idleEmptyMB.toFixed(0)} MB | < 120 MB | ${yes(m.idleEmptyMB < 120)} |`,
    `| RSS idle, loaded feed | ${m.idleLoadedMB.toFixed(0)} MB | < 120 MB | ${yes(m.idleLoadedMB < 120)} |`,
    `| RSS after the read load (peak during it) | ${m.afterLoadMB.toFixed(0)} MB (${m.peakDuringLoadMB.toFixed(0)} MB) | | |`,
    `| RSS growth during a ${(results.bigPush.bytes / 1024 / 1024).toFixed(0)} MB push | ${results.bigPush.growthMB.toFixed(0)} MB (${results.bigPush.seconds.toFixed(1)} s) | < 100 MB | ${yes(results.bigPush.growthMB < 100)} |`,
    `| cold start, empty feed (median of ${results.coldStart.emptyMs.length}) | ${median(results.coldStart.emptyMs).toFixed(0)} ms | < 1 s | ${yes(median(results.coldStart.emptyMs) < 1000)} |`,
    `| cold start, loaded feed (median of ${results.coldStart.loadedMs.length}) | ${coldLoaded.toFixed(0)} ms | < 1 s | ${yes(coldLoaded < 1000)} |`,
    `| dotnet restore, 50 references, cold client cache | ${restoreText} | | |`,
    ...webPageRows(results.webPages),
    `| feed import (${feedImport.templates} via publishPackage, the rest bulk) | ${feedImport.totalSeconds.toFixed(0)} s (${feedImport.bulkVersionsPerSecond.toFixed(0)} versions/s bulk, ${feedImport.publishPerSecond.toFixed(0)}/s publishPackage in-process)${feedImport.reused ? ', reused' : ''} | | |`,
  ];
  return [
    `# nugget server benchmark, ${results.startedAt.toISOString().slice(0, 10)}`,
    '',
    `Feed: ${feedImport.ids} ids, ${feedImport.versions} versions (seed ${feedImport.seed}). ` +
      `${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s per endpoint. ` +
      `Machine: ${String(machine['cpu'])} x ${String(machine['cpus'])}, Node ${String(machine['node'])}, ` +
      `${machine['pinned'] ? 'server on CPU 0, load generator on CPU 1' : 'not pinned'}. ` +
      `Commit ${String(machine['commit']).slice(0, 10)}${machine['dirty'] ? ' (with uncommitted changes)' : ''}. ` +
      `Load average (1/5/15 min) ${results.load.atStart.map((l) => l.toFixed(1)).join('/')} at the start, ` +
      `${results.load.atEnd.map((l) => l.toFixed(1)).join('/')} at the end (the machine is shared: compare ratios and CPU per request within one run).`,
    ...(results.cores
      ? [
          '',
          '| workers | version list req/s | CPU µs/req | small .nupkg req/s | CPU µs/req | pushes/s (8 in flight) | CPU ms/push | RSS idle (all processes) |',
          '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
          ...results.cores.map(
            (p) =>
              `| ${p.workers} | ${p.versionList.requestsPerSecond.toFixed(0)} | ${p.versionList.serverCpuMicrosPerRequest.toFixed(1)} | ${p.nupkg.requestsPerSecond.toFixed(0)} | ${p.nupkg.serverCpuMicrosPerRequest.toFixed(1)} | ${p.pushesPerSecond.toFixed(0)} | ${p.cpuMsPerPush.toFixed(2)} | ${p.idleRssMB.toFixed(0)} MB |`,
          ),
        ]
      : []),
    '',
    '| endpoint | req/s | p50 ms | p99 ms | server CPU µs/req | ratio to ceiling | target | met? |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ...endpointRows,
    '',
    '| measure | value | target | met? |',
    '| --- | --- | --- | --- |',
    ...otherRows,
    '',
    '## Issue 17: every target beside its measured figure',
    '',
    targetsTable(issueTargets(results)),
    '',
  ].join('\n');
}

async function writeResults(results: Results): Promise<void> {
  const machine = {
    cpu: cpus()[0]?.model,
    cpus: cpus().length,
    memoryGB: totalmem() / 1024 ** 3,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    pinned: hasTaskset,
    ...gitCommit(),
  };
  // A smoke run never overwrites the day's full-size results.
  const date = `${results.startedAt.toISOString().slice(0, 10)}${quick ? '-quick' : ''}`;
  const dir = join(import.meta.dirname, 'results');
  await mkdir(dir, { recursive: true });
  const table = markdown(results, machine);
  await writeFile(
    join(dir, `${date}.json`),
    `${JSON.stringify({ benchmark: 'server', date: results.startedAt.toISOString(), machine, settings, ...results }, null, 2)}\n`,
  );
  await writeFile(join(dir, `${date}.md`), table);
  console.log(`\n${table}`);
  console.log(`wrote bench/results/${date}.json and bench/results/${date}.md`);
}

// Last, so every declaration above is initialized before main() runs.
if (hasTaskset && process.env['NUGGET_BENCH_PINNED'] !== '1') {
  const child = spawn(
    'taskset',
    ['-c', '1', process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    {
      stdio: 'inherit',
      env: { ...process.env, NUGGET_BENCH_PINNED: '1' },
    },
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
} else {
  await main();
}
