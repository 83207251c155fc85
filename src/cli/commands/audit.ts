// `nugget audit`: read the audit log of writes, newest first (docs/security.md, "Audit log"). The same entries
// are served to admin keys at GET /admin/audit, and one feed's at GET /feeds/{name}/v3/admin/audit.
import type { Command } from 'commander';
import { parseSince } from '../../auth/expiry.ts';
import { invalidInput } from '../../errors.ts';
import { feedCommand, openFeed } from '../open-feed.ts';

export function auditCommand(program: Command): void {
  feedCommand(
    program
      .command('audit')
      .description(
        'show the audit log of writes (push, unlist, relist, delete, deprecations, keys), newest first',
      )
      .option('--since <when>', 'only entries at or after an ISO date, or a duration back from now (24h, 7d)')
      .option('--limit <count>', 'at most this many entries', '100')
      .option('--feed <name>', 'only the entries of this feed (default: every feed and the key changes)')
      .option('--json', 'print JSON'),
  ).action(async (flags: Record<string, unknown>) => {
    const limit = Number(flags['limit']);
    if (!Number.isInteger(limit) || limit < 1) {
      throw invalidInput(
        'limit_invalid',
        `--limit must be a whole number of 1 or more, not '${String(flags['limit'])}'.`,
      );
    }
    const nugget = await openFeed(flags);
    try {
      const { services } = nugget;
      const since =
        typeof flags['since'] === 'string' ? parseSince(flags['since'], services.clock.now()) : undefined;
      const feed = typeof flags['feed'] === 'string' ? flags['feed'] : undefined;
      const entries = await services.audit.list({ since, limit, feed });
      if (flags['json']) {
        console.log(JSON.stringify(entries, null, 2));
        return;
      }
      if (entries.length === 0) {
        console.log('No audit entries.');
        return;
      }
      for (const entry of entries) {
        const target = [entry.packageId, entry.version].filter(Boolean).join(' ');
        const detail = entry.detail ? ` ${JSON.stringify(entry.detail)}` : '';
        console.log(
          `${entry.at}  ${entry.feed ?? '(server)'}  ${entry.actor}${entry.keyId ? ` (${entry.keyId})` : ''}  ${entry.action}` +
            `${target ? `  ${target}` : ''}  ${entry.outcome}  from ${entry.source ?? '?'}${detail}`,
        );
      }
    } finally {
      await nugget.close();
    }
  });
}
