// `npm start`: load config -> compose -> listen -> graceful shutdown.
import { serve } from './serve.ts';
import { ConfigError, loadConfig } from '../config/config.ts';
import { redactSecrets } from '../redact.ts';

try {
  await serve(loadConfig(process.argv.slice(2)));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(redactSecrets(error.message));
    process.exit(2);
  }
  const code = (error as { code?: string }).code;
  // commander has already printed the help text or the usage error.
  if (code === 'commander.helpDisplayed' || code === 'commander.version') process.exit(0);
  if (code?.startsWith('commander.')) process.exit(2);
  throw error;
}
