// Benchmark (not a test): what durable writes cost a push (docs/decisions/0006-faults-write-order-and-durability.md).
// Pushes the same packages through the whole server (in-process, inject) four ways: package files synced or not
// (fsync of the data before the rename, of the folders after it) and SQLite commits with synchronous=NORMAL or
// FULL (WAL mode), on the disk that holds the temp dir (or --dir). Also times the file store's putFile alone.
// Run: node bench/durable-writes.ts [--pushes 150] [--size 100000] [--dir /path/on/the/disk/to/measure]
// Prints a markdown table and writes bench/results/durable-writes-<date>.json.
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import type { BlobStore } from '../src/packages/ports.ts';
import { FileSystemBlobStore } from '../src/storage/blobs/file-system-blob-store.ts';
import { buildNupkg } from '../test/fixtures/build-nupkg.ts';
import { startFeed } from '../test/http/feed-fixture.ts';

const { values } = parseArgs({
  options: {
    pushes: { type: 'string', default: '150' },
    size: { type: 'string', default: '100000' },
    dir: { type: 'string' },
  },
});
const pushes = Number(values.pushes);
const size = Number(values.size);
const base = resolve(values.dir ?? tmpdir());

/** The file store as it was before durable writes: rename into place, no sync. The baseline. */
function unsyncedStore(root: string): BlobStore {
  const real = new FileSystemBlobStore(root);
  const place = async (key: string, write: (target: string) => Promise<void>) => {
    const target = join(root, key);
    await mkdir(dirname(target), { recursive: true });
    await write(target);
  };
  return {
    open: (key) => real.open(key),
    list: (prefix) => real.list(prefix),
    deletePrefix: (prefix) => real.deletePrefix(prefix),
    putFile: (key, source) => place(key, (target) => rename(source, target)),
    put: (key, bytes) =>
      place(key, async (target) => {
        await writeFile(`${target}.tmp`, bytes);
        await rename(`${target}.tmp`, target);
      }),
  };
}

interface Row {
  readonly files: 'synced' | 'not synced';
  readonly sqlite: 'NORMAL' | 'FULL';
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly pushesPerSecond: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;

async function measurePushes(files: Row['files'], synchronous: Row['sqlite']): Promise<Row> {
  const dataDir = await mkdtemp(join(base, 'nugget-bench-durable-'));
  const feed = await startFeed({ config: { dataDir } });
  try {
    if (files === 'not synced') {
      (feed.feed as { blobs: BlobStore }).blobs = unsyncedStore(join(dataDir, 'blobs'));
    }
    await sql.raw(`PRAGMA synchronous = ${synchronous}`).execute(feed.nugget.db);
    const filler = { path: 'lib/net8.0/payload.bin', content: Buffer.alloc(size, 7) };
    const packages = await Promise.all(
      Array.from({ length: pushes }, (_, i) =>
        buildNupkg({ id: `Bench.Durable${i}`, version: '1.0.0', files: [filler] }),
      ),
    );
    // Two warm-up pushes, not measured.
    for (const i of [0, 1]) await feed.push(await buildNupkg({ id: `Bench.Warm${i}`, version: '1.0.0' }));
    const times: number[] = [];
    const started = performance.now();
    for (const nupkg of packages) {
      const t = performance.now();
      const response = await feed.push(nupkg);
      if (response.statusCode !== 201)
        throw new Error(`push failed: ${response.statusCode} ${response.body}`);
      times.push(performance.now() - t);
    }
    const total = performance.now() - started;
    times.sort((a, b) => a - b);
    return {
      files,
      sqlite: synchronous,
      meanMs: total / pushes,
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      pushesPerSecond: (pushes * 1000) / total,
    };
  } finally {
    await feed.nugget.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function measurePutFile(synced: boolean): Promise<{ synced: boolean; meanMs: number }> {
  const root = await mkdtemp(join(base, 'nugget-bench-putfile-'));
  try {
    const store = synced ? new FileSystemBlobStore(join(root, 'blobs')) : unsyncedStore(join(root, 'blobs'));
    const bytes = Buffer.alloc(size, 5);
    const started = performance.now();
    for (let i = 0; i < pushes; i++) {
      const source = join(root, `upload-${i}`);
      await writeFile(source, bytes);
      await store.putFile(`packages/p${i}/1.0.0/x/p${i}.1.0.0.nupkg`, source);
    }
    return { synced, meanMs: (performance.now() - started) / pushes };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const files of ['not synced', 'synced'] as const) {
  for (const synchronous of ['NORMAL', 'FULL'] as const) rows.push(await measurePushes(files, synchronous));
}
const putFile = [await measurePutFile(false), await measurePutFile(true)];

const fmt = (n: number) => n.toFixed(2);
const load = loadavg().map((n) => n.toFixed(1));
const lines = [
  `Durable writes, ${pushes} pushes of a ${size}-byte payload each, data dir under ${base}; ` +
    `${cpus().length} CPUs, load average ${load.join(' ')} at the end (a busy machine makes every row slower)`,
  '',
  '| package files | SQLite synchronous | mean ms/push | p50 ms | p99 ms | pushes/s |',
  '| --- | --- | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.files} | ${r.sqlite} | ${fmt(r.meanMs)} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(r.pushesPerSecond)} |`,
  ),
  '',
  '| file store putFile alone | mean ms |',
  '| --- | ---: |',
  ...putFile.map((p) => `| ${p.synced ? 'synced' : 'not synced'} | ${fmt(p.meanMs)} |`),
];
console.log(lines.join('\n'));
const date = new Date().toISOString().slice(0, 10);
const out = join(import.meta.dirname, 'results', `durable-writes-${date}.json`);
await mkdir(dirname(out), { recursive: true });
await writeFile(
  out,
  `${JSON.stringify({ date, pushes, size, base, cpus: cpus().length, loadavg: load, rows, putFile }, null, 2)}\n`,
);
console.log(`\nwrote ${out}`);
