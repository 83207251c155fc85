// `nugget retention show|set|clear|run` (docs/retention.md): a feed's retention policy, and running it on the
// configured storage directly (also while servers run: the run takes the feed's retention lock, which every node
// shares). `run --dry-run` prints the plan the real run would carry out, line for line as the real run prints it.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Requester } from '../../auth/manage-api-keys.ts';
import type { Nugget } from '../../compose.ts';
import { ConfigError } from '../../config/config.ts';
import {
  removeRetentionPolicy,
  setRetentionPolicy,
  showRetentionPolicy,
} from '../../packages/manage-retention.ts';
import { describeRule, type RetentionPlan } from '../../packages/retention-rules.ts';
import { runRetention } from '../../packages/run-retention.ts';
import { feedCommand as storageCommand, openFeed } from '../open-feed.ts';

const cli: Requester = { actor: 'cli', source: 'cli' };

async function withFeed<T>(
  flags: Record<string, unknown>,
  run: (nugget: Nugget, feed: Awaited<ReturnType<Nugget['openFeed']>>) => Promise<T>,
): Promise<T> {
  const nugget = await openFeed(flags, { downloadFlushMs: 0 });
  try {
    return await run(nugget, await nugget.openFeed(String(flags['feed'])));
  } finally {
    await nugget.close();
  }
}

const feedOption = (command: Command) =>
  storageCommand(command.requiredOption('--feed <name>', 'the feed, e.g. ci'));

/** One line per decision: the same for the dry run and the real run. */
export function planLines(plan: RetentionPlan): string[] {
  return plan.decisions.map((d) => `${d.action} ${d.id} ${d.version}: ${d.reasons.join('; ')}`);
}

export function retentionCommand(program: Command): void {
  const retention = program
    .command('retention')
    .description("show, set and run a feed's retention policy (docs/retention.md)");

  feedOption(
    retention.command('show').description("show a feed's retention policy").option('--json', 'print JSON'),
  ).action(async (flags: Record<string, unknown>) => {
    await withFeed(flags, async (nugget, open) => {
      const stored = await showRetentionPolicy({
        feed: open.feed,
        policies: nugget.services.retention.policies,
      });
      if (flags['json']) {
        console.log(JSON.stringify(stored.policy, null, 2));
        return;
      }
      console.log(
        `Retention policy of feed '${open.feed.name}' (set by ${stored.updatedBy} at ${stored.updated}):`,
      );
      for (const rule of stored.policy.rules) console.log(`  ${describeRule(rule)}`);
      for (const p of stored.policy.protected) console.log(`  never touch ${p.id} ${p.versions}`);
    });
  });

  feedOption(
    retention
      .command('set')
      .description("set a feed's retention policy from a JSON file (replaces the one it has)")
      .requiredOption('--file <path>', 'the policy as JSON, e.g. {"rules": [...], "protected": [...]}'),
  ).action(async (flags: Record<string, unknown>) => {
    const path = String(flags['file']);
    let input: unknown;
    try {
      input = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new ConfigError(`--file ${path}: ${(error as Error).message}`);
    }
    await withFeed(flags, async (nugget, open) => {
      const { services } = nugget;
      const stored = await setRetentionPolicy(
        {
          feed: open.feed,
          policies: services.retention.policies,
          audit: services.audit,
          clock: services.clock,
        },
        cli,
        input,
      );
      console.log(`Set the retention policy of feed '${open.feed.name}':`);
      for (const rule of stored.policy.rules) console.log(`  ${describeRule(rule)}`);
      for (const p of stored.policy.protected) console.log(`  never touch ${p.id} ${p.versions}`);
    });
  });

  feedOption(retention.command('clear').description("remove a feed's retention policy")).action(
    async (flags: Record<string, unknown>) => {
      await withFeed(flags, async (nugget, open) => {
        const { services } = nugget;
        await removeRetentionPolicy(
          {
            feed: open.feed,
            policies: services.retention.policies,
            audit: services.audit,
            clock: services.clock,
          },
          cli,
        );
        console.log(`Removed the retention policy of feed '${open.feed.name}'.`);
      });
    },
  );

  feedOption(
    retention
      .command('run')
      .description("unlist and delete what the feed's retention policy says; prints each action")
      .option('--dry-run', 'print what the run would do, change nothing')
      .option('--json', 'print the plan (and with a real run, the outcomes) as JSON'),
  ).action(async (flags: Record<string, unknown>) => {
    const dryRun = flags['dryRun'] === true;
    await withFeed(flags, async (nugget, open) => {
      const { services } = nugget;
      const report = await runRetention(
        {
          feed: open.feed,
          stores: open.stores,
          blobs: services.blobs,
          audit: services.audit,
          clock: services.clock,
          ...services.retention,
          baseUrl: services.options.publicUrl,
        },
        cli,
        {
          dryRun,
          // Progress goes to stderr, so that stdout is the plan alone, the same for a dry run and a real one.
          onProgress: (done, total, outcome) => {
            const note =
              outcome.result === 'gone'
                ? ' (already gone)'
                : outcome.result === 'kept'
                  ? ` (not done: ${outcome.because})`
                  : '';
            process.stderr.write(
              `[${done}/${total}] ${outcome.decision.action} ${outcome.decision.id} ${outcome.decision.version}${note}\n`,
            );
          },
        },
      );
      if (flags['json']) {
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      for (const line of planLines(report.plan)) console.log(line);
      const deletes = report.plan.decisions.filter((d) => d.action === 'delete').length;
      const unlists = report.plan.decisions.length - deletes;
      process.stderr.write(
        `${dryRun ? 'Dry run: would delete' : 'Deleted'} ${deletes} and ${dryRun ? 'unlist' : 'unlisted'} ` +
          `${unlists} version(s) of feed '${open.feed.name}'; ${report.plan.kept.length} picked by a rule but kept.\n`,
      );
    });
  });
}
