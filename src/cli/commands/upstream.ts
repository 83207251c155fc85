// `nugget upstream status` (docs/upstreams.md): every upstream feed with its circuit breaker, last success and
// error, the packages it cached and the stale answers it gave. A breaker lives in each server process; the command
// shows what the last node to change it kept in the database (GET /admin/upstreams shows a running node's own).
import type { Command } from 'commander';
import type { UpstreamReport } from '../../packages/upstream-member.ts';
import { feedCommand as storageCommand, openFeed } from '../open-feed.ts';

function describe(report: UpstreamReport): string {
  return [
    `${report.feed}: ${report.source}`,
    `  breaker          ${report.breaker}`,
    `  last success     ${report.lastSuccess ?? 'never'}`,
    `  last error       ${report.lastError ? `${report.lastError.at} ${report.lastError.message}` : 'none'}`,
    `  cached packages  ${report.cachedPackages}`,
    `  stale answers    ${report.staleAnswers}`,
  ].join('\n');
}

export function upstreamCommand(program: Command): void {
  const upstream = program.command('upstream').description('upstream feeds (docs/upstreams.md)');
  storageCommand(
    upstream
      .command('status')
      .description("each upstream feed's breaker, last success and error, cached packages and stale answers")
      .option('--json', 'print JSON'),
  ).action(async (flags: Record<string, unknown>) => {
    const nugget = await openFeed(flags, { downloadFlushMs: 0 });
    try {
      const reports = (await nugget.services.upstreamReport?.()) ?? [];
      if (flags['json']) console.log(JSON.stringify(reports, null, 2));
      else console.log(reports.length === 0 ? 'No upstream feeds.' : reports.map(describe).join('\n'));
    } finally {
      await nugget.close();
    }
  });
}
