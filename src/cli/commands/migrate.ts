// `nugget migrate`: bring the database schema up to date without serving (the server also migrates at start).
import type { Command } from 'commander';
import { composeNugget } from '../../compose.ts';
import { addConfigOptions, configFromFlags } from '../../config/config.ts';

export function migrateCommand(program: Command): void {
  addConfigOptions(
    program.command('migrate').description('apply database migrations (safe to run while other nodes start)'),
  ).action(async (flags: Record<string, unknown>) => {
    const nugget = await composeNugget({ ...configFromFlags(flags), logLevel: 'warn' });
    await nugget.close();
    console.log('The database schema is up to date.');
  });
}
