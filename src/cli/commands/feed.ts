// `nugget feed create|list|show|update|delete` and `nugget promote` (docs/feeds.md). They work on the configured
// storage directly, also while servers run: every node sees a new, changed or deleted feed at its next request.
// Each change is audited with actor 'cli'; the same operations are on the admin API (/admin/feeds, /admin/promote).
import type { Command } from 'commander';
import { describeLifetime } from '../../auth/key-lifetime.ts';
import type { Requester } from '../../auth/manage-api-keys.ts';
import type { Nugget } from '../../compose.ts';
import { parseFeedChange } from '../../config/feed-settings.ts';
import {
  createFeed,
  deleteFeed,
  type FeedView,
  listFeeds,
  showFeed,
  updateFeed,
} from '../../packages/manage-feeds.ts';
import { promotePackage } from '../../packages/promote-package.ts';
import { cliOrigin, feedCommand as storageCommand, withFeed } from '../open-feed.ts';

const cli: Requester = { actor: 'cli', source: 'cli' };

const withNugget = <T>(flags: Record<string, unknown>, run: (nugget: Nugget) => Promise<T>): Promise<T> =>
  withFeed(flags, run, { downloadFlushMs: 0 });

const adminDeps = (nugget: Nugget) => ({
  feeds: nugget.services.feedStore,
  directory: nugget.feeds,
  blobs: nugget.services.blobs,
  audit: nugget.services.audit,
  clock: nugget.services.clock,
});

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * The settings of create and update, as `--set <setting>=<value>` (the names of the admin API's JSON body, so
 * they do not collide with the server-wide defaults --private, --max-package-size, ...); `inherit` sets one back
 * to the server default.
 */
function settingsOptions(command: Command): Command {
  return command
    .option('--description <text>', 'what the feed is for')
    .option(
      '--source <url>',
      "an upstream feed's V3 service index, e.g. https://api.nuget.org/v3/index.json (docs/upstreams.md)",
    )
    .option('--members <feeds>', "a virtual feed's member feeds, in order, e.g. internal,nuget-org")
    .option(
      '--set <setting=value>',
      'private=true|false, deleteBehavior=unlist|delete, maxPackageSize=50MB, allowRepushAfterDelete=true|false, ' +
        'maxApiKeyLifetime=30d, maxFeedSize=10GB, maxVersionsPerId=200; upstream feeds: metadataTtl=10m, metadataTimeout=10s, packageTimeout=60s, ' +
        "allow='Contoso.*', deny='Contoso.*', breakerFailures=5, breakerCooldown=30s; virtual feeds: cooldown=3d, " +
        "upstreamAllowed='nuget-org:Contoso.Public.*'; " +
        'a value of inherit follows the default (repeat --set for several)',
      collect,
    );
}

function changeOf(flags: Record<string, unknown>) {
  const body: Record<string, unknown> = {};
  for (const flag of ['description', 'kind', 'source', 'members']) {
    if (typeof flags[flag] === 'string') body[flag] = flags[flag];
  }
  for (const setting of (flags['set'] as string[] | undefined) ?? []) {
    const at = setting.indexOf('=');
    const key = at < 0 ? setting : setting.slice(0, at).trim();
    const value = at < 0 ? '' : setting.slice(at + 1).trim();
    body[key] = value === 'inherit' ? null : value;
  }
  return parseFeedChange(body);
}

function describe(feed: FeedView): string {
  const own = (key: keyof FeedView['settings']) => (key in feed.overrides ? '' : ' (server default)');
  const s = feed.settings;
  return [
    `${feed.name}${feed.description ? `: ${feed.description}` : ''}`,
    `  versions                   ${feed.versions}`,
    `  created                    ${feed.created}`,
    `  private                    ${s.private}${own('private')}`,
    `  delete behavior            ${s.deleteBehavior}${own('deleteBehavior')}`,
    `  max package size           ${s.maxPackageSize} bytes${own('maxPackageSize')}`,
    `  allow re-push after delete ${s.allowRepushAfterDelete}${own('allowRepushAfterDelete')}`,
    `  max API key lifetime       ${s.maxApiKeyLifetime === undefined ? 'no limit' : describeLifetime(s.maxApiKeyLifetime)}${own('maxApiKeyLifetime')}`,
    `  max feed size              ${s.maxFeedSize === undefined ? 'no limit' : `${s.maxFeedSize} bytes`}${own('maxFeedSize')}`,
    `  max versions per id        ${s.maxVersionsPerId ?? 'no limit'}${own('maxVersionsPerId')}`,
    `  kind                       ${feed.kind}`,
    ...(feed.upstream
      ? [
          `  source                     ${feed.upstream.source}`,
          `  metadata TTL               ${feed.upstream.metadataTtl} ms`,
          `  timeouts                   metadata ${feed.upstream.metadataTimeout} ms, package ${feed.upstream.packageTimeout} ms`,
          `  allow / deny               ${feed.upstream.allow.join(',')} / ${feed.upstream.deny.join(',') || '(none)'}`,
          `  breaker                    opens after ${feed.upstream.breakerFailures} failures, for ${feed.upstream.breakerCooldown} ms`,
        ]
      : []),
    ...(feed.virtual
      ? [
          `  members                    ${feed.virtual.members.join(', ')}`,
          `  cooldown                   ${feed.virtual.cooldown === 0 ? 'off' : `${feed.virtual.cooldown} ms`}`,
          `  upstream allowed           ${feed.virtual.upstreamAllowed.map((a) => `${a.feed}:${a.pattern}`).join(', ') || '(none)'}`,
        ]
      : []),
    `  service index              /feeds/${feed.name}/v3/index.json${feed.name === 'default' ? ' (and /v3/index.json)' : ''}`,
  ].join('\n');
}

export function feedCommand(program: Command): void {
  const feed = program
    .command('feed')
    .description('create, list, show, change and delete feeds (docs/feeds.md)');

  storageCommand(
    settingsOptions(
      feed
        .command('create')
        .description('create a feed')
        .argument('<name>', 'the feed name')
        .option('--kind <kind>', 'hosted (default), upstream or virtual (docs/upstreams.md)'),
    ),
  ).action(async (name: string, flags: Record<string, unknown>) => {
    const change = changeOf(flags);
    await withNugget(flags, async (nugget) => {
      const created = await createFeed(adminDeps(nugget), cli, { name, ...change });
      console.log(`Created feed '${created.name}'.\n${describe(created)}`);
    });
  });

  storageCommand(feed.command('list').description('list the feeds').option('--json', 'print JSON')).action(
    async (flags: Record<string, unknown>) => {
      await withNugget(flags, async (nugget) => {
        const feeds = await listFeeds(adminDeps(nugget));
        console.log(flags['json'] ? JSON.stringify(feeds, null, 2) : feeds.map(describe).join('\n'));
      });
    },
  );

  storageCommand(
    feed
      .command('show')
      .description("show a feed's settings")
      .argument('<name>')
      .option('--json', 'print JSON'),
  ).action(async (name: string, flags: Record<string, unknown>) => {
    await withNugget(flags, async (nugget) => {
      const shown = await showFeed(adminDeps(nugget), name);
      console.log(flags['json'] ? JSON.stringify(shown, null, 2) : describe(shown));
    });
  });

  storageCommand(
    settingsOptions(
      feed.command('update').description("change a feed's description or settings").argument('<name>'),
    ),
  ).action(async (name: string, flags: Record<string, unknown>) => {
    const change = changeOf(flags);
    await withNugget(flags, async (nugget) => {
      const updated = await updateFeed(adminDeps(nugget), cli, name, change);
      console.log(`Updated feed '${updated.name}'.\n${describe(updated)}`);
    });
  });

  storageCommand(
    feed
      .command('delete')
      .description('delete a feed with its packages and files (a feed with packages needs --force)')
      .argument('<name>')
      .option('--force', 'delete it even though it holds packages'),
  ).action(async (name: string, flags: Record<string, unknown>) => {
    await withNugget(flags, async (nugget) => {
      const { versions } = await deleteFeed(adminDeps(nugget), cli, name, { force: flags['force'] === true });
      console.log(`Deleted feed '${name}' and its ${versions} package version(s).`);
    });
  });

  storageCommand(
    program
      .command('promote')
      .description(
        'copy a package version, with its symbols, deprecation and readme, from one feed to another',
      )
      .argument('<id>', 'package id')
      .argument('<version>', 'package version')
      .requiredOption('--from <feed>', 'the feed the version is on, e.g. ci')
      .requiredOption('--to <feed>', 'the feed to promote it to, e.g. release'),
  ).action(async (id: string, version: string, flags: Record<string, unknown>) => {
    await withNugget(flags, async (nugget) => {
      const from = await nugget.openFeed(String(flags['from']));
      const to = await nugget.openFeed(String(flags['to']));
      const { services } = nugget;
      const note = {
        feed: to.feed.name,
        at: services.clock.now().toISOString(),
        actor: 'cli',
        source: 'cli',
      };
      try {
        const result = await promotePackage(
          { from, to, blobs: services.blobs, clock: services.clock },
          { id, version, origin: cliOrigin(nugget) },
        );
        await services.audit.append({
          ...note,
          action: 'promote',
          packageId: result.id,
          version: result.version,
          outcome: 'success',
          detail: { from: result.from, to: result.to, symbols: result.symbols },
        });
        console.log(
          `Promoted ${result.id} ${result.version} from '${result.from}' to '${result.to}'` +
            `${result.symbols ? ' with its symbols' : ''}.`,
        );
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        await services.audit.append({
          ...note,
          action: 'promote',
          packageId: id,
          version,
          outcome: typeof code === 'string' ? code : 'internal_error',
          detail: { from: from.feed.name, to: to.feed.name },
        });
        throw error;
      }
    });
  });
}
