// `nugget replicate --from <service index URL>`: copy another V3 feed into this one, incrementally.
import type { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { invalidInput } from '../../errors.ts';
import { RemoteFeedError } from '../../packages/remote-feed.ts';
import { replicateFeed } from '../../packages/replicate-feed.ts';
import { HttpRemoteFeed } from '../../storage/remote/http-remote-feed.ts';
import { feedCommand, openFeed } from '../open-feed.ts';

const wholeNumber = (name: string, least: number) => (text: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < least) {
    throw new InvalidArgumentError(`${name} must be a whole number of at least ${least}.`);
  }
  return value;
};

function headersOf(values: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    values.map((header) => {
      const at = header.indexOf(':');
      if (at <= 0) {
        throw invalidInput(
          'replicate_bad_header',
          `--source-header '${header}' is not 'Name: value' (e.g. 'Authorization: Bearer <token>').`,
        );
      }
      return [header.slice(0, at).trim(), header.slice(at + 1).trim()];
    }),
  );
}

export function replicateCommand(program: Command): void {
  feedCommand(
    program
      .command('replicate')
      .description(
        "copy another V3 feed's packages into this feed, continuing from where the last run stopped",
      )
      .requiredOption('--from <url>', 'the service index URL of the source feed')
      .option('--feed <name>', 'the feed of this server to replicate into (its own cursor)', 'default')
      .option(
        '--ids <ids>',
        'comma-separated package ids: copy only these (required when the source has no catalog)',
      )
      .option('--source-header <header...>', "request header for the source, e.g. 'Authorization: Bearer x'")
      .option(
        '--timeout <seconds>',
        'give up on a request to the source after this long without progress',
        wholeNumber('--timeout', 1),
        60,
      )
      .option(
        '--retries <n>',
        'retries of a request that failed for a passing reason (5xx, 429, timeout, reset)',
        wholeNumber('--retries', 0),
        5,
      ),
  ).action(async (flags: Record<string, unknown>) => {
    const headers = headersOf((flags['sourceHeader'] as string[] | undefined) ?? []);
    const source = String(flags['from']);
    const nugget = await openFeed(flags);
    let opened;
    try {
      opened = await nugget.openFeed(String(flags['feed']));
    } catch (error) {
      await nugget.close();
      throw error;
    }
    const { feed, stores } = opened;
    // A MultiBar of one bar, for its log(): warnings and retries go above the bar without breaking its redrawing.
    // Loaded here, not at start: the server never draws a progress bar.
    const { MultiBar } = await import('cli-progress');
    const bars = new MultiBar({
      format: 'replicating [{bar}] {value}/{total} {unit} {what}',
      stream: process.stderr,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5000,
    });
    let bar: SingleBar | undefined;
    const log = (line: string) => (bar ? bars.log(`${line}\n`) : process.stderr.write(`${line}\n`));
    /** Writes what log() buffered, then the bar a last time. */
    const stopBars = () => {
      if (!bar) return;
      bars.update();
      bars.stop();
      bar = undefined;
    };
    const remote = new HttpRemoteFeed({
      tempDir: nugget.services.options.tempDir,
      headers,
      timeoutMs: Number(flags['timeout']) * 1000,
      retry: { attempts: Number(flags['retries']) + 1 },
      maxPackageBytes: feed.settings.maxPackageSize,
      onRetry: ({ url, reason, retry, retries, delayMs }) =>
        log(`GET ${url} ${reason}; retry ${retry} of ${retries} in ${(delayMs / 1000).toFixed(1)} s`),
    });
    try {
      const summary = await replicateFeed(
        {
          feed,
          packages: stores.packages,
          blobs: nugget.services.blobs,
          clock: nugget.services.clock,
          cursors: stores.replicationCursors,
          remote,
        },
        {
          source,
          ids: typeof flags['ids'] === 'string' ? flags['ids'].split(',') : undefined,
        },
        {
          start: (total, unit) => {
            bar = bars.create(total, 0, { unit, what: '' });
          },
          advance: (count) => bar?.increment(count),
          current: (what) => bar?.update({ what }),
          warn: log,
        },
      );
      stopBars();
      console.log(
        `Replicated ${source} into feed '${feed.name}': ${summary.added} added, ${summary.updated} updated, ` +
          `${summary.deleted} deleted, ${summary.skipped} skipped, ${summary.refused} refused` +
          (summary.cursor ? `; cursor ${summary.cursor}` : ''),
      );
    } catch (error) {
      if (!(error instanceof RemoteFeedError)) throw error;
      stopBars();
      const hint =
        error.status === 401 || error.status === 403
          ? " Pass credentials with --source-header 'Authorization: Bearer <token>' (or 'X-NuGet-ApiKey: <key>')."
          : '';
      console.error(`${error.message}${hint}`);
      process.exitCode = 1;
    } finally {
      stopBars();
      await remote.close();
      await nugget.close();
    }
  });
}
