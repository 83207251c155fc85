// `nugget migrate`: bring the database schema up to date without serving (the server also migrates at start).
import type { Command } from 'commander';
import { feedCommand, openFeed } from '../open-feed.ts';

export function migrateCommand(program: Command): void {
  feedCommand(
    program.command('migrate').description('apply database migrations (safe to run while other nodes start)'),
  ).action(async (flags: Record<string, unknown>) => {
    const nugget = await openFeed(flags);
    await nugget.close();
    console.log('The database schema is up to date.');
  });
}
