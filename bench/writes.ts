// The write and memory measures of issue 17, run by bench/run.ts (`npm run bench`, or `npm run bench -- --only
// writes` for these alone): small pushes one at a time and 8 in flight with the server CPU each costs, idle memory
// after a feed was loaded over HTTP, and a 100 MB push beside `cp` of the same bytes. bench/README.md explains them.
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { atLeast, below, formats, type TargetRow, targetsTable } from './report.ts';

export interface WritesServer {
  readonly base: string;
  readonly pid: number;
  readonly child: ChildProcess;
}

/** What run.ts lends this module: its pinned server processes, /proc readers and push client. */
export interface WritesHarness {
  readonly work: string;
  readonly quick: boolean;
  readonly profile: boolean;
  readonly log: (line: string) => void;
  startNugget(dataDir: string, nodeFlags?: readonly string[]): Promise<WritesServer>;
  stopChild(child: ChildProcess): Promise<void>;
  memoryOf(pid: number): { rssMB: number; peakMB: number };
  /** Makes VmHWM start again from VmRSS now: a peak read later is the peak of what happens after this call. */
  resetPeakMemory(pid: number): void;
  cpuMicrosOf(pid: number): number;
  push(base: string, body: Buffer | AsyncIterable<Buffer>, timeoutMs?: number): Promise<void>;
  smallPackages(prefix: string, count: number): Promise<Buffer[]>;
  writeBigNupkg(path: string, bytes: number): Promise<number>;
  multipartFile(path: string): AsyncIterable<Buffer>;
  summarizeProfile(text: string): unknown;
}

export interface PushRun {
  readonly perSecond: number;
  readonly serverCpuMsPerPush: number;
}

export interface WritesResults {
  readonly runs: number;
  readonly sequential: PushRun[];
  readonly concurrent: PushRun[];
  readonly concurrency: number;
  readonly sequentialCount: number;
  readonly concurrentCount: number;
  readonly meanPackageBytes: number;
  /** The loaded feed: `loadedVersions` small versions pushed over HTTP, 8 at a time, into one fresh server. */
  readonly loadedVersions: number;
  readonly loadSeconds: number;
  readonly idleLoadedMB: number;
  readonly idleEmptyMB: number;
  /** RSS once a second while each server sat idle (settledRss): the last is the idle figure. */
  readonly idleSamplesMB: { readonly empty: readonly number[]; readonly loaded: readonly number[] };
  readonly bigPush: {
    readonly bytes: number;
    /**
     * RSS growth during the push into a fresh server: max(VmRSS sampled every 20 ms, VmHWM) - VmRSS before, with
     * VmHWM reset just before the push.
     */
    readonly growthMB: number;
    readonly freshSeconds: number;
    /** The server's CPU (every thread) during the push: what a loaded machine hardly changes. */
    readonly freshCpuSeconds: number;
    /** The same push into the loaded server. */
    readonly loadedSeconds: number;
    readonly loadedCpuSeconds: number;
    /** `cp` of the same file into the same file system, then `sync` of the copy (the push syncs it too). */
    readonly cpSeconds: number;
    readonly cpSyncSeconds: number;
  };
  readonly profile: unknown;
}

export const writeTargets = {
  sequentialPerSecond: 500,
  concurrentPerSecond: 800,
  serverCpuMsPerPush: 1.5,
  idleLoadedMB: 150,
  pushGrowthMB: 20,
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long a server is left alone before its idle RSS is read, and how often RSS is sampled meanwhile. */
const idleWindowMs = 45_000;
const idleSampleMs = 1_000;

/**
 * A server's RSS once it has been idle: sampled every second for 45 s and the last sample taken. The server's idle
 * collector (src/cli/idle-collector.ts) runs after one busy and one idle 5 s interval, and V8 hands the freed young
 * generation back to the system some seconds after that collection (seen: 10 to 20 s), so a read at 2 or 20 s
 * measured work still being cleaned up. The samples are kept, so the JSON shows when RSS fell.
 */
async function settledRss(
  h: WritesHarness,
  pid: number,
): Promise<{ settledMB: number; samplesMB: number[] }> {
  const samplesMB: number[] = [];
  for (let waited = 0; waited < idleWindowMs; waited += idleSampleMs) {
    await sleep(idleSampleMs);
    samplesMB.push(Math.round(h.memoryOf(pid).rssMB));
  }
  return { settledMB: samplesMB.at(-1) ?? 0, samplesMB };
}
export const median = (numbers: readonly number[]): number => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};

/** Pushes every package, `concurrency` at a time: pushes per second and server CPU per push. Bounded in time. */
async function pushAll(
  h: WritesHarness,
  server: WritesServer,
  packages: readonly Buffer[],
  concurrency: number,
): Promise<PushRun> {
  const deadline = performance.now() + 300_000;
  let next = 0;
  const cpuBefore = h.cpuMicrosOf(server.pid);
  const started = performance.now();
  const worker = async () => {
    while (next < packages.length && performance.now() < deadline)
      await h.push(server.base, packages[next++] as Buffer);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return {
    perSecond: next / seconds,
    serverCpuMsPerPush: (h.cpuMicrosOf(server.pid) - cpuBefore) / 1000 / Math.max(1, next),
  };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

export async function measureWrites(h: WritesHarness): Promise<WritesResults> {
  const runs = h.quick ? 1 : 3;
  const sequentialCount = h.quick ? 100 : 500;
  const concurrentCount = h.quick ? 200 : 1000;
  const concurrency = 8;
  const loadedVersions = h.quick ? 1000 : 4000;
  const bigBytes = 100 * 1024 * 1024;

  // 1. Small pushes into a fresh feed, `runs` times (a fresh server and feed each), medians reported.
  const sequential: PushRun[] = [];
  const concurrent: PushRun[] = [];
  let meanPackageBytes = 0;
  for (let run = 0; run < runs; run++) {
    const server = await h.startNugget(join(h.work, `writes-push-${run}`));
    const one = await h.smallPackages(`Bench.Push${run}.Sequential`, sequentialCount);
    const many = await h.smallPackages(`Bench.Push${run}.Concurrent`, concurrentCount);
    meanPackageBytes = one.reduce((sum, b) => sum + b.length, 0) / one.length;
    sequential.push(await pushAll(h, server, one, 1));
    concurrent.push(await pushAll(h, server, many, concurrency));
    await h.stopChild(server.child);
    await rm(join(h.work, `writes-push-${run}`), { recursive: true, force: true });
    h.log(
      `pushes, run ${run + 1}: ${sequential.at(-1)?.perSecond.toFixed(0)}/s one at a time ` +
        `(${sequential.at(-1)?.serverCpuMsPerPush.toFixed(2)} ms CPU each), ${concurrent.at(-1)?.perSecond.toFixed(0)}/s ` +
        `${concurrency} in flight (${concurrent.at(-1)?.serverCpuMsPerPush.toFixed(2)} ms CPU each)`,
    );
  }

  // 2. Where a push's time goes: a CPU profile of a separate server during the same pushes.
  let profile: unknown;
  if (h.profile) {
    const profileDir = join(h.work, 'writes-profile');
    const server = await h.startNugget(join(h.work, 'writes-profiled'), [
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
    ]);
    await pushAll(h, server, await h.smallPackages('Bench.Profiled.Sequential', sequentialCount), 1);
    await pushAll(
      h,
      server,
      await h.smallPackages('Bench.Profiled.Concurrent', concurrentCount),
      concurrency,
    );
    await h.stopChild(server.child);
    const file = (await readdir(profileDir)).find((name) => name.endsWith('.cpuprofile'));
    if (file) profile = h.summarizeProfile(await readFile(join(profileDir, file), 'utf8'));
  }

  // 3. Memory: a 100 MB push into a fresh server (RSS growth), then the same into a loaded server (time).
  const bigPath = join(h.work, 'writes-big.nupkg');
  const bytes = await h.writeBigNupkg(bigPath, bigBytes);
  const fresh = await h.startNugget(join(h.work, 'writes-big-fresh'));
  const idleEmpty = await settledRss(h, fresh.pid);
  const idleEmptyMB = idleEmpty.settledMB;
  // VmHWM since start-up would count the start-up peak (20 to 30 MB above the idle RSS) as the push's growth.
  h.resetPeakMemory(fresh.pid);
  const before = h.memoryOf(fresh.pid);
  let sampledPeakMB = before.rssMB;
  const sampler = setInterval(() => {
    sampledPeakMB = Math.max(sampledPeakMB, h.memoryOf(fresh.pid).rssMB);
  }, 20);
  let freshSeconds: number;
  const freshCpuBefore = h.cpuMicrosOf(fresh.pid);
  try {
    freshSeconds = await timed(() => h.push(fresh.base, h.multipartFile(bigPath), 300_000));
  } finally {
    clearInterval(sampler);
  }
  const freshCpuSeconds = (h.cpuMicrosOf(fresh.pid) - freshCpuBefore) / 1e6;
  const growthMB = Math.max(sampledPeakMB, h.memoryOf(fresh.pid).peakMB) - before.rssMB;
  await h.stopChild(fresh.child);
  await rm(join(h.work, 'writes-big-fresh'), { recursive: true, force: true });

  // 4. The loaded feed: small versions over HTTP, then idle memory, then the 100 MB push into it.
  const loadedDir = join(h.work, 'writes-loaded');
  const loaded = await h.startNugget(loadedDir);
  const loadPackages = await h.smallPackages('Bench.Loaded.Package', loadedVersions);
  const loadSeconds = await timed(() => pushAll(h, loaded, loadPackages, concurrency));
  const idleLoaded = await settledRss(h, loaded.pid);
  const idleLoadedMB = idleLoaded.settledMB;
  h.log(
    `loaded feed: ${loadedVersions} versions pushed in ${loadSeconds.toFixed(1)} s, idle RSS ${idleLoadedMB.toFixed(0)} MB`,
  );
  const loadedCpuBefore = h.cpuMicrosOf(loaded.pid);
  const loadedSeconds = await timed(() => h.push(loaded.base, h.multipartFile(bigPath), 300_000));
  const loadedCpuSeconds = (h.cpuMicrosOf(loaded.pid) - loadedCpuBefore) / 1e6;
  await h.stopChild(loaded.child);

  // `cp` of the same bytes into the same file system, and the same followed by a sync of the copy.
  const copy = join(loadedDir, 'cp-of-big.nupkg');
  const cpSeconds = await timed(async () => execFileSync('cp', [bigPath, copy]));
  await rm(copy, { force: true });
  const cpSyncSeconds = await timed(async () => {
    execFileSync('cp', [bigPath, copy]);
    const handle = await open(copy, 'r');
    await handle.sync();
    await handle.close();
  });
  await rm(loadedDir, { recursive: true, force: true });
  await rm(bigPath, { force: true });
  h.log(
    `100 MB push: RSS +${growthMB.toFixed(0)} MB, ${freshSeconds.toFixed(2)} s fresh (server CPU ` +
      `${freshCpuSeconds.toFixed(2)} s), ${loadedSeconds.toFixed(2)} s loaded (${loadedCpuSeconds.toFixed(2)} s); ` +
      `cp ${cpSeconds.toFixed(2)} s, cp + fsync ${cpSyncSeconds.toFixed(2)} s`,
  );

  return {
    runs,
    sequential,
    concurrent,
    concurrency,
    sequentialCount,
    concurrentCount,
    meanPackageBytes,
    loadedVersions,
    loadSeconds,
    idleLoadedMB,
    idleEmptyMB,
    idleSamplesMB: { empty: idleEmpty.samplesMB, loaded: idleLoaded.samplesMB },
    bigPush: {
      bytes,
      growthMB,
      freshSeconds,
      freshCpuSeconds,
      loadedSeconds,
      loadedCpuSeconds,
      cpSeconds,
      cpSyncSeconds,
    },
    profile,
  };
}

/** Issue 17's push and memory targets beside what this bench measured (report.ts). */
export function writesTargets(r: WritesResults): TargetRow[] {
  const perSecond = (runs: readonly PushRun[]) => median(runs.map((x) => x.perSecond));
  const cpu = (runs: readonly PushRun[]) => median(runs.map((x) => x.serverCpuMsPerPush));
  const t = writeTargets;
  const of = `median of ${r.runs} runs of ${r.sequentialCount} and ${r.concurrentCount} pushes, one process`;
  const big = `${(r.bigPush.bytes / 1024 ** 2).toFixed(0)} MB`;
  return [
    atLeast(
      'pushes',
      'small pushes, one at a time',
      perSecond(r.sequential),
      t.sequentialPerSecond,
      formats.perSecond,
      of,
    ),
    atLeast(
      'pushes',
      `small pushes, ${r.concurrency} in flight`,
      perSecond(r.concurrent),
      t.concurrentPerSecond,
      formats.perSecond,
      of,
    ),
    below(
      'pushes',
      'server CPU per push, one at a time',
      cpu(r.sequential),
      t.serverCpuMsPerPush,
      formats.ms,
    ),
    below(
      'pushes',
      `server CPU per push, ${r.concurrency} in flight`,
      cpu(r.concurrent),
      t.serverCpuMsPerPush,
      formats.ms,
    ),
    below(
      'memory',
      `RSS idle after ${r.loadedVersions} versions pushed over HTTP (one process)`,
      r.idleLoadedMB,
      t.idleLoadedMB,
      formats.mb,
      `empty feed: ${formats.mb(r.idleEmptyMB)}`,
    ),
    below(
      'memory',
      `RSS growth during a ${big} push, fresh server`,
      r.bigPush.growthMB,
      t.pushGrowthMB,
      formats.mb,
    ),
    below(
      'memory',
      `${big} push into the loaded server, ÷ cp + fsync of the same bytes`,
      r.bigPush.loadedSeconds / r.bigPush.cpSyncSeconds,
      1,
      formats.times,
      `push ${r.bigPush.loadedSeconds.toFixed(2)} s, server CPU ${r.bigPush.loadedCpuSeconds.toFixed(2)} s ` +
        `(fresh server ${r.bigPush.freshSeconds.toFixed(2)} s, CPU ${r.bigPush.freshCpuSeconds.toFixed(2)} s); ` +
        `cp ${r.bigPush.cpSeconds.toFixed(2)} s, cp + fsync ${r.bigPush.cpSyncSeconds.toFixed(2)} s`,
    ),
  ];
}

/** The markdown of `--only writes`. */
export function writesMarkdown(startedAt: Date, machine: Record<string, unknown>, r: WritesResults): string {
  const load = (machine['loadAverage'] as number[] | undefined)?.map((n) => n.toFixed(1)).join(' ');
  return [
    `# nugget write benchmark, ${startedAt.toISOString().slice(0, 10)}`,
    '',
    `Machine: ${String(machine['cpu'])} x ${String(machine['cpus'])}, ${Number(machine['memoryGB']).toFixed(0)} GB, ` +
      `Node ${String(machine['node'])}, ${machine['pinned'] ? 'server on CPU 0, load generator on CPU 1' : 'not pinned'}, ` +
      `load average at the end ${load}. Commit ${String(machine['commit']).slice(0, 10)}` +
      `${machine['dirty'] ? ' (with uncommitted changes)' : ''}. ${r.sequentialCount} pushes one at a time, then ` +
      `${r.concurrentCount} with ${r.concurrency} in flight, into a fresh server, ${r.runs} times.`,
    '',
    targetsTable(writesTargets(r)),
    '',
  ].join('\n');
}
