// Replication benchmark (issue 10, class 15): `nugget replicate` following a catalog of 1,000,000 items, served
// by an in-process synthetic feed that computes every document on request (test/fixtures/synthetic-catalog-server.ts:
// 1,819 pages of 550 items, commits of 3 items that span pages, shuffled pages and items, unlists and deletes).
// The replicate process (the real command line, a child process) reads every page and copies the versions of a
// few ids (--ids), so it processes every item and downloads only what those ids need. Its VmRSS is sampled from
// /proc every 250 ms and set against the items read so far (parsed from its progress lines).
//
// Run: npm run bench:replicate [-- --items 1000000] [--ids 3] [--sizes 100000,1000000] [--baseline <git rev>]
// --sizes runs one catalog size after the other, to show that memory does not depend on the catalog's size; the
// largest runs again with V8's heap kept small, where only a replicate that holds little can finish.
// --baseline <rev> also runs that revision's `nugget replicate` on the largest size, for as long as it reads the
// catalog (it is stopped when it starts copying: before this change it gathered every item first).
// Writes bench/results/replicate-catalog-<yyyy-mm-dd>.json (every sample) and .md (the summary).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startSyntheticCatalog } from '../test/fixtures/synthetic-catalog-server.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const { values: flags } = parseArgs({
  options: {
    items: { type: 'string' },
    sizes: { type: 'string' },
    ids: { type: 'string' },
    baseline: { type: 'string' },
    'sample-ms': { type: 'string' },
  },
});
const sizes = (flags.sizes ?? flags.items ?? '100000,1000000').split(',').map(Number);
const idsToCopy = Number(flags.ids ?? 3);
const sampleMs = Number(flags['sample-ms'] ?? 250);
const heapCapMiB = 64;
const log = (line: string) => console.log(line);

interface Sample {
  /** Seconds since the process started. */
  readonly t: number;
  readonly rssMiB: number;
  /** Catalog items read so far, from the last progress line. */
  readonly itemsRead: number;
}

interface Run {
  readonly label: string;
  readonly items: number;
  readonly pages: number;
  readonly ids: readonly string[];
  readonly seconds: number;
  readonly exit: string;
  readonly summary: string;
  readonly samples: readonly Sample[];
  readonly peakRssMiB: number;
  /** VmHWM, read just before the process ended (0 when it ended between two reads). */
  readonly hwmMiB: number;
  readonly served: Record<string, number>;
  readonly expectedCopies: number;
}

const statusField = (pid: number, field: string): number | undefined => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
};

/** Runs one `nugget replicate` to its end (or until `stopWhen` says so), sampling its memory. */
async function measure(
  label: string,
  cliPath: string,
  items: number,
  options: { nodeFlags?: string[]; stopWhen?: (stderrLine: string) => boolean } = {},
): Promise<Run> {
  const { nodeFlags = [], stopWhen } = options;
  const pageSize = 550;
  const ids = Math.max(1, Math.floor(items / 100));
  const source = await startSyntheticCatalog({ items, pageSize, commitSize: 3, ids });
  const wanted = Array.from({ length: idsToCopy }, (_, k) =>
    source.idOf(Math.floor(((k + 1) * ids) / (idsToCopy + 1))),
  );
  const dataDir = await mkdtemp(join(tmpdir(), 'nugget-bench-replicate-'));
  let child: ChildProcess | undefined;
  try {
    const started = performance.now();
    child = spawn(
      process.execPath,
      [
        ...nodeFlags,
        cliPath,
        'replicate',
        '--from',
        source.url,
        '--ids',
        wanted.join(','),
        '--data-dir',
        dataDir,
        '--create',
      ],
      { cwd: repoRoot, env: { ...process.env, NUGGET_LOG_LEVEL: 'warn' }, detached: true },
    );
    const pid = child.pid!;
    const samples: Sample[] = [];
    let itemsRead = 0;
    let stdout = '';
    let hwm = 0;
    let stopped = false;
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    let pending = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const progress = /\] (\d+)\/(\d+) /.exec(line);
        if (progress) itemsRead = Number(progress[1]);
        if (!stopped && stopWhen?.(line)) {
          stopped = true;
          process.kill(-pid, 'SIGKILL');
        }
      }
    });
    const timer = setInterval(() => {
      const rss = statusField(pid, 'VmRSS');
      hwm = statusField(pid, 'VmHWM') ?? hwm;
      if (rss !== undefined) {
        samples.push({
          t: (performance.now() - started) / 1000,
          rssMiB: Math.round(rss * 10) / 10,
          itemsRead,
        });
      }
    }, sampleMs);
    const exit = await new Promise<string>((resolveExit) =>
      child!.on('close', (code, signal) => resolveExit(signal ?? `exit ${code}`)),
    );
    clearInterval(timer);
    const seconds = (performance.now() - started) / 1000;
    const run: Run = {
      label,
      items,
      pages: Math.ceil(items / pageSize),
      ids: wanted,
      seconds: Math.round(seconds * 10) / 10,
      exit: stopped ? 'stopped when it began copying' : exit,
      summary: stdout.trim(),
      samples,
      peakRssMiB: Math.max(...samples.map((s) => s.rssMiB)),
      hwmMiB: Math.round(hwm * 10) / 10,
      served: Object.fromEntries(source.served.requests),
      expectedCopies: stopWhen ? 0 : source.expected(new Set(wanted.map((id) => id.toLowerCase()))).size,
    };
    log(
      `${label}: ${items} items in ${run.seconds} s (${run.exit}); RSS peak ${run.peakRssMiB} MiB, ` +
        `VmHWM ${run.hwmMiB} MiB; ${run.summary}`,
    );
    return run;
  } finally {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await source.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** A checkout of `rev` beside this one, sharing its node_modules. */
async function checkout(rev: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'nugget-bench-baseline-'));
  execFileSync('git', ['worktree', 'add', '--detach', path, rev], { cwd: repoRoot, stdio: 'ignore' });
  await symlink(join(repoRoot, 'node_modules'), join(path, 'node_modules'));
  return {
    path,
    remove: async () => {
      execFileSync('git', ['worktree', 'remove', '--force', path], { cwd: repoRoot, stdio: 'ignore' });
      await rm(path, { recursive: true, force: true });
    },
  };
}

/** The highest RSS in each tenth of the run's time (reading is steady, so also of the catalog): flat is flat. */
function byTenth(run: Run): string[] {
  const cells: string[] = [];
  const end = run.samples.at(-1)?.t ?? 0;
  for (let tenth = 0; tenth < 10; tenth++) {
    const inTenth = run.samples.filter((s) => s.t > (end * tenth) / 10 && s.t <= (end * (tenth + 1)) / 10);
    cells.push(inTenth.length > 0 ? String(Math.max(...inTenth.map((s) => s.rssMiB))) : '–');
  }
  return cells;
}

const runs: Run[] = [];
const largest = Math.max(...sizes);
for (const items of sizes) runs.push(await measure(`this branch, ${items} items`, 'src/cli/main.ts', items));
// V8 sizes its heap to the allocation rate, not only to what is live: its young generation (semi-spaces of up to tens of
// MB) grows while pages stream through, the old one by its own heuristics. Capped (a small young generation, an old
// one of 64 MB), a replicate that held the catalog would run out of memory; one that holds a page finishes, flat.
const heapFlags = [`--max-old-space-size=${heapCapMiB}`, '--max-semi-space-size=4'];
runs.push(
  await measure(`this branch, ${largest} items, ${heapFlags.join(' ')}`, 'src/cli/main.ts', largest, {
    nodeFlags: heapFlags,
  }),
);
if (flags.baseline) {
  const old = await checkout(flags.baseline);
  try {
    runs.push(
      await measure(
        `${flags.baseline} (before), ${largest} items`,
        join(old.path, 'src/cli/main.ts'),
        largest,
        {
          stopWhen: (line) => /replicating \[/.test(line),
        },
      ),
    );
  } finally {
    await old.remove();
  }
}

const date = new Date().toISOString().slice(0, 10);
const machine = `${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}`;
const resultsDir = join(repoRoot, 'bench', 'results');
await mkdir(resultsDir, { recursive: true });
const base = join(resultsDir, `replicate-catalog-${date}`);
await writeFile(`${base}.json`, `${JSON.stringify({ date, machine, sampleMs, runs }, null, 2)}\n`);

const rows = runs.map((run) => {
  const end = run.samples.at(-1)?.t ?? 0;
  const steady = run.samples.filter((s) => s.t >= end * 0.1);
  const rss = steady.map((s) => s.rssMiB);
  return (
    `| ${run.label} | ${run.pages} | ${run.seconds} | ${Math.round(run.items / run.seconds)} | ` +
    `${rss.length ? Math.min(...rss) : '–'} | ${run.peakRssMiB} | ${run.hwmMiB || '–'} | ${run.served['nupkg'] ?? 0} | ` +
    `${run.exit} |`
  );
});
const markdown = [
  `# Replication benchmark, ${date}`,
  '',
  `Machine: ${machine}. The source is test/fixtures/synthetic-catalog-server.ts in the bench process (pages of 550 ` +
    'items computed on request, commits of 3 items that span pages, shuffled); `nugget replicate --ids` of ' +
    `${idsToCopy} of the items/100 ids (so every item is read and about 0.3% of them copied) as a child process ` +
    `on SQLite, its VmRSS read from /proc every ${sampleMs} ms.`,
  '',
  '| run | pages | seconds | items/s | RSS after the first tenth, least (MiB) | RSS peak (MiB) | VmHWM (MiB) | nupkgs downloaded | end |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ...rows,
  '',
  'RSS (MiB, the highest sample) in each tenth of the run:',
  '',
  `| run | ${Array.from({ length: 10 }, (_, k) => `${(k + 1) * 10}%`).join(' | ')} |`,
  `| --- | ${Array.from({ length: 10 }, () => '---:').join(' | ')} |`,
  ...runs.map((run) => `| ${run.label} | ${byTenth(run).join(' | ')} |`),
  '',
];
await writeFile(`${base}.md`, markdown.join('\n'));
log(`Wrote ${base}.json and .md`);
