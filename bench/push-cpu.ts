// Server CPU per small push, two checkouts side by side (issue 17): `node bench/push-cpu.ts --against <dir>` runs
// this checkout's server and the one in <dir> (a checkout of another commit, with its node_modules) in turns, each
// on a fresh data folder: `--pushes` small pushes one at a time, then twice as many with 8 in flight, `--rounds`
// times. CPU per push hardly depends on the machine's load, pushes per second do; the load average is printed with
// each round. `--cpu-prof <dir>` writes a CPU profile of each server there.
// Run: node bench/push-cpu.ts [--against /tmp/main-checkout] [--rounds 3] [--pushes 300] [--cpu-prof /tmp/profiles]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildNupkg } from '../test/fixtures/build-nupkg.ts';
import { pushPackage, startCheckoutServer, stopCheckoutServer } from './checkout-server.ts';
import { median } from './writes.ts';

const { values } = parseArgs({
  options: {
    against: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    pushes: { type: 'string', default: '300' },
    'cpu-prof': { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const pushes = Number(values.pushes);
const concurrency = 8;
const apiKey = 'bench-key';
const here = resolve(import.meta.dirname, '..');
const checkouts = [here, ...(values.against ? [resolve(values.against)] : [])];
const clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** User and system CPU of a process (every thread: libuv's pool runs the file calls), in microseconds. */
function cpuMicrosOf(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return {
    user: (Number(fields[11]) * 1_000_000) / clockTicksPerSecond,
    system: (Number(fields[12]) * 1_000_000) / clockTicksPerSecond,
  };
}

const start = (root: string, dataDir: string) =>
  startCheckoutServer(root, ['--data-dir', dataDir, '--api-key', apiKey, '--workers', '1'], {
    nodeArgs: values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [],
  });
const push = (base: string, nupkg: Buffer) => pushPackage(base, nupkg, apiKey);

async function packages(prefix: string, count: number): Promise<Buffer[]> {
  const words = 'json http client logging test data async core web api sql cache'.split(' ');
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      buildNupkg({
        id: `${prefix}${i}`,
        version: '1.0.0',
        description: `Benchmark package ${i}: ${words.slice(i % 6, (i % 6) + 6).join(' ')}`,
        tags: words.slice(i % 9, (i % 9) + 3),
        dependencyGroups: [
          { targetFramework: 'net8.0', dependencies: [{ id: 'Newtonsoft.Json', range: '13.0.1' }] },
        ],
        licenseExpression: 'MIT',
      }),
    ),
  );
}

async function pushAll(base: string, pid: number, nupkgs: readonly Buffer[], inFlight: number) {
  let next = 0;
  const cpuBefore = cpuMicrosOf(pid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < nupkgs.length) await push(base, nupkgs[next++] as Buffer);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuMicrosOf(pid);
  const perPush = (micros: number) => micros / 1000 / nupkgs.length;
  return {
    perSecond: nupkgs.length / seconds,
    cpuMs: perPush(cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system),
    systemMs: perPush(cpuAfter.system - cpuBefore.system),
  };
}

const work = await mkdtemp(join(tmpdir(), 'nugget-push-cpu-'));
const results = new Map<string, { one: number[]; eight: number[]; oneRate: number[]; eightRate: number[] }>();
try {
  for (let round = 0; round < rounds; round++) {
    for (const [index, root] of checkouts.entries()) {
      const dataDir = join(work, `r${round}-${index}`);
      const server = await start(root, dataDir);
      try {
        const one = await pushAll(server.base, server.child.pid ?? 0, await packages('Bench.One', pushes), 1);
        const eight = await pushAll(
          server.base,
          server.child.pid ?? 0,
          await packages('Bench.Eight', pushes * 2),
          concurrency,
        );
        const entry = results.get(root) ?? { one: [], eight: [], oneRate: [], eightRate: [] };
        entry.one.push(one.cpuMs);
        entry.eight.push(eight.cpuMs);
        entry.oneRate.push(one.perSecond);
        entry.eightRate.push(eight.perSecond);
        results.set(root, entry);
        console.log(
          `round ${round + 1} ${root}: one at a time ${one.cpuMs.toFixed(2)} ms CPU/push ` +
            `(system ${one.systemMs.toFixed(2)}) ${one.perSecond.toFixed(0)}/s; ${concurrency} in flight ` +
            `${eight.cpuMs.toFixed(2)} ms (system ${eight.systemMs.toFixed(2)}) ${eight.perSecond.toFixed(0)}/s; ` +
            `load ${loadavg()
              .map((l) => l.toFixed(1))
              .join(' ')}`,
        );
      } finally {
        await stopCheckoutServer(server.child);
        await rm(dataDir, { recursive: true, force: true });
      }
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
for (const [root, r] of results) {
  console.log(
    `median ${root}: one at a time ${median(r.one).toFixed(2)} ms CPU/push ${median(r.oneRate).toFixed(0)}/s; ` +
      `${concurrency} in flight ${median(r.eight).toFixed(2)} ms ${median(r.eightRate).toFixed(0)}/s`,
  );
}
