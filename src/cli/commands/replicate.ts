// `nugget replicate --from <service index URL>`: copy another V3 feed into this one, incrementally.
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { replicateFeed } from '../../packages/replicate-feed.ts';
import { HttpRemoteFeed } from '../../storage/remote/http-remote-feed.ts';
import { feedCommand, openFeed } from '../open-feed.ts';

export function replicateCommand(program: Command): void {
  feedCommand(
    program
      .command('replicate')
      .description(
        "copy another V3 feed's packages into this feed, continuing from where the last run stopped",
      )
      .requiredOption('--from <url>', 'the service index URL of the source feed')
      .option('--ids <ids>', 'comma-separated ids to copy when the source has no catalog')
      .option('--source-header <header...>', "request header for the source, e.g. 'Authorization: Bearer x'"),
  ).action(async (flags: Record<string, unknown>) => {
    const nugget = await openFeed(flags);
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
      const summary = await replicateFeed(
        {
          ...nugget.feed,
          cursors: nugget.replicationCursors,
          remote: new HttpRemoteFeed({ tempDir: nugget.feed.options.tempDir, headers }),
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
        `Replicated ${String(flags['from'])}: ${summary.added} added, ${summary.updated} updated, ` +
          `${summary.deleted} deleted, ${summary.skipped} skipped` +
          (summary.cursor ? `; cursor ${summary.cursor}` : ''),
      );
    } finally {
      bar.stop();
      await nugget.close();
    }
  });
}
