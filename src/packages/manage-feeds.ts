// The use cases behind `nugget feed create|list|show|update|delete` and the admin API's /admin/feeds
// (docs/feeds.md). Every change is written to the audit log, with the feed it was on.
import type { AuditAction, AuditLog } from '../auth/ports.ts';
import type { Requester } from '../auth/manage-api-keys.ts';
import { conflict, invalidInput } from '../errors.ts';
import {
  defaultFeedName,
  type Feed,
  feedBlobRoot,
  type FeedOverrides,
  requireFeedName,
  resolveFeed,
} from './feed.ts';
import { type FeedDirectory, noSuchFeed } from './feed-directory.ts';
import type { BlobStore, Clock, FeedStore } from './ports.ts';

export interface FeedAdminDeps {
  readonly feeds: FeedStore;
  readonly directory: FeedDirectory;
  readonly blobs: BlobStore;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

/** A feed as the CLI and the admin API show it. */
export interface FeedView {
  readonly name: string;
  readonly description: string;
  readonly created: string;
  /** The settings in effect. */
  readonly settings: Feed['settings'];
  /** The settings the feed sets itself (the others follow the server's defaults). */
  readonly overrides: FeedOverrides;
  readonly versions: number;
}

const maxDescription = 4000;

function checkDescription(description: string | undefined): void {
  if (description !== undefined && description.length > maxDescription) {
    throw invalidInput(
      'feed_description_too_long',
      `A feed description has at most ${maxDescription} characters; this one has ${description.length}.`,
    );
  }
}

/** Appends the audit record of a feed change that succeeded. */
async function auditFeedChange(
  deps: Pick<FeedAdminDeps, 'audit'>,
  requester: Requester,
  entry: { feed: string; at: string; action: AuditAction; detail: Record<string, unknown> },
): Promise<void> {
  await deps.audit.append({
    ...entry,
    actor: requester.actor,
    keyId: requester.keyId,
    source: requester.source,
    outcome: 'success',
  });
}

async function viewOf(deps: Pick<FeedAdminDeps, 'feeds' | 'directory'>, feed: Feed): Promise<FeedView> {
  return {
    name: feed.name,
    description: feed.description,
    created: feed.created,
    settings: feed.settings,
    overrides: feed.overrides,
    versions: await deps.feeds.countVersions(feed.name),
  };
}

export async function listFeeds(deps: Pick<FeedAdminDeps, 'feeds' | 'directory'>): Promise<FeedView[]> {
  return Promise.all((await deps.directory.list()).map((feed) => viewOf(deps, feed)));
}

export async function showFeed(
  deps: Pick<FeedAdminDeps, 'feeds' | 'directory'>,
  name: string,
): Promise<FeedView> {
  const record = await deps.feeds.find(name);
  if (!record) throw noSuchFeed(name);
  return viewOf(deps, resolveFeed(record, deps.directory.defaults));
}

export async function createFeed(
  deps: FeedAdminDeps,
  requester: Requester,
  input: { name: string; description?: string | undefined; overrides?: FeedOverrides | undefined },
): Promise<FeedView> {
  const name = requireFeedName(input.name);
  checkDescription(input.description);
  const created = deps.clock.now().toISOString();
  const record = { name, description: input.description ?? '', overrides: input.overrides ?? {}, created };
  if ((await deps.feeds.create(record)) === 'duplicate') {
    throw conflict('feed_exists', `A feed named '${name}' already exists: choose another name.`);
  }
  await auditFeedChange(deps, requester, {
    feed: name,
    at: created,
    action: 'create-feed',
    detail: { description: record.description, settings: record.overrides },
  });
  return viewOf(deps, resolveFeed(record, deps.directory.defaults));
}

export async function updateFeed(
  deps: FeedAdminDeps,
  requester: Requester,
  name: string,
  change: { description?: string | undefined; overrides?: FeedOverrides | undefined },
): Promise<FeedView> {
  checkDescription(change.description);
  const updated = await deps.feeds.update(name, change);
  if (!updated) throw noSuchFeed(name);
  await auditFeedChange(deps, requester, {
    feed: name,
    at: deps.clock.now().toISOString(),
    action: 'update-feed',
    // A setting set back to the server default is recorded as null (JSON has no undefined).
    detail: {
      description: change.description,
      settings: Object.fromEntries(
        Object.entries(change.overrides ?? {}).map(([key, value]) => [key, value ?? null]),
      ),
    },
  });
  return viewOf(deps, resolveFeed(updated, deps.directory.defaults));
}

/**
 * Deletes a feed with its versions, catalog, symbols, advisories and files. A feed that holds versions is
 * deleted only with `force`; the default feed (served at /v3/) is not deleted at all.
 */
export async function deleteFeed(
  deps: FeedAdminDeps,
  requester: Requester,
  name: string,
  options: { force: boolean },
): Promise<{ versions: number }> {
  if (name === defaultFeedName) {
    throw conflict(
      'feed_default_kept',
      `The feed '${defaultFeedName}' is the one /v3/index.json serves and cannot be deleted: unlist or delete its packages instead.`,
    );
  }
  if (!(await deps.feeds.find(name))) throw noSuchFeed(name);
  const versions = await deps.feeds.countVersions(name);
  if (versions > 0 && !options.force) {
    throw conflict(
      'feed_not_empty',
      `Feed '${name}' holds ${versions} package version(s): deleting it removes them for good. ` +
        'Repeat with --force (HTTP: ?force=true) to delete it with everything in it.',
    );
  }
  const removed = await deps.feeds.remove(name);
  if (!removed) throw noSuchFeed(name);
  // Rows first, then files (architecture rule 12): a crash in between leaves only files `nugget gc` collects.
  await deps.blobs.deletePrefix(feedBlobRoot(name));
  await auditFeedChange(deps, requester, {
    feed: name,
    at: deps.clock.now().toISOString(),
    action: 'delete-feed',
    detail: { versions: removed.versions, force: options.force },
  });
  return { versions: removed.versions };
}
