// The `nugget` command line: serve, and the admin commands that work on a
// feed's storage directly. Each command lives in src/cli/commands/ and registers itself here.
import { Command, CommanderError } from 'commander';
import { addConfigOptions, ConfigError, configFromFlags } from '../config/config.ts';
import { NuggetError } from '../errors.ts';
import { redactSecrets } from '../redact.ts';
import { apikeyCommand } from './commands/apikey.ts';
import { auditCommand } from './commands/audit.ts';
import { deprecateCommand } from './commands/deprecate.ts';
import { gcCommand } from './commands/gc.ts';
import { migrateDataCommand } from './commands/migrate-data.ts';
import { migrateCommand } from './commands/migrate.ts';
import { vulnerabilitiesCommand } from './commands/vulnerabilities.ts';
import { replicateCommand } from './commands/replicate.ts';
import { serve } from './serve.ts';

const program = new Command('nugget')
  .description('A self-hosted NuGet V3 package server')
  .exitOverride()
  .showHelpAfterError();

addConfigOptions(
  program.command('serve', { isDefault: true }).description('serve the feed (the default)'),
).action(async (flags: Record<string, unknown>) => serve(configFromFlags(flags)));
migrateCommand(program);
deprecateCommand(program);
vulnerabilitiesCommand(program);
replicateCommand(program);
gcCommand(program);
migrateDataCommand(program);
apikeyCommand(program);
auditCommand(program);

try {
  await program.parseAsync(process.argv.slice(2), { from: 'user' });
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof ConfigError || error instanceof NuggetError) {
    console.error(redactSecrets(error.message));
    process.exit(2);
  }
  throw error;
}
