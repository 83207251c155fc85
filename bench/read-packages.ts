// Benchmark (not a test): how fast readNupkg (zip listing + nuspec parse + embedded files) goes over
// the real packages in a global-packages folder and a synthetic set built in code.
// Run: npm run bench:read [-- <rounds>]   (env NUGGET_REAL_PACKAGES_DIR overrides /opt/nuget/packages)
// Prints nupkgs/second and MB/s and writes bench/results/read-packages-<date>.json.
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNuspec } from '../src/nuget/packaging/nuspec.ts';
import { readNupkg } from '../src/nuget/packaging/read-nupkg.ts';
import { buildNupkg, type NupkgSpec } from '../test/fixtures/build-nupkg.ts';
import { defaultRealPackagesDir, findRealPackages } from '../test/fixtures/real-packages.ts';

const rounds = Number(process.argv[2] ?? process.env['BENCH_ROUNDS'] ?? 20);
const realRoot = process.env['NUGGET_REAL_PACKAGES_DIR'] ?? defaultRealPackagesDir;

function syntheticSpecs(): NupkgSpec[] {
  const specs: NupkgSpec[] = [];
  for (let index = 0; index < 40; index++) {
    specs.push({
      id: `Bench.Small${index}`,
      version: `1.${index}.0`,
      tags: ['bench', 'small'],
      dependencyGroups: [
        { targetFramework: 'net8.0', dependencies: [{ id: 'Newtonsoft.Json', range: '[13.0.3, )' }] },
        { targetFramework: 'netstandard2.0', dependencies: [] },
      ],
      readme: { path: 'README.md', content: `# Bench.Small${index}\n\n${'Some readme text. '.repeat(200)}` },
      licenseExpression: 'MIT',
    });
  }
  for (let index = 0; index < 5; index++) {
    specs.push({
      id: `Bench.ManyFiles${index}`,
      version: '2.0.0',
      files: Array.from({ length: 2000 }, (_, file) => ({
        path: `content/f${file}.txt`,
        content: `file ${file}`,
      })),
    });
  }
  // Incompressible bytes, so the archive is as big on disk as it is inflated.
  const big = Buffer.alloc(20 * 1024 * 1024);
  for (let offset = 0; offset < big.length; offset += 4)
    big.writeUInt32LE((Math.imul(offset, 2654435761) ^ (offset >>> 3)) >>> 0, offset);
  specs.push({
    id: 'Bench.Large',
    version: '3.0.0',
    files: [{ path: 'lib/net8.0/Bench.Large.dll', content: big }],
    icon: { path: 'icon.png', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  });
  return specs;
}

interface SetResult {
  readonly set: string;
  readonly packages: number;
  readonly bytesPerRound: number;
  readonly rounds: number;
  readonly seconds: number;
  readonly nupkgsPerSecond: number;
  readonly megabytesPerSecond: number;
  readonly nuspecParsesPerSecond: number;
}

async function measure(set: string, paths: readonly string[]): Promise<SetResult> {
  let bytesPerRound = 0;
  for (const path of paths) bytesPerRound += (await stat(path)).size;
  const nuspecs: Buffer[] = [];
  for (const path of paths) nuspecs.push((await readNupkg(path)).nuspecBytes); // warm-up + inputs
  const started = process.hrtime.bigint();
  for (let round = 0; round < rounds; round++) {
    for (const path of paths) await readNupkg(path);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const parseRounds = rounds * 20;
  const parseStarted = process.hrtime.bigint();
  for (let round = 0; round < parseRounds; round++) for (const nuspec of nuspecs) parseNuspec(nuspec);
  const parseSeconds = Number(process.hrtime.bigint() - parseStarted) / 1e9;
  return {
    set,
    packages: paths.length,
    bytesPerRound,
    rounds,
    seconds,
    nupkgsPerSecond: (paths.length * rounds) / seconds,
    megabytesPerSecond: (bytesPerRound * rounds) / seconds / (1024 * 1024),
    nuspecParsesPerSecond: (nuspecs.length * parseRounds) / parseSeconds,
  };
}

const work = await mkdtemp(join(tmpdir(), 'nugget-bench-read-'));
try {
  const real = findRealPackages(realRoot).map((item) => item.path);
  if (real.length === 0) throw new Error(`no .nupkg files under ${realRoot}`);
  const synthetic: string[] = [];
  for (const spec of syntheticSpecs()) {
    const path = join(work, `${spec.id}.${spec.version}.nupkg`);
    await writeFile(path, await buildNupkg(spec));
    synthetic.push(path);
  }
  const results = [await measure(`real (${realRoot})`, real), await measure('synthetic', synthetic)];
  for (const result of results) {
    console.log(
      `${result.set}: ${result.packages} packages x ${result.rounds} rounds, ` +
        `${(result.bytesPerRound / 1024 / 1024).toFixed(1)} MB per round: ` +
        `${result.nupkgsPerSecond.toFixed(0)} nupkgs/s, ${result.megabytesPerSecond.toFixed(0)} MB/s ` +
        `(parseNuspec alone: ${result.nuspecParsesPerSecond.toFixed(0)} nuspecs/s)`,
    );
  }
  const date = new Date().toISOString().slice(0, 10);
  const output = join(import.meta.dirname, 'results', `read-packages-${date}.json`);
  await mkdir(join(import.meta.dirname, 'results'), { recursive: true });
  await writeFile(
    output,
    `${JSON.stringify(
      {
        benchmark: 'read-packages',
        date: new Date().toISOString(),
        node: process.version,
        cpu: cpus()[0]?.model,
        cpus: cpus().length,
        results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${output}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
