// `nugget backup <dir>` and `nugget restore <dir>`: a consistent copy of the embedded feed (SQLite's online
// backup of nugget.db, then the package files), taken while the server runs, and its way back into an empty data
// directory. PostgreSQL feeds use pg_dump / pg_restore instead: docs/deployment.md, "Backup and restore".
import type { Command } from 'commander';
import { type BackupReport, backupFeed, restoreFeed } from '../../compose.ts';
import { addConfigOptions, configFromFlags } from '../../config/config.ts';

function summary(report: BackupReport): string {
  const files = report.filesElsewhere
    ? `package files stay in ${report.filesElsewhere} (back up the bucket with its own tools)`
    : `the files of all ${report.referencedPrefixes} pushes are there`;
  return `${report.packageVersions} package versions; ${files}`;
}

function failIfIncomplete(report: BackupReport, what: string): boolean {
  if (report.missingPrefixes.length === 0) return false;
  console.error(
    `${what} is NOT complete: the files of ${report.missingPrefixes.length} pushes are missing ` +
      `(deleted while the copy ran?): ${report.missingPrefixes.slice(0, 10).join(', ')}`,
  );
  process.exitCode = 1;
  return true;
}

export function backupCommands(program: Command): void {
  addConfigOptions(
    program
      .command('backup')
      .description('copy the feed (database and package files) into a new directory; safe while serving')
      .argument('<dir>', 'a new or empty directory to write nugget.db and blobs/ into'),
    'storage',
  ).action(async (dir: string, flags: Record<string, unknown>) => {
    const report = await backupFeed(configFromFlags(flags), dir);
    if (failIfIncomplete(report, 'The backup')) return;
    console.log(`Backed up into ${dir}: ${summary(report)}.`);
  });

  addConfigOptions(
    program
      .command('restore')
      .description(
        'make a backup the feed of a new or empty data directory (stop nothing: it writes no live feed)',
      )
      .argument('<dir>', 'a directory written by nugget backup'),
    'storage',
  ).action(async (dir: string, flags: Record<string, unknown>) => {
    const config = configFromFlags(flags);
    const report = await restoreFeed(dir, config);
    if (failIfIncomplete(report, 'The restored feed')) return;
    console.log(
      `Restored into ${config.dataDir}: ${summary(report)}. Start nugget with --data-dir ${config.dataDir}.`,
    );
  });
}
