// `nugget prefetch <feed> --project <csproj|sln|slnx|packages.lock.json>`: make a (virtual) feed of a running nugget
// hold everything those builds restore, so they restore later with nothing but nugget reachable
// (docs/upstreams.md, "Prefetch"; docs/decisions/0014-upstream-kit-prefetch-over-http.md).
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { invalidInput } from '../../errors.ts';
import { prefetchPackages } from '../../packages/prefetch.ts';
import { feedPrefetchSource } from '../../packages/prefetch-source.ts';
import {
  type PackageRequest,
  parseCentralVersions,
  parseLockFile,
  parseProjectFile,
  parseSolution,
} from '../../packages/project-references.ts';
import { RemoteFeedError } from '../../packages/remote-feed.ts';
import { HttpRemoteFeed } from '../../storage/remote/http-remote-feed.ts';

const positive = (name: string) => (text: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidArgumentError(`${name} must be a whole number of at least 1.`);
  return value;
};

const exists = (file: string) =>
  stat(file).then(
    (s) => s.isFile(),
    () => false,
  );

/** The nearest file of this name in `dir` or a folder above it (how MSBuild finds Directory.*.props). */
async function nearest(dir: string, name: string): Promise<string | undefined> {
  for (let current = dir; ; current = path.dirname(current)) {
    const candidate = path.join(current, name);
    if (await exists(candidate)) return candidate;
    if (path.dirname(current) === current) return undefined;
  }
}

interface BuildInputs {
  requests: PackageRequest[];
  frameworks: Set<string>;
  warnings: string[];
}

async function readProject(file: string, inputs: BuildInputs): Promise<void> {
  const dir = path.dirname(file);
  const propsFile = await nearest(dir, 'Directory.Packages.props');
  const central = propsFile
    ? parseCentralVersions(await readFile(propsFile, 'utf8'), propsFile)
    : new Map<string, string>();
  const project = parseProjectFile(await readFile(file, 'utf8'), file, central);
  const buildProps = await nearest(dir, 'Directory.Build.props');
  const fromProps = buildProps
    ? parseProjectFile(await readFile(buildProps, 'utf8'), buildProps, central)
    : undefined;
  for (const part of [project, fromProps]) {
    if (!part) continue;
    inputs.requests.push(...part.requests);
    for (const f of part.frameworks) inputs.frameworks.add(f);
    for (const id of part.unversioned)
      inputs.warnings.push(`${file}: ${id} has no version nugget can read (an MSBuild property?): left out`);
  }
}

async function readInputs(files: readonly string[]): Promise<BuildInputs> {
  const inputs: BuildInputs = { requests: [], frameworks: new Set(), warnings: [] };
  for (const given of files) {
    const file = path.resolve(given);
    if (!(await exists(file)))
      throw invalidInput(
        'invalid_project',
        `${given} does not exist (give a .csproj, .sln, .slnx or packages.lock.json).`,
      );
    if (/\.slnx?$/i.test(file)) {
      for (const relative of parseSolution(await readFile(file, 'utf8'), file))
        await readProject(path.resolve(path.dirname(file), relative), inputs);
    } else if (/\.json$/i.test(file)) {
      const lock = parseLockFile(await readFile(file, 'utf8'), file);
      inputs.requests.push(...lock.requests);
      for (const f of lock.frameworks) inputs.frameworks.add(f);
    } else if (/\.(cs|fs|vb)proj$|\.props$|\.targets$/i.test(file)) {
      await readProject(file, inputs);
    } else {
      throw invalidInput(
        'invalid_project',
        `${given}: give a .csproj, .fsproj, .vbproj, .sln, .slnx or packages.lock.json.`,
      );
    }
  }
  return inputs;
}

export function prefetchCommand(program: Command): void {
  program
    .command('prefetch')
    .description(
      'make a feed of a running nugget keep every package the given builds restore (for air-gapped use)',
    )
    .argument('<feed>', 'the feed the builds use (a virtual feed, usually)')
    .requiredOption(
      '--project <files...>',
      '.csproj, .sln, .slnx or packages.lock.json files (several allowed)',
    )
    .option('--server <url>', 'the base URL of the nugget server', 'http://localhost:5000')
    .option('--api-key-file <file>', 'a file holding a key with read access (for a private feed)')
    .option('--concurrency <n>', 'requests at once', positive('--concurrency'), 4)
    .option(
      '--timeout <seconds>',
      'give up on a request after this long without progress',
      positive('--timeout'),
      300,
    )
    .action(async (feed: string, flags: Record<string, unknown>) => {
      const inputs = await readInputs(flags['project'] as string[]);
      for (const warning of inputs.warnings) console.error(warning);
      const server = String(flags['server']).replace(/\/+$/, '');
      const serviceIndexUrl = `${server}/feeds/${encodeURIComponent(feed)}/v3/index.json`;
      const keyFile = flags['apiKeyFile'];
      const key = typeof keyFile === 'string' ? (await readFile(keyFile, 'utf8')).trim() : undefined;
      const remote = new HttpRemoteFeed({
        tempDir: path.join(tmpdir(), 'nugget-prefetch'),
        headers: key ? { Authorization: `Basic ${Buffer.from(`prefetch:${key}`).toString('base64')}` } : {},
        timeoutMs: Number(flags['timeout']) * 1000,
        retry: { attempts: 3 },
      });
      // Loaded here, not at start: the server never draws a progress bar.
      const { SingleBar } = await import('cli-progress');
      const bar = new SingleBar({
        format: 'prefetching [{bar}] {value}/{total} packages {what}',
        stream: process.stderr,
        hideCursor: true,
        noTTYOutput: true,
        notTTYSchedule: 2000,
      });
      bar.start(inputs.requests.length, 0, { what: '' });
      try {
        const source = await feedPrefetchSource(remote, serviceIndexUrl);
        const summary = await prefetchPackages(
          source,
          {
            requests: inputs.requests,
            frameworks: [...inputs.frameworks],
            concurrency: Number(flags['concurrency']),
          },
          {
            found: (total) => bar.setTotal(total),
            downloaded: (lowerId, lowerVersion) => bar.increment(1, { what: `${lowerId} ${lowerVersion}` }),
          },
        );
        bar.stop();
        for (const line of summary.missing) console.error(`missing: ${line}`);
        console.log(
          `Feed '${feed}' holds ${summary.packages.length} packages for ${inputs.requests.length} references ` +
            `(${(summary.bytes / 1024 / 1024).toFixed(1)} MB read)` +
            (summary.missing.length ? `; ${summary.missing.length} missing (above)` : ''),
        );
        if (summary.missing.length) process.exitCode = 1;
      } catch (error) {
        bar.stop();
        if (!(error instanceof RemoteFeedError)) throw error;
        console.error(error.message);
        process.exitCode = 1;
      } finally {
        await remote.close();
      }
    });
}
