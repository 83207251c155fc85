// `nugget gc`: remove package and symbol files no version refers to (left by a crash between storing the files
// and committing the row), and stale uploads in <data dir>/tmp. Safe beside running servers: only what is older
// than the grace period goes, so a push in progress on any node is never touched. Run it from cron. It works on
// every feed at once: feeds share one blob store.
import type { Command } from 'commander';
import { ConfigError, parseDuration } from '../../config/config.ts';
import { collectGarbage, defaultGracePeriodMs } from '../../packages/collect-garbage.ts';
import { feedCommand, openFeed } from '../open-feed.ts';

export function gcCommand(program: Command): void {
  feedCommand(
    program
      .command('gc')
      .description(
        'remove package files that no version of any feed refers to, and stale uploads; prints what it removed',
      )
      .option('--grace <duration>', 'leave anything younger than this, e.g. 30m, 2h (default 1h)')
      .option('--dry-run', 'only report what would be removed'),
  ).action(async (flags: Record<string, unknown>) => {
    let gracePeriodMs = defaultGracePeriodMs;
    if (typeof flags['grace'] === 'string') {
      try {
        gracePeriodMs = parseDuration(flags['grace']);
      } catch (error) {
        throw new ConfigError(`--grace: ${(error as Error).message}`);
      }
    }
    const dryRun = flags['dryRun'] === true;
    // openFeed keeps temp files: the sweep is this command's own work, reported below.
    const nugget = await openFeed(flags, { downloadFlushMs: 0 });
    try {
      const report = await collectGarbage(
        {
          feeds: async () =>
            (await nugget.feeds.list()).map((feed) => nugget.feeds.storesOf(feed.name).stores),
          blobs: nugget.services.blobs,
          clock: nugget.services.clock,
          tempDir: nugget.tempRoot,
        },
        { gracePeriodMs, dryRun },
      );
      const verb = dryRun ? 'Would remove' : 'Removed';
      for (const orphan of report.removed) {
        console.log(`${verb} ${orphan.prefix}/ (${orphan.keys.length} files, ${orphan.bytes} bytes)`);
        for (const key of orphan.keys) console.log(`  ${key}`);
      }
      for (const file of report.tempFiles) console.log(`${verb} tmp/${file.name} (${file.bytes} bytes)`);
      if (report.emptyFolders > 0) console.log(`${verb} ${report.emptyFolders} empty folders`);
      console.log(
        `${verb} ${report.removed.length} orphaned prefixes (${report.removed.reduce((n, o) => n + o.keys.length, 0)} ` +
          `files, ${report.removedBytes} bytes) and ${report.tempFiles.length} stale temp files; ` +
          `${report.referencedPrefixes} referenced prefixes kept` +
          (report.tooRecent.length > 0
            ? `; ${report.tooRecent.length} unreferenced prefixes younger than the grace period left for later.`
            : '.'),
      );
    } finally {
      await nugget.close();
    }
  });
}
