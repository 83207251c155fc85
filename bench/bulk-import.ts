// The documented bulk import of the server benchmark: fills a data directory with the synthetic feed
// (bench/synthetic-feed.ts) far faster than one push per version, with the same rows a push would write.
//
// How, and what differs from pushing every version (bench/README.md, "The synthetic feed"):
// - The first version of the first `templates` ids goes through the real publishPackage use case
//   (readNupkg, validation, blobs, metadata, search documents, catalog): a few hundred distinct real nupkgs.
// - Every other version is a copy of one of those records with its own id, version, flags, timestamps and
//   metadata (description, tags, title, dependency groups from the synthetic spec). Its rows go in with the
//   stores' own SQL building blocks, many versions per transaction: package_versions rows, one catalog
//   entry per version (the rows appendCatalogEntry writes, in multi-row inserts) and the search documents of each
//   id once (refreshSearchDocuments).
// - Its .nupkg and .nuspec blobs are hard links to the template's files, so the download endpoint serves real
//   bytes of the right size, but the nuspec inside names the template's id and version.
// Only the embedded default (SQLite + files) is supported.
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import { composeNugget } from '../src/compose.ts';
import { configFromFlags } from '../src/config/config.ts';
import {
  formatVersionRange,
  isPrerelease,
  isSemVer2Package,
  parseVersion,
  parseVersionRange,
  toFullString,
  toNormalizedString,
} from '../src/nuget/versioning/index.ts';
import { blobKeys, publishPackage } from '../src/packages/publish-package.ts';
import { defaultFeedName, pushBlobPrefix } from '../src/packages/feed.ts';
import type { PackageVersion } from '../src/protocol/package-version.ts';
import { bumpFeedStamp } from '../src/storage/sql/catalog-log.ts';
import type { Database } from '../src/storage/sql/schema.ts';
import { toPackageVersionRow } from '../src/storage/sql/sql-package-store.ts';
import { refreshSearchDocuments } from '../src/storage/sql/sqlite-search-index.ts';
import { buildNupkg } from '../test/fixtures/build-nupkg.ts';
import { nupkgSpecOf, type SyntheticPackage, syntheticFeed } from './synthetic-feed.ts';

export interface BulkImportOptions {
  readonly dataDir: string;
  readonly ids: number;
  readonly versions: number;
  readonly seed: number;
  /** How many versions go through the real publishPackage (default 300). */
  readonly templates?: number;
  /** The feed the versions go into, created when missing (default: the default feed). */
  readonly feed?: string;
  readonly log?: (line: string) => void;
  /** One more id with this many versions (synthetic-feed.ts, bigId). */
  readonly bigIdVersions?: number;
  /**
   * Which copies get their blobs (hard links to the template's files); default all. At a million versions the
   * links take longer than the rows: the scale bench links only the versions it downloads.
   */
  readonly linkBlobs?: (lowerId: string, lowerVersion: string) => boolean;
}

export interface BulkImportReport {
  /** The feed imported into (reports written before feeds have none: the default feed). */
  readonly feed?: string;
  readonly ids: number;
  readonly versions: number;
  readonly seed: number;
  readonly bigIdVersions?: number;
  readonly templates: number;
  /** Seconds for the templates through publishPackage (building their nupkgs included). */
  readonly publishSeconds: number;
  readonly publishPerSecond: number;
  /** Seconds for the rows and links of every other version. */
  readonly bulkSeconds: number;
  readonly bulkVersionsPerSecond: number;
  readonly totalSeconds: number;
}

/** Written into the data dir when an import completes, so a rerun with --data-dir can reuse the feed. */
export const markerFile = 'bench-feed.json';

/** One version of a synthetic package, as a copy of a template record. */
function describeCopy(
  feed: string,
  template: PackageVersion,
  pkg: SyntheticPackage,
  versionIndex: number,
  published: Date,
): PackageVersion {
  const text = pkg.versions[versionIndex] ?? '1.0.0';
  const parsed = parseVersion(text);
  const ranges = pkg.dependencies.map((d) => parseVersionRange(d.range));
  const version = toNormalizedString(parsed);
  const lowerId = pkg.id.toLowerCase();
  return {
    ...template,
    id: pkg.id,
    lowerId,
    version,
    lowerVersion: version.toLowerCase(),
    fullVersion: toFullString(parsed),
    isPrerelease: isPrerelease(parsed),
    isSemVer2: isSemVer2Package({ version: parsed, dependencyRanges: ranges }),
    listed: !pkg.unlisted.has(versionIndex),
    published: published.toISOString(),
    downloads: 0,
    blobPrefix: pushBlobPrefix(feed, 'packages', lowerId, version.toLowerCase(), 'bulk'),
    metadata: {
      ...template.metadata,
      title: pkg.title,
      authors: pkg.authors,
      description: pkg.description,
      tags: pkg.tags,
      projectUrl: `https://example.com/${lowerId}`,
      dependencyGroups: pkg.frameworks.map((targetFramework) => ({
        targetFramework,
        dependencies: pkg.dependencies.map((d, i) => ({
          id: d.id,
          range: formatVersionRange(ranges[i] ?? parseVersionRange(d.range)),
        })),
      })),
    },
  };
}

/** Runs `work` over `items` with at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * One catalog entry per version, as appendCatalogEntry writes them (numbers and commit timestamps in order, the
 * version as its snapshot: the synthetic feed has no advisories), in multi-row inserts, and the feed's stamp moved
 * once: the import's one transaction per batch is one commit.
 */
async function appendCatalogEntries(
  trx: Transaction<Database>,
  feed: string,
  versions: readonly PackageVersion[],
): Promise<void> {
  const last = await trx
    .selectFrom('catalog_entries')
    .select('commit_timestamp')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const lastInFeed = await trx
    .selectFrom('catalog_entries')
    .select((eb) => eb.fn.max('feed_seq').as('n'))
    .where('feed', '=', feed)
    .executeTakeFirst();
  const now = Date.now();
  const first = Math.max(now, last ? Date.parse(last.commit_timestamp) + 1 : now);
  let feedSeq = Number(lastInFeed?.n ?? 0);
  const rows = versions.map((v, i) => ({
    feed,
    feed_seq: ++feedSeq,
    commit_id: randomUUID(),
    commit_timestamp: new Date(first + i).toISOString(),
    type: 'PackageDetails' as const,
    lower_id: v.lowerId,
    lower_version: v.lowerVersion,
    id: v.id,
    version: v.fullVersion,
    snapshot: JSON.stringify(v),
  }));
  for (let start = 0; start < rows.length; start += 500) {
    await trx
      .insertInto('catalog_entries')
      .values(rows.slice(start, start + 500))
      .execute();
  }
  await bumpFeedStamp(trx, feed, new Date(now));
}

async function insertBatch(
  db: Kysely<Database>,
  feed: string,
  versions: readonly PackageVersion[],
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (let start = 0; start < versions.length; start += 500) {
      await trx
        .insertInto('package_versions')
        .values(versions.slice(start, start + 500).map((v) => toPackageVersionRow(feed, v)))
        .execute();
    }
    await appendCatalogEntries(trx, feed, versions);
    for (const lowerId of new Set(versions.map((v) => v.lowerId))) {
      await refreshSearchDocuments(trx, feed, lowerId);
    }
  });
}

export async function bulkImport(options: BulkImportOptions): Promise<BulkImportReport> {
  const log = options.log ?? (() => {});
  const dataDir = resolve(options.dataDir);
  const packages = syntheticFeed(options);
  const templateCount = Math.min(options.templates ?? 300, packages.length);
  const started = performance.now();
  const nugget = await composeNugget(configFromFlags({ dataDir, logLevel: 'warn' }, {}));
  try {
    const feedName = options.feed ?? defaultFeedName;
    if (!(await nugget.feeds.find(feedName))) {
      await nugget.services.feedStore.create({
        name: feedName,
        description: 'the benchmark feed',
        overrides: {},
        created: new Date().toISOString(),
      });
    }
    const { feed, stores } = await nugget.openFeed(feedName);
    // 1. Templates, through the real push use case.
    const templates: PackageVersion[] = [];
    for (let index = 0; index < templateCount; index++) {
      const pkg = packages[index] as SyntheticPackage;
      const bytes = await buildNupkg(nupkgSpecOf(pkg, pkg.versions[0] ?? '1.0.0'));
      const path = join(dataDir, 'tmp', `bench-template-${index}.nupkg`);
      await writeFile(path, bytes);
      templates.push(
        await publishPackage(
          { feed, packages: stores.packages, blobs: nugget.services.blobs, clock: nugget.services.clock },
          { path, size: bytes.length, sha512: hashOf(bytes) },
        ),
      );
    }
    const publishSeconds = (performance.now() - started) / 1000;
    log(`  ${templateCount} template versions through publishPackage in ${publishSeconds.toFixed(1)} s`);

    // 2. Every other version: rows in batches, blobs as hard links to a template's files.
    const bulkStarted = performance.now();
    const total = packages.reduce((sum, pkg) => sum + pkg.versions.length, 0);
    const blobRoot = join(dataDir, 'blobs');
    const epoch = Date.UTC(2023, 0, 1);
    let batch: PackageVersion[] = [];
    let done = 0;
    const flush = async () => {
      const linked = options.linkBlobs
        ? batch.filter((v) => options.linkBlobs!(v.lowerId, v.lowerVersion))
        : batch;
      await eachLimited(linked, 32, async (version) => {
        const template = templates[hashIndex(version.lowerId, templates.length)] as PackageVersion;
        const pairs: [string, string][] = [
          [blobKeys.nupkg(template), blobKeys.nupkg(version)],
          [blobKeys.embedded(template, 'nuspec'), blobKeys.embedded(version, 'nuspec')],
        ];
        for (const [from, to] of pairs) {
          await mkdir(dirname(join(blobRoot, to)), { recursive: true });
          await link(join(blobRoot, from), join(blobRoot, to));
        }
      });
      await insertBatch(nugget.db, feedName, batch);
      done += batch.length;
      batch = [];
      log(`  ${done} / ${total - templateCount} versions imported`);
    };
    for (let index = 0; index < packages.length; index++) {
      const pkg = packages[index] as SyntheticPackage;
      const template = templates[hashIndex(pkg.id.toLowerCase(), templates.length)] as PackageVersion;
      for (let v = index < templateCount ? 1 : 0; v < pkg.versions.length; v++) {
        // Ids released over three years, versions a few days apart.
        const published = new Date(epoch + index * 9_000_000 + v * 259_200_000);
        batch.push(describeCopy(feedName, template, pkg, v, published));
      }
      if (batch.length >= 5000) await flush();
    }
    if (batch.length > 0) await flush();
    const bulkSeconds = (performance.now() - bulkStarted) / 1000;
    const report: BulkImportReport = {
      feed: feedName,
      ids: options.ids,
      versions: options.versions,
      seed: options.seed,
      ...(options.bigIdVersions ? { bigIdVersions: options.bigIdVersions } : {}),
      templates: templateCount,
      publishSeconds,
      publishPerSecond: templateCount / publishSeconds,
      bulkSeconds,
      bulkVersionsPerSecond: (total - templateCount) / bulkSeconds,
      totalSeconds: (performance.now() - started) / 1000,
    };
    await writeFile(join(dataDir, markerFile), `${JSON.stringify(report, null, 2)}\n`);
    return report;
  } finally {
    await nugget.close();
  }
}

function hashOf(bytes: Buffer): string {
  return createHash('sha512').update(bytes).digest('base64');
}

/** A stable template for an id (so all versions of an id share one template's nupkg). */
function hashIndex(text: string, modulo: number): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return (hash >>> 0) % modulo;
}
