// `nugget replicate --from <service index URL>`: copy another V3 feed into this one, incrementally.
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { composeNugget } from '../../compose.ts';
import { addConfigOptions, configFromFlags } from '../../config/config.ts';
import { replicateFeed } from '../../packages/replicate-feed.ts';
import { HttpRemoteFeed } from '../../storage/remote/http-remote-feed.ts';

export function replicateCommand(program: Command): void {
  addConfigOptions(
    program
      .command('replicate')
      .description(
        "copy another V3 feed's packages into this feed, continuing from where the last run stopped",
      )
      .requiredOption('--from <url>', 'the service index URL of the source feed')
      .option('--feed <name>', 'the feed of this server to replicate into (its own cursor)', 'default')
      .option('--ids <ids>', 'comma-separated ids to copy when the source has no catalog')
      .option('--source-header <header...>', "request header for the source, e.g. 'Authorization: Bearer x'"),
  ).action(async (flags: Record<string, unknown>) => {
    const config = configFromFlags(flags);
    const nugget = await composeNugget({ ...config, logLevel: 'warn' });
    const headers = Object.fromEntries(
      ((flags['sourceHeader'] as string[] | undefined) ?? []).map((h) => {
        const at = h.indexOf(':');
        return [h.slice(0, at).trim(), h.slice(at + 1).trim()];
      }),
    );
    const bar = new SingleBar({
      format: 'replicating [{bar}] {value}/{total} {what}',
      stream: process.stderr,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5000,
    });
    try {
      const { feed, stores } = await nugget.openFeed(String(flags['feed']));
      const summary = await replicateFeed(
        {
          feed,
          packages: stores.packages,
          blobs: nugget.services.blobs,
          clock: nugget.services.clock,
          cursors: stores.replicationCursors,
          remote: new HttpRemoteFeed({ tempDir: join(resolve(config.dataDir), 'tmp'), headers }),
        },
        {
          source: String(flags['from']),
          ids: typeof flags['ids'] === 'string' ? flags['ids'].split(',').map((s) => s.trim()) : undefined,
        },
        {
          start: (total) => bar.start(total, 0, { what: '' }),
          advance: (what) => bar.increment({ what }),
        },
      );
      bar.stop();
      console.log(
        `Replicated ${String(flags['from'])} into feed '${feed.name}': ${summary.added} added, ${summary.updated} updated, ` +
          `${summary.deleted} deleted, ${summary.skipped} skipped` +
          (summary.cursor ? `; cursor ${summary.cursor}` : ''),
      );
    } finally {
      bar.stop();
      await nugget.close();
    }
  });
}
