// `nugget replicate`: copy another V3 feed into this one by following its catalog with a stored cursor
// (../shared/spec/nuget-api/query-for-all-published-packages.md), so a rerun continues where the last stopped.
// The catalog is read one page at a time (catalog-reader.ts), so memory does not grow with the source; the cursor
// moves only past commits whose every item is applied, so a run stopped at any point (kill -9 included) repeats at
// most the items of the commit it was in, which are idempotent: a version already here is not copied again.
// A feed without a catalog is walked through its flat container for a given list of ids instead.
import { rm } from 'node:fs/promises';
import { invalidInput, isNuggetError } from '../errors.ts';
import { packageIdProblem, toLowerId } from '../nuget/packaging/index.ts';
import { toNormalizedString, tryParseVersion } from '../nuget/versioning/index.ts';
import type { PackageDeprecation, PackageVersion } from '../protocol/package-version.ts';
import { type CatalogItem, minimumCursor, openCatalog } from './catalog-reader.ts';
import { deletePackage } from './manage-package.ts';
import type { BlobStore, Clock, PackageStore, ReplicationCursorStore, SymbolStore } from './ports.ts';
import { publishPackage } from './publish-package.ts';
import { type DownloadedPackage, type RemoteFeed, RemoteFeedError } from './remote-feed.ts';

export type { RemoteFeed } from './remote-feed.ts';

export interface ReplicationProgress {
  /** The work ahead: catalog items to read, or ids to walk when the source has no catalog. */
  start(total: number, unit: 'items' | 'ids'): void;
  /** `count` more of them are done. */
  advance(count: number): void;
  /** The package version being copied now. */
  current(what: string): void;
  /** A package version this feed refused (invalid, too large): it is passed over and replication goes on. */
  warn(message: string): void;
}

export interface ReplicationSummary {
  readonly added: number;
  readonly updated: number;
  readonly deleted: number;
  /** Versions the source lists but no longer serves, or whose version does not parse. */
  readonly skipped: number;
  /** Versions this feed refused (each was reported through {@link ReplicationProgress.warn}). */
  readonly refused: number;
  readonly cursor?: string | undefined;
}

interface Deps {
  readonly packages: PackageStore;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly cursors: ReplicationCursorStore;
  readonly remote: RemoteFeed;
  readonly symbols?: SymbolStore | undefined;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

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

/** What a PackageDetails leaf says the version is (catalog-resource.md, "Package details catalog items"). */
interface SourceState {
  readonly listed: boolean;
  readonly deprecation?: PackageDeprecation | undefined;
  /** Base64 SHA-512 of the source's nupkg, when the leaf says it. */
  readonly packageHash?: string | undefined;
}

function stateOfLeaf(leaf: unknown): SourceState {
  const details = isObject(leaf) ? leaf : {};
  // Older nuget.org leaves have no `listed`: an unlisted version is published in 1900 there (spec, Note).
  const listed =
    typeof details['listed'] === 'boolean'
      ? details['listed']
      : !(typeof details['published'] === 'string' && details['published'].startsWith('1900-'));
  const algorithm = details['packageHashAlgorithm'];
  const hashed =
    typeof details['packageHash'] === 'string' &&
    (algorithm === undefined || (typeof algorithm === 'string' && algorithm.toUpperCase() === 'SHA512'));
  return {
    listed,
    deprecation: deprecationOf(details),
    packageHash: hashed ? (details['packageHash'] as string) : undefined,
  };
}

/** This feed refused the package (invalid, too large): the source's problem, not a reason to stop. */
const isRefusal = (error: unknown) =>
  isNuggetError(error) && (error.kind === 'InvalidInput' || error.kind === 'TooLarge');

class Replicator {
  readonly #deps: Deps;
  readonly #packageBase: string;
  readonly #progress: ReplicationProgress;
  added = 0;
  updated = 0;
  deleted = 0;
  skipped = 0;
  refused = 0;

  constructor(deps: Deps, packageBase: string, progress: ReplicationProgress) {
    this.#deps = deps;
    this.#packageBase = packageBase.endsWith('/') ? packageBase : `${packageBase}/`;
    this.#progress = progress;
  }

  /**
   * Makes the local version match the source: present with the source's bytes, listed state and deprecation.
   * True when it changed anything (or refused the package).
   */
  async apply(id: string, lowerVersion: string, state: SourceState): Promise<boolean> {
    const { packages } = this.#deps;
    const lowerId = toLowerId(id);
    this.#progress.current(`${id} ${lowerVersion}`);
    let local = await packages.findVersion(lowerId, lowerVersion);
    let changed = false;
    // Other bytes under the same version: deleted and pushed again on the source, perhaps in one window whose
    // PackageDelete the reader passed over as older than this leaf.
    if (!local || (state.packageHash !== undefined && state.packageHash !== local.packageHash)) {
      const copied = await this.#copy(id, lowerId, lowerVersion, local);
      if (copied === 'refused') return true;
      if (copied === 'gone') return false;
      changed = copied !== local;
      local = copied;
    }
    let updated = false;
    if (local.listed !== state.listed) {
      await packages.setListed(lowerId, lowerVersion, state.listed);
      updated = true;
    }
    if (!sameDeprecation(local.deprecation, state.deprecation)) {
      await packages.setDeprecation(lowerId, lowerVersion, state.deprecation);
      updated = true;
    }
    if (updated && !changed) this.updated += 1;
    return changed || updated;
  }

  /** Downloads the source's nupkg and publishes it in place of `local` when its bytes differ. */
  async #copy(
    id: string,
    lowerId: string,
    lowerVersion: string,
    local: PackageVersion | undefined,
  ): Promise<PackageVersion | 'gone' | 'refused'> {
    const { packages, blobs, clock, remote } = this.#deps;
    let download: DownloadedPackage | undefined;
    try {
      download = await remote.download(
        `${this.#packageBase}${lowerId}/${lowerVersion}/${lowerId}.${lowerVersion}.nupkg`,
      );
      if (!download) {
        // Gone from the source since this entry was written; a later PackageDelete entry says so.
        this.skipped += 1;
        return 'gone';
      }
      if (local && download.sha512 === local.packageHash) return local;
      if (local) await this.remove(id, lowerVersion, false);
      const published = await publishPackage(
        {
          packages,
          blobs,
          clock,
          // The nupkg at a version's address must be that version: anything else is the source's mistake.
          authorize: async (candidate) => {
            if (candidate.lowerId !== lowerId || candidate.lowerVersion !== lowerVersion) {
              throw invalidInput(
                'replicate_wrong_package',
                `The source serves ${candidate.id} ${candidate.version} at the address of ${id} ${lowerVersion}.`,
              );
            }
          },
        },
        download,
      );
      if (local) this.updated += 1;
      else this.added += 1;
      return published;
    } catch (error) {
      if (!isRefusal(error)) throw error;
      this.refused += 1;
      this.#progress.warn(`${id} ${lowerVersion} not copied: ${(error as Error).message}`);
      return 'refused';
    } finally {
      if (download) await rm(download.path, { force: true });
    }
  }

  /** True when a local version was removed. */
  async remove(id: string, lowerVersion: string, count = true): Promise<boolean> {
    const { packages, blobs, symbols } = this.#deps;
    if (!(await packages.findVersion(toLowerId(id), lowerVersion))) return false;
    await deletePackage(
      { packages, blobs, symbols, deleteBehavior: 'delete' },
      { id, version: lowerVersion },
    );
    if (count) this.deleted += 1;
    return true;
  }

  summary(cursor?: string): ReplicationSummary {
    const { added, updated, deleted, skipped, refused } = this;
    return { added, updated, deleted, skipped, refused, cursor };
  }
}

/** The lower ids of `--ids`, each checked: a typo must not quietly copy nothing. */
function lowerIdsOf(ids: readonly string[] | undefined): Set<string> | undefined {
  if (ids === undefined) return undefined;
  const lowerIds = new Set<string>();
  for (const id of ids.map((text) => text.trim()).filter((text) => text !== '')) {
    const problem = packageIdProblem(id);
    if (problem) throw invalidInput('replicate_bad_id', `--ids: ${problem}.`);
    lowerIds.add(toLowerId(id));
  }
  if (lowerIds.size === 0) throw invalidInput('replicate_bad_id', '--ids lists no package id.');
  return lowerIds;
}

function checkSourceUrl(source: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(source).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw invalidInput(
      'replicate_bad_source',
      `'${source}' is not an http(s) URL: give the source's service index, e.g. https://feed.example/v3/index.json.`,
    );
  }
}

/**
 * Where the cursor of a run is kept. A run limited to some ids moves its own cursor past the others' items, so it
 * must not share the cursor of a full copy (which would then skip them) nor of another list of ids.
 */
export function cursorKeyOf(source: string, lowerIds: ReadonlySet<string> | undefined): string {
  return lowerIds ? `${source}#ids=${[...lowerIds].sort().join(',')}` : source;
}

export async function replicateFeed(
  deps: Deps,
  input: { source: string; ids?: readonly string[] | undefined },
  progress: ReplicationProgress,
): Promise<ReplicationSummary> {
  checkSourceUrl(input.source);
  const lowerIds = lowerIdsOf(input.ids);
  deps.remote.trust?.(input.source);
  const index = await deps.remote.getJson(input.source);
  if (index === undefined) {
    throw new RemoteFeedError(
      input.source,
      `GET ${input.source} answered 404 Not Found: give the URL of the source's service index (…/v3/index.json).`,
      { status: 404 },
    );
  }
  if (!isObject(index) || typeof index['version'] !== 'string' || !index['version'].startsWith('3.')) {
    throw invalidInput('replicate_not_v3', `${input.source} is not a NuGet V3 service index.`);
  }
  const packageBase = resource(index, 'PackageBaseAddress/3.0.0');
  if (!packageBase)
    throw invalidInput('replicate_no_content', `${input.source} has no PackageBaseAddress/3.0.0.`);
  const base = new URL(packageBase, input.source).href;
  const replicator = new Replicator(deps, base, progress);
  const catalogResource = resource(index, 'Catalog/3.0.0');
  const catalogUrl = catalogResource && new URL(catalogResource, input.source).href;
  for (const url of [base, catalogUrl]) if (url) deps.remote.trust?.(url);

  if (!catalogUrl) {
    if (!lowerIds) {
      throw invalidInput(
        'replicate_needs_ids',
        `${input.source} has no catalog, so nugget cannot discover its packages: list the ids to copy with --ids.`,
      );
    }
    await walkFlatContainer(deps, replicator, base, lowerIds, progress);
    return replicator.summary();
  }

  const cursorKey = cursorKeyOf(input.source, lowerIds);
  const cursor = (await deps.cursors.get(cursorKey)) ?? minimumCursor;
  const catalog = await openCatalog(deps.remote, catalogUrl, {
    cursor,
    includes: lowerIds && ((lowerId) => lowerIds.has(lowerId)),
  });
  progress.start(catalog.total, 'items');
  let saved = cursor;
  let complete = cursor;
  /** Something was applied since the cursor was last saved. */
  let applied = false;
  const save = async () => {
    if (complete === saved) return;
    await deps.cursors.set(cursorKey, complete);
    saved = complete;
    applied = false;
  };
  for await (const step of catalog.steps()) {
    if (step.kind === 'item') {
      if (await applyItem(deps, replicator, step.item)) applied = true;
    } else if (step.kind === 'committed') {
      complete = step.commitTimeStamp;
      // After each commit that changed something, so a stop repeats no copy; else once a page.
      if (applied) await save();
    } else {
      await save();
      progress.advance(step.read);
    }
  }
  await save();
  return replicator.summary(saved);
}

async function applyItem(deps: Deps, replicator: Replicator, item: CatalogItem): Promise<boolean> {
  if (!item.lowerVersion) {
    replicator.skipped += 1;
    return false;
  }
  if (item.type === 'PackageDelete') return replicator.remove(item.id, item.lowerVersion);
  return replicator.apply(item.id, item.lowerVersion, stateOfLeaf(await deps.remote.getJson(item.url)));
}

async function walkFlatContainer(
  deps: Deps,
  replicator: Replicator,
  packageBase: string,
  lowerIds: ReadonlySet<string>,
  progress: ReplicationProgress,
): Promise<void> {
  const base = packageBase.endsWith('/') ? packageBase : `${packageBase}/`;
  progress.start(lowerIds.size, 'ids');
  // One id at a time: its version list is all that is held. Without a catalog there is no listed state to read:
  // versions arrive listed.
  for (const lowerId of lowerIds) {
    const list = await deps.remote.getJson(`${base}${lowerId}/index.json`);
    for (const version of asArray(isObject(list) ? list['versions'] : undefined)) {
      const lowerVersion = typeof version === 'string' ? lowerVersionOf(version) : undefined;
      if (!lowerVersion) {
        replicator.skipped += 1;
      } else if (!(await deps.packages.findVersion(lowerId, lowerVersion))) {
        await replicator.apply(lowerId, lowerVersion, { listed: true });
      }
    }
    progress.advance(1);
  }
}
