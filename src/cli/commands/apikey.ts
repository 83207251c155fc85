// `nugget apikey create|list|revoke`: managed API keys (docs/security.md). Works on the configured storage
// directly, also while the server runs (SQLite WAL, or the shared PostgreSQL database); a running server sees a
// new or revoked key at its next request.
import type { Command } from 'commander';
import { parseScopes } from '../../auth/api-key-scope.ts';
import { parseExpiry } from '../../auth/expiry.ts';
import { lifetimeCapFor } from '../../auth/key-lifetime.ts';
import { parseIdPatterns } from '../../auth/id-pattern.ts';
import { createApiKey, listApiKeys, revokeApiKey, type Requester } from '../../auth/manage-api-keys.ts';
import type { ApiKey } from '../../auth/ports.ts';
import type { Nugget } from '../../compose.ts';
import { invalidInput } from '../../errors.ts';
import { feedNameProblem } from '../../packages/feed.ts';
import { feedCommand, openFeed } from '../open-feed.ts';

/** 'ci, nightly' -> ['ci', 'nightly']; '*' -> ['*'] (every feed). */
function parseFeedList(text: string): string[] {
  const names = [
    ...new Set(
      text
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    ),
  ];
  if (names.length === 0)
    throw invalidInput('feeds_missing', "Give at least one feed name, or '*' for every feed.");
  if (names.includes('*')) return ['*'];
  for (const name of names) {
    const problem = feedNameProblem(name);
    if (problem) throw invalidInput('feed_name_invalid', problem);
  }
  return names;
}

const cli: Requester = { actor: 'cli', source: 'cli' };

/** A key's lifetime when --expires is not given and no feed caps it shorter: a year. */
const defaultLifetimeMs = 365 * 24 * 3_600_000;

async function withFeed<T>(flags: Record<string, unknown>, run: (nugget: Nugget) => Promise<T>): Promise<T> {
  const nugget = await openFeed(flags);
  try {
    return await run(nugget);
  } finally {
    await nugget.close();
  }
}

function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function status(key: ApiKey, now: Date): string {
  if (key.revoked) return `revoked ${key.revoked}`;
  if (key.expires && Date.parse(key.expires) <= now.getTime()) return 'expired';
  return 'active';
}

export function apikeyCommand(program: Command): void {
  const apikey = program.command('apikey').description('create, list and revoke API keys (docs/security.md)');

  feedCommand(
    apikey
      .command('create')
      .description('create an API key and print it once; only a hash of it is stored')
      .requiredOption('--name <name>', 'a unique name, recorded in the audit log (e.g. ci, alice)')
      .requiredOption('--scopes <scopes>', 'comma-separated: push-new, push, unlist, read, admin')
      .option('--packages <globs>', 'comma-separated id patterns the key may touch, e.g. "Contoso.*"', '*')
      .option(
        '--feeds <names>',
        'comma-separated feeds the key is valid for, e.g. ci,nightly (default: all)',
        '*',
      )
      .option(
        '--expires <when>',
        "a duration (90d, 12h, 2w), an ISO date, or never (default 365d, or the feeds' --max-api-key-lifetime if shorter)",
      ),
  ).action(async (flags: Record<string, unknown>) => {
    const scopes = parseScopes(String(flags['scopes']));
    const packages = parseIdPatterns(String(flags['packages']));
    const feeds = parseFeedList(String(flags['feeds']));
    await withFeed(flags, async ({ services, feeds: directory }) => {
      for (const feed of feeds) if (feed !== '*') await directory.get(feed);
      const lifetimeCap = (names: readonly string[]) => lifetimeCapFor(directory, names);
      const now = services.clock.now();
      const expires =
        typeof flags['expires'] === 'string'
          ? parseExpiry(flags['expires'], now)
          : new Date(
              now.getTime() + Math.min(defaultLifetimeMs, (await lifetimeCap(feeds))?.maxMs ?? Infinity),
            );
      const { key, apiKey } = await createApiKey({ ...services, lifetimeCap }, cli, {
        name: String(flags['name']),
        scopes,
        packages,
        feeds,
        expires,
      });
      console.log(
        `Created API key '${apiKey.name}' (id ${apiKey.keyId}; scopes ${apiKey.scopes.join(',')}; ` +
          `packages ${apiKey.packages.join(',')}; feeds ${apiKey.feeds.join(',')}; ` +
          `expires ${apiKey.expires ?? 'never'}):\n\n${key}\n`,
      );
      console.error('Copy it now: it is not stored anywhere and will not be shown again.');
    });
  });

  feedCommand(
    apikey
      .command('list')
      .description('list API keys (never the keys themselves)')
      .option('--json', 'print JSON'),
  ).action(async (flags: Record<string, unknown>) => {
    await withFeed(flags, async ({ services }) => {
      const keys = await listApiKeys(services);
      if (flags['json']) {
        console.log(JSON.stringify(keys, null, 2));
        return;
      }
      if (keys.length === 0) {
        console.log('No API keys. Create one with: nugget apikey create --name <name> --scopes <scopes>');
        return;
      }
      const now = services.clock.now();
      const header = [
        'NAME',
        'ID',
        'SCOPES',
        'PACKAGES',
        'FEEDS',
        'CREATED',
        'EXPIRES',
        'LAST USED',
        'STATUS',
        'ISSUED BY',
      ];
      const rows = keys.map((key) => [
        key.name,
        key.keyId,
        key.scopes.join(','),
        key.packages.join(','),
        key.feeds.join(','),
        key.created,
        key.expires ?? 'never',
        key.lastUsed ?? 'never',
        status(key, now),
        key.trustPolicy ? `trust policy ${key.trustPolicy}` : '',
      ]);
      console.log(table([header, ...rows]));
    });
  });

  feedCommand(
    apikey
      .command('revoke')
      .description('revoke an API key at once; its name stays taken')
      .argument('<name-or-id>', 'the name or key id (nugget apikey list)'),
  ).action(async (nameOrId: string, flags: Record<string, unknown>) => {
    await withFeed(flags, async ({ services }) => {
      const key = await revokeApiKey(services, cli, nameOrId);
      console.log(`Revoked API key '${key.name}' (id ${key.keyId}).`);
    });
  });
}
