// The `nugget` command line: serve (the default), and the admin commands that work on a feed's storage
// directly. Each command lives in src/cli/commands/ and registers itself here; each lists only the flags it takes.
import { Command, CommanderError } from 'commander';
import { addConfigOptions, ConfigError, configFromFlags, StartupError } from '../config/config.ts';
import { NuggetError } from '../errors.ts';
import { redactSecrets } from '../redact.ts';
import { apikeyCommand } from './commands/apikey.ts';
import { auditCommand } from './commands/audit.ts';
import { backupCommands } from './commands/backup.ts';
import { deprecateCommand } from './commands/deprecate.ts';
import { feedCommand } from './commands/feed.ts';
import { gcCommand } from './commands/gc.ts';
import { migrateDataCommand } from './commands/migrate-data.ts';
import { migrateCommand } from './commands/migrate.ts';
import { prefetchCommand } from './commands/prefetch.ts';
import { vulnerabilitiesCommand } from './commands/vulnerabilities.ts';
import { replicateCommand } from './commands/replicate.ts';
import { trustCommand } from './commands/trust.ts';
import { upstreamCommand } from './commands/upstream.ts';
import { serve } from './serve.ts';
import { version } from './version.ts';

export function buildProgram(): Command {
  const program = new Command('nugget')
    .description('A self-hosted NuGet V3 package server. Without a command: serve.')
    .version(version, '-V, --version', 'print the version of nugget')
    .exitOverride()
    .showHelpAfterError();
  addConfigOptions(
    program.command('serve', { isDefault: true }).description('serve the feed (the default command)'),
  ).action(async (flags: Record<string, unknown>) => serve(configFromFlags(flags)));
  migrateCommand(program);
  deprecateCommand(program);
  vulnerabilitiesCommand(program);
  replicateCommand(program);
  gcCommand(program);
  migrateDataCommand(program);
  apikeyCommand(program);
  auditCommand(program);
  backupCommands(program);
  feedCommand(program);
  upstreamCommand(program);
  trustCommand(program);
  prefetchCommand(program);
  // Every command stops at its first usage error instead of printing help for it.
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * Runs the command line. A mistake in the command line or configuration exits with 2, a server that cannot
 * start (port taken, data directory not writable, database unreachable) with 1; each prints one line per problem
 * that names the flag or variable to fix.
 */
export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
  } catch (error) {
    // commander has printed the help, the version, or what is wrong with the command line.
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    const code =
      error instanceof ConfigError || error instanceof NuggetError
        ? 2
        : error instanceof StartupError
          ? 1
          : undefined;
    if (code === undefined) throw error;
    for (const line of redactSecrets((error as Error).message).split('\n')) console.error(`nugget: ${line}`);
    process.exit(code);
  }
}
