// `nugget replicate`: copy another V3 feed into this one by following its catalog with a stored cursor
// (../shared/spec/nuget-api/query-for-all-published-packages.md), so a rerun continues where the last stopped.
// A feed without a catalog is walked through its flat container for a given list of ids instead.
import { rm } from 'node:fs/promises';
import { invalidInput } from '../errors.ts';
import { toLowerId } from '../nuget/packaging/index.ts';
import { toNormalizedString, tryParseVersion } from '../nuget/versioning/index.ts';
import type { PackageDeprecation } from '../protocol/package-version.ts';
import { deletePackage } from './manage-package.ts';
import type { BlobStore, Clock, PackageStore, ReplicationCursorStore } from './ports.ts';
import { publishPackage } from './publish-package.ts';
import type { Feed } from './feed.ts';

export interface RemoteFeed {
  /** A JSON document, or undefined on 404. */
  getJson(url: string): Promise<unknown>;
  /** Downloads to a temporary file; undefined on 404. */
  download(url: string): Promise<{ path: string; size: number; sha512: string } | undefined>;
}

export interface ReplicationProgress {
  start(total: number): void;
  advance(what: string): void;
}

export interface ReplicationSummary {
  readonly added: number;
  readonly updated: number;
  readonly deleted: number;
  readonly skipped: number;
  readonly cursor?: string | undefined;
}

interface Deps {
  /** The feed replicated into. */
  readonly feed: Pick<Feed, 'name' | 'settings'>;
  readonly packages: PackageStore;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly cursors: ReplicationCursorStore;
  readonly remote: RemoteFeed;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const minimumCursor = '0001-01-01T00:00:00.000Z';

function resource(index: unknown, type: string): string | undefined {
  for (const entry of asArray(isObject(index) ? index['resources'] : undefined)) {
    if (!isObject(entry)) continue;
    const types = asArray(entry['@type']).concat(typeof entry['@type'] === 'string' ? [entry['@type']] : []);
    if (types.includes(type) && typeof entry['@id'] === 'string') return entry['@id'];
  }
  return undefined;
}

const lowerVersionOf = (text: string): string | undefined => {
  const parsed = tryParseVersion(text);
  return parsed && toNormalizedString(parsed).toLowerCase();
};

const sameDeprecation = (a: PackageDeprecation | undefined, b: PackageDeprecation | undefined) =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function deprecationOf(leaf: Json): PackageDeprecation | undefined {
  const d = leaf['deprecation'];
  if (!isObject(d)) return undefined;
  const alternate = isObject(d['alternatePackage']) ? d['alternatePackage'] : undefined;
  return {
    reasons: asArray(d['reasons']).filter((r): r is string => typeof r === 'string'),
    ...(typeof d['message'] === 'string' ? { message: d['message'] } : {}),
    ...(alternate && typeof alternate['id'] === 'string'
      ? {
          alternatePackage: {
            id: alternate['id'],
            ...(typeof alternate['range'] === 'string' ? { range: alternate['range'] } : {}),
          },
        }
      : {}),
  };
}

class Replicator {
  readonly #deps: Deps;
  readonly #packageBase: string;
  added = 0;
  updated = 0;
  deleted = 0;
  skipped = 0;

  constructor(deps: Deps, packageBase: string) {
    this.#deps = deps;
    this.#packageBase = packageBase.endsWith('/') ? packageBase : `${packageBase}/`;
  }

  /** Makes the local version match the source: present (with its listed state and deprecation) or absent. */
  async apply(
    id: string,
    lowerVersion: string,
    state: { listed: boolean; deprecation?: PackageDeprecation },
  ) {
    const { packages, blobs, clock, remote } = this.#deps;
    const lowerId = toLowerId(id);
    let local = await packages.findVersion(lowerId, lowerVersion);
    if (!local) {
      const download = await remote.download(
        `${this.#packageBase}${lowerId}/${lowerVersion}/${lowerId}.${lowerVersion}.nupkg`,
      );
      if (!download) {
        // Gone from the source since this entry was written; a later PackageDelete entry says so.
        this.skipped += 1;
        return;
      }
      try {
        // A replica follows its source: a version the source deleted and later got again comes back here too.
        const feed = {
          ...this.#deps.feed,
          settings: { ...this.#deps.feed.settings, allowRepushAfterDelete: true },
        };
        local = await publishPackage({ feed, packages, blobs, clock }, download);
        this.added += 1;
      } finally {
        await rm(download.path, { force: true });
      }
    }
    let changed = false;
    if (local.listed !== state.listed) {
      await packages.setListed(lowerId, lowerVersion, state.listed);
      changed = true;
    }
    if (!sameDeprecation(local.deprecation, state.deprecation)) {
      await packages.setDeprecation(lowerId, lowerVersion, state.deprecation);
      changed = true;
    }
    if (changed) this.updated += 1;
  }

  async remove(id: string, lowerVersion: string) {
    const { packages, blobs } = this.#deps;
    if (!(await packages.findVersion(toLowerId(id), lowerVersion))) return;
    await deletePackage({ packages, blobs, deleteBehavior: 'delete' }, { id, version: lowerVersion });
    this.deleted += 1;
  }

  summary(cursor?: string): ReplicationSummary {
    return { added: this.added, updated: this.updated, deleted: this.deleted, skipped: this.skipped, cursor };
  }
}

export async function replicateFeed(
  deps: Deps,
  input: { source: string; ids?: readonly string[] },
  progress: ReplicationProgress,
): Promise<ReplicationSummary> {
  const index = await deps.remote.getJson(input.source);
  if (!isObject(index) || typeof index['version'] !== 'string' || !index['version'].startsWith('3.')) {
    throw invalidInput('replicate_not_v3', `${input.source} is not a NuGet V3 service index.`);
  }
  const packageBase = resource(index, 'PackageBaseAddress/3.0.0');
  if (!packageBase)
    throw invalidInput('replicate_no_content', `${input.source} has no PackageBaseAddress/3.0.0.`);
  const replicator = new Replicator(deps, packageBase);
  const catalogUrl = resource(index, 'Catalog/3.0.0');

  if (!catalogUrl) {
    if (!input.ids || input.ids.length === 0) {
      throw invalidInput(
        'replicate_needs_ids',
        `${input.source} has no catalog, so nugget cannot discover its packages: list the ids to copy with --ids.`,
      );
    }
    await walkFlatContainer(deps, replicator, packageBase, input.ids, progress);
    return replicator.summary();
  }

  // The catalog walk of catalog-resource.md, "Iterating over catalog items".
  const cursor = (await deps.cursors.get(input.source)) ?? minimumCursor;
  const catalog = await deps.remote.getJson(catalogUrl);
  const pages = asArray(isObject(catalog) ? catalog['items'] : undefined)
    .filter(isObject)
    .filter((p) => typeof p['commitTimeStamp'] === 'string' && p['commitTimeStamp'] > cursor);
  const items: Json[] = [];
  for (const page of pages) {
    const document = await deps.remote.getJson(String(page['@id']));
    for (const item of asArray(isObject(document) ? document['items'] : undefined)) {
      if (isObject(item) && typeof item['commitTimeStamp'] === 'string' && item['commitTimeStamp'] > cursor) {
        items.push(item);
      }
    }
  }
  // ISO timestamps of one feed compare as strings; the sort is stable, so one commit's items keep their order.
  items.sort((a, b) => Date.parse(String(a['commitTimeStamp'])) - Date.parse(String(b['commitTimeStamp'])));
  progress.start(items.length);

  let last = cursor;
  for (const item of items) {
    const id = String(item['nuget:id']);
    const version = String(item['nuget:version']);
    const lowerVersion = lowerVersionOf(version);
    if (!lowerVersion) {
      replicator.skipped += 1;
    } else if (item['@type'] === 'nuget:PackageDelete') {
      await replicator.remove(id, lowerVersion);
    } else {
      const leaf = await deps.remote.getJson(String(item['@id']));
      const details = isObject(leaf) ? leaf : {};
      const deprecation = deprecationOf(details);
      await replicator.apply(id, lowerVersion, {
        listed: details['listed'] !== false,
        ...(deprecation ? { deprecation } : {}),
      });
    }
    // Saved after every item: stopping at any point loses nothing and repeats nothing but that item.
    last = String(item['commitTimeStamp']);
    await deps.cursors.set(input.source, last);
    progress.advance(`${id} ${version}`);
  }
  return replicator.summary(last);
}

async function walkFlatContainer(
  deps: Deps,
  replicator: Replicator,
  packageBase: string,
  ids: readonly string[],
  progress: ReplicationProgress,
): Promise<void> {
  const base = packageBase.endsWith('/') ? packageBase : `${packageBase}/`;
  const work: [string, string][] = [];
  for (const id of ids) {
    const list = await deps.remote.getJson(`${base}${toLowerId(id)}/index.json`);
    for (const version of asArray(isObject(list) ? list['versions'] : undefined)) {
      const lowerVersion = typeof version === 'string' ? lowerVersionOf(version) : undefined;
      if (lowerVersion) work.push([id, lowerVersion]);
    }
  }
  progress.start(work.length);
  // Without a catalog there is no listed state to read: versions arrive listed.
  for (const [id, lowerVersion] of work) {
    if (!(await deps.packages.findVersion(toLowerId(id), lowerVersion))) {
      await replicator.apply(id, lowerVersion, { listed: true });
    }
    progress.advance(`${id} ${lowerVersion}`);
  }
}
