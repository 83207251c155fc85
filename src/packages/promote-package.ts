// Promotion: a version of one feed becomes a version of another (`nugget promote <id> <version> --from ci --to
// release`, POST /admin/promote), with its readme, icon, license, deprecation and symbols, without being uploaded
// again. The target's blobs are copies made by the blob store (a hard link on a file system: stored once), under
// the target feed's own prefix, so deleting the source feed later leaves the target whole
// (docs/decisions/0011-feeds-data-model-urls-and-promotion.md). Blobs first, then the version and its symbols in one transaction that appends
// to the target's catalog (architecture rule 12).
import { quotaAdmission } from './feed-quotas.ts';
import { randomUUID } from 'node:crypto';
import { conflict, tooLarge } from '../errors.ts';
import type { EmbeddedFileKind, PackageVersion } from '../protocol/package-version.ts';
import { type Feed, pushBlobPrefix } from './feed.ts';
import { packageKey } from './manage-package.ts';
import type { BlobStore, Clock, FeedStores, SymbolPackage } from './ports.ts';
import { blobKeys } from './publish-package.ts';
import { symbolBlobKeys } from './publish-symbol-package.ts';
import { notFound } from '../errors.ts';
import type { EventOrigin } from './webhook-event.ts';

export interface PromotionSide {
  readonly feed: Pick<Feed, 'name' | 'settings'>;
  readonly stores: Pick<FeedStores, 'packages' | 'symbols'>;
}

export interface PromotionResult {
  readonly id: string;
  readonly version: string;
  readonly from: string;
  readonly to: string;
  readonly symbols: boolean;
}

export async function promotePackage(
  deps: { from: PromotionSide; to: PromotionSide; blobs: BlobStore; clock: Clock },
  input: { id: string; version: string; origin?: EventOrigin | undefined },
): Promise<PromotionResult> {
  const { from, to } = deps;
  if (from.feed.name === to.feed.name) {
    throw conflict(
      'promote_same_feed',
      `--from and --to both name feed '${from.feed.name}': name two feeds.`,
    );
  }
  const { lowerId, lowerVersion } = packageKey(input.id, input.version);
  const source = await from.stores.packages.findVersion(lowerId, lowerVersion);
  if (!source) {
    throw notFound(
      'package_not_found',
      `There is no package ${input.id} ${input.version} on feed '${from.feed.name}' to promote.`,
    );
  }
  const label = `${source.id} ${source.version}`;
  if (await to.stores.packages.findVersion(lowerId, lowerVersion)) {
    throw conflict(
      'package_exists',
      `${label} is already on feed '${to.feed.name}': it was promoted before.`,
    );
  }
  if (
    !to.feed.settings.allowRepushAfterDelete &&
    (await to.stores.packages.wasDeleted(lowerId, lowerVersion))
  ) {
    throw conflict(
      'package_deleted',
      `${label} was deleted from feed '${to.feed.name}' and may not come back: promote a new version.`,
    );
  }
  if (source.packageSize > to.feed.settings.maxPackageSize) {
    throw tooLarge(
      'package_too_large',
      `${label} is ${source.packageSize} bytes; feed '${to.feed.name}' takes packages up to ` +
        `${to.feed.settings.maxPackageSize} bytes.`,
    );
  }

  const now = deps.clock.now();
  const promoted: PackageVersion = {
    ...source,
    blobPrefix: pushBlobPrefix(to.feed.name, 'packages', lowerId, lowerVersion, randomUUID()),
    // New on the target feed: published now, and counted from zero there.
    published: now.toISOString(),
    downloads: 0,
  };
  const sourceSymbols = await from.stores.symbols.findPackage(lowerId, lowerVersion);
  const prefixes = [promoted.blobPrefix];
  try {
    await copyBlob(deps.blobs, blobKeys.nupkg(source), blobKeys.nupkg(promoted), label);
    for (const kind of source.embeddedFiles as readonly EmbeddedFileKind[]) {
      await copyBlob(deps.blobs, blobKeys.embedded(source, kind), blobKeys.embedded(promoted, kind), label);
    }
    let symbols: SymbolPackage | undefined;
    if (sourceSymbols) {
      const blobPrefix = pushBlobPrefix(to.feed.name, 'symbols', lowerId, lowerVersion, randomUUID());
      prefixes.push(blobPrefix);
      symbols = {
        ...sourceSymbols,
        blobPrefix,
        published: now.toISOString(),
        files: sourceSymbols.files.map((file) => ({
          ...file,
          blobKey: symbolBlobKeys.file(blobPrefix, file.fileName, file.symbolKey),
        })),
      };
      await copyBlob(deps.blobs, symbolBlobKeys.snupkg(sourceSymbols), symbolBlobKeys.snupkg(symbols), label);
      for (const [i, file] of sourceSymbols.files.entries()) {
        await copyBlob(deps.blobs, file.blobKey, symbols.files[i]!.blobKey, label);
      }
    }
    const admit = quotaAdmission(to.feed, promoted);
    // The target feed reports it (package.promoted, with the feed it came from), in the insert's transaction.
    const event = input.origin && {
      ...input.origin,
      type: 'package.promoted' as const,
      detail: { promotedFrom: from.feed.name },
    };
    if ((await to.stores.packages.insert(promoted, { symbols, admit, event })) === 'duplicate') {
      throw conflict(
        'package_exists',
        `${label} is already on feed '${to.feed.name}': it was promoted before.`,
      );
    }
    return {
      id: source.id,
      version: source.version,
      from: from.feed.name,
      to: to.feed.name,
      symbols: !!symbols,
    };
  } catch (error) {
    for (const prefix of prefixes) await deps.blobs.deletePrefix(prefix);
    throw error;
  }
}

async function copyBlob(blobs: BlobStore, fromKey: string, toKey: string, label: string): Promise<void> {
  if (!(await blobs.copy(fromKey, toKey))) {
    // The row is there but its file is not: a storage fault, not the client's mistake.
    throw new Error(
      `${label}: blob ${fromKey} is missing from the blob store; run nugget gc --dry-run to check it`,
    );
  }
}
