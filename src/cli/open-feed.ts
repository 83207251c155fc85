// What every admin command shares: the flags that locate a feed, and opening it. An admin command works on an
// existing feed only, unless --create says to start one: a mistyped --data-dir or database URL must not quietly
// become a new empty feed (with a new key printed for it).
import type { Command } from 'commander';
import { composeNugget, type Nugget } from '../compose.ts';
import { addConfigOptions, configFromFlags } from '../config/config.ts';
import type { EventOrigin } from '../packages/webhook-event.ts';

/**
 * The webhook origin of a change made on the command line: the actor `cli`, and URLs from --public-url (without
 * it the payload has none: a command line does not know where clients reach the feed).
 */
export const cliOrigin = (nugget: Nugget): EventOrigin => ({
  actor: { kind: 'cli', name: 'cli' },
  baseUrl: nugget.services.options.publicUrl,
});

/** Adds --config, the storage flags (--data-dir, --database, --storage, --startup-wait) and --create. */
export function feedCommand(command: Command): Command {
  return addConfigOptions(command, 'storage').option(
    '--create',
    'start a new feed when the data directory or database holds none (without it: refuse)',
  );
}

/**
 * Opens the feed the flags, config file and environment name. Never empties tmp/: a server may be receiving
 * uploads into it right now.
 */
export function openFeed(
  flags: Record<string, unknown>,
  options: { downloadFlushMs?: number } = {},
): Promise<Nugget> {
  return composeNugget(
    { ...configFromFlags(flags), logLevel: 'warn' },
    { keepTempFiles: true, create: flags['create'] === true, ...options },
  );
}

/** Opens the feed, runs one command's work on it and closes it again, also when the work fails. */
export async function withFeed<T>(
  flags: Record<string, unknown>,
  run: (nugget: Nugget) => Promise<T>,
  options: { downloadFlushMs?: number } = {},
): Promise<T> {
  const nugget = await openFeed(flags, options);
  try {
    return await run(nugget);
  } finally {
    await nugget.close();
  }
}
