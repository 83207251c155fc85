// The use cases behind `nugget feed create|list|show|update|delete` and the admin API's /admin/feeds
// (docs/feeds.md). Every change is written to the audit log, with the feed it was on.
import type { AuditAction, AuditLog } from '../auth/ports.ts';
import type { Requester } from '../auth/manage-api-keys.ts';
import { conflict, invalidInput } from '../errors.ts';
import {
  defaultFeedName,
  type Feed,
  feedBlobRoot,
  type FeedKind,
  type FeedOverrides,
  type FeedRecord,
  kindOf,
  type KindRecord,
  requireFeedName,
  resolveFeed,
  type UpstreamOverrides,
  type UpstreamSettings,
  upstreamSettingsOf,
  type VirtualOverrides,
  type VirtualSettings,
  virtualSettingsOf,
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
  readonly kind: FeedKind;
  /** An upstream feed's source and settings in effect. */
  readonly upstream?: UpstreamSettings | undefined;
  /** A virtual feed's members and settings in effect. */
  readonly virtual?: VirtualSettings | undefined;
}

/** What create and update are given about the kind (config/feed-settings.ts parses it). */
export interface KindChange {
  readonly kind?: FeedKind | undefined;
  readonly source?: string | undefined;
  readonly members?: readonly string[] | undefined;
  readonly upstream?: UpstreamOverrides | undefined;
  readonly virtual?: VirtualOverrides | undefined;
}

const given = (overrides: object | undefined): string[] => Object.keys(overrides ?? {});

function refuse(message: string): never {
  throw invalidInput('feed_kind_settings_invalid', message);
}

/** Checks that a change only sets what the feed's kind has (docs/upstreams.md, "Interface"). */
function checkKindChange(kind: FeedKind, change: KindChange, name: string): void {
  if (kind !== 'upstream') {
    if (change.source !== undefined) refuse(`Only upstream feeds have a source; '${name}' is ${kind}.`);
    const set = given(change.upstream);
    if (set.length > 0)
      refuse(`${set.join(', ')}: only upstream feeds have these settings; '${name}' is ${kind}.`);
  }
  if (kind !== 'virtual') {
    if (change.members !== undefined) refuse(`Only virtual feeds have members; '${name}' is ${kind}.`);
    const set = given(change.virtual);
    if (set.length > 0)
      refuse(`${set.join(', ')}: only virtual feeds have these settings; '${name}' is ${kind}.`);
  }
}

/** Members must be hosted or upstream feeds that exist, each once, and not the virtual feed itself. */
async function checkMembers(
  deps: Pick<FeedAdminDeps, 'feeds'>,
  name: string,
  members: readonly string[],
  allowed: VirtualOverrides['upstreamAllowed'],
): Promise<void> {
  if (new Set(members).size !== members.length) refuse(`A feed may be a member of '${name}' only once.`);
  const kinds = new Map<string, FeedKind>();
  for (const member of members) {
    if (member === name) refuse(`A virtual feed cannot be a member of itself.`);
    const record = await deps.feeds.find(member);
    if (!record) refuse(`There is no feed '${member}' to be a member of '${name}': create it first.`);
    const kind = kindOf(record);
    if (kind === 'virtual') {
      refuse(
        `'${member}' is a virtual feed: members are hosted or upstream feeds (name its members instead).`,
      );
    }
    kinds.set(member, kind);
  }
  for (const allowance of allowed ?? []) {
    if (kinds.get(allowance.feed) !== 'upstream') {
      refuse(`upstreamAllowed names '${allowance.feed}', which is not an upstream member of '${name}'.`);
    }
  }
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
    kind: kindOf(feed),
    upstream: upstreamSettingsOf(feed.kind),
    virtual: virtualSettingsOf(feed.kind),
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
  input: {
    name: string;
    description?: string | undefined;
    overrides?: FeedOverrides | undefined;
  } & KindChange,
): Promise<FeedView> {
  const name = requireFeedName(input.name);
  checkDescription(input.description);
  const kind = input.kind ?? 'hosted';
  checkKindChange(kind, input, name);
  let kindRecord: KindRecord = { kind: 'hosted' };
  if (kind === 'upstream') {
    if (input.source === undefined) {
      refuse(
        `An upstream feed needs a source: --source https://api.nuget.org/v3/index.json (JSON: "source").`,
      );
    }
    kindRecord = { kind, source: input.source, overrides: input.upstream ?? {} };
  } else if (kind === 'virtual') {
    if (input.members === undefined) refuse(`A virtual feed needs members: --members internal,nuget-org.`);
    await checkMembers(deps, name, input.members, input.virtual?.upstreamAllowed);
    kindRecord = { kind, members: input.members, overrides: input.virtual ?? {} };
  }
  const created = deps.clock.now().toISOString();
  const record: FeedRecord = {
    name,
    description: input.description ?? '',
    overrides: input.overrides ?? {},
    created,
    kind: kindRecord,
  };
  if ((await deps.feeds.create(record)) === 'duplicate') {
    throw conflict('feed_exists', `A feed named '${name}' already exists: choose another name.`);
  }
  await auditFeedChange(deps, requester, {
    feed: name,
    at: created,
    action: 'create-feed',
    detail: { description: record.description, settings: record.overrides, kind: kindRecord },
  });
  return viewOf(deps, resolveFeed(record, deps.directory.defaults));
}

export async function updateFeed(
  deps: FeedAdminDeps,
  requester: Requester,
  name: string,
  change: { description?: string | undefined; overrides?: FeedOverrides | undefined } & KindChange,
): Promise<FeedView> {
  checkDescription(change.description);
  const existing = await deps.feeds.find(name);
  if (!existing) throw noSuchFeed(name);
  const kind = kindOf(existing);
  if (change.kind !== undefined && change.kind !== kind) {
    refuse(`'${name}' is ${kind}; a feed's kind never changes (create another feed of kind ${change.kind}).`);
  }
  checkKindChange(kind, change, name);
  if (kind === 'virtual' && existing.kind?.kind === 'virtual') {
    const upstreamAllowed = change.virtual?.upstreamAllowed ?? existing.kind.overrides.upstreamAllowed;
    await checkMembers(deps, name, change.members ?? existing.kind.members, upstreamAllowed);
  }
  const updated = await deps.feeds.update(name, {
    description: change.description,
    overrides: change.overrides,
    kind: (current) => {
      if (current?.kind === 'upstream') {
        return {
          kind: 'upstream',
          source: change.source ?? current.source,
          overrides: { ...current.overrides, ...change.upstream },
        };
      }
      if (current?.kind === 'virtual') {
        return {
          kind: 'virtual',
          members: change.members ?? current.members,
          overrides: { ...current.overrides, ...change.virtual },
        };
      }
      return { kind: 'hosted' };
    },
  });
  if (!updated) throw noSuchFeed(name);
  await auditFeedChange(deps, requester, {
    feed: name,
    at: deps.clock.now().toISOString(),
    action: 'update-feed',
    // A setting set back to the server default is recorded as null (JSON has no undefined).
    detail: {
      description: change.description,
      settings: Object.fromEntries(
        Object.entries({ ...change.overrides, ...change.upstream, ...change.virtual }).map(([key, value]) => [
          key,
          value ?? null,
        ]),
      ),
      ...(change.source !== undefined ? { source: change.source } : {}),
      ...(change.members !== undefined ? { members: change.members } : {}),
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
  const including = (await deps.feeds.list())
    .filter((feed) => feed.kind?.kind === 'virtual' && feed.kind.members.includes(name))
    .map((feed) => feed.name);
  if (including.length > 0) {
    throw conflict(
      'feed_is_member',
      `Feed '${name}' is a member of ${including.map((n) => `'${n}'`).join(', ')}: remove it from their ` +
        `members first (nugget feed update ${including[0]} --members ...).`,
    );
  }
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
