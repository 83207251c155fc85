// `nugget migrate-data --to postgres://... [--storage s3://...]`: move a feed from the embedded default (SQLite and
// files in the data directory) to the scale-out backends, with a progress bar on stderr, then verify the copy.
// Stop the servers of the source feed first: what they write during the copy is not copied. Rerunning continues
// a copy that stopped. Exit code 1 when the verification finds a difference. docs/deployment.md, "Moving a feed".
import type { Command } from 'commander';
import { composeFeedMigration } from '../../compose.ts';
import { ConfigError, configFromFlags } from '../../config/config.ts';
import { migrateFeed } from '../../packages/migrate-feed.ts';

export function migrateDataCommand(program: Command): void {
  program
    .command('migrate-data')
    .description(
      'copy the whole server, every feed (rows and package files), to PostgreSQL and S3-compatible storage, then verify it',
    )
    .requiredOption('--to <url>', 'the destination database: postgres://user:password@host:5432/db')
    .option(
      '--storage <url>',
      'the destination blob storage: s3://bucket/prefix?endpoint=... (default: keep the files where they are)',
    )
    .option('--data-dir <path>', "the source feed's data directory (default ./data) [env NUGGET_DATA_DIR]")
    .option(
      '--database <url>',
      "the source database when it is not the data directory's SQLite [env NUGGET_DATABASE_URL]",
    )
    .option(
      '--from-storage <url>',
      'the source blob storage when it is not the data directory [env NUGGET_STORAGE]',
    )
    .action(async (flags: Record<string, unknown>) => {
      const to = String(flags['to']);
      if (!/^postgres(ql)?:\/\//.test(to)) {
        throw new ConfigError(`--to must be a postgres:// URL, not '${to}'`);
      }
      const storage = typeof flags['storage'] === 'string' ? flags['storage'] : undefined;
      if (storage !== undefined && !/^s3:\/\//.test(storage)) {
        throw new ConfigError(`--storage must be an s3://bucket/prefix URL, not '${storage}'`);
      }
      const source = configFromFlags({
        dataDir: flags['dataDir'],
        database: flags['database'],
        storage: flags['fromStorage'],
        logLevel: 'warn',
      });
      const migration = await composeFeedMigration(source, { database: to, storage });
      // Loaded here, not at start: the server never draws a progress bar.
      const { SingleBar } = await import('cli-progress');
      const bar = new SingleBar({
        format: '{phase} [{bar}] {value}/{total}',
        stream: process.stderr,
        hideCursor: true,
        noTTYOutput: true,
        notTTYSchedule: 5000,
      });
      let started = false;
      let done = 0;
      let report;
      try {
        report = await migrateFeed(migration, {
          start(phase, total) {
            if (started) bar.stop();
            started = true;
            done = 0;
            bar.start(total, 0, { phase: phase.padEnd(24) });
          },
          advance(count) {
            done += count;
            // A phase that did not know its total (search documents) grows it as it goes.
            if (done > bar.getTotal()) bar.setTotal(done);
            bar.increment(count);
          },
        });
      } finally {
        if (started) bar.stop();
        await migration.copier.close();
      }

      for (const { table, copied, skipped } of report.tables) {
        console.log(
          `${table.padEnd(26)} ${String(copied).padStart(8)} copied ${String(skipped).padStart(8)} already there`,
        );
      }
      console.log(
        `blobs                      ${String(report.blobs.copied).padStart(8)} copied ${String(report.blobs.skipped).padStart(8)} already there` +
          (migration.sameBlobStore ? ' (the destination keeps the files where they are)' : '') +
          `; ${report.blobs.bytesCopied} bytes`,
      );
      console.log(`search documents rebuilt for ${report.searchIds} ids`);
      console.log('Verification:');
      for (const comparison of report.verification.tables) {
        console.log(
          `  ${comparison.table.padEnd(26)} source ${String(comparison.source).padStart(8)} destination ` +
            `${String(comparison.destination).padStart(8)} ${comparison.identical ? 'identical' : 'DIFFERENT'}`,
        );
      }
      console.log(
        `  blobs: ${report.verification.blobsChecked} checked (size, and SHA-512 of every .nupkg and .snupkg), ` +
          `${report.verification.blobProblems.length} problems`,
      );
      for (const { key, problem } of report.verification.blobProblems.slice(0, 50)) {
        console.log(`    ${key}: ${problem}`);
      }
      if (!report.verification.ok) {
        console.log('The copy is NOT verified: fix the problems above and run migrate-data again.');
        process.exitCode = 1;
        return;
      }
      console.log(
        `The copy is verified. Start nugget with --database <the --to URL>${storage ? ` --storage ${storage}` : ''}.`,
      );
    });
}
