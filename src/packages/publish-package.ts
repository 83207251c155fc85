// PackagePublish: validate a pushed nupkg and make it part of the feed.
// Spec: ../shared/spec/nuget-api/package-publish-resource.md
import { randomUUID } from 'node:crypto';
import { conflict } from '../errors.ts';
import { type Nupkg, readNupkg, toLowerId } from '../nuget/packaging/index.ts';
import {
  formatVersionRange,
  isPrerelease,
  isSemVer2Package,
  toFullString,
  toNormalizedString,
} from '../nuget/versioning/index.ts';
import type { EmbeddedFileKind, PackageMetadata, PackageVersion } from '../protocol/package-version.ts';
import { nupkgFileName } from '../protocol/package-version.ts';
import { type Feed, pushBlobPrefix } from './feed.ts';
import { quotaAdmission } from './feed-quotas.ts';
import type { BlobStore, Clock, FreshBlob, PackageStore } from './ports.ts';
import type { EventOrigin, PackageEventInput } from './webhook-event.ts';

export interface UploadedPackage {
  /**
   * A temporary file holding the pushed nupkg; publishing may move it. When `bytes` is given the file may not
   * exist (a small push is kept in memory only: receive-package.ts), and `bytes` is what is stored.
   */
  readonly path: string;
  readonly size: number;
  /** Base64 SHA-512 of the file, computed while it was received. */
  readonly sha512: string;
  /** The file's whole content, when it was small enough to be kept while received (read instead of the file). */
  readonly bytes?: Buffer | undefined;
}

export const blobKeys = {
  nupkg: (pkg: Pick<PackageVersion, 'blobPrefix' | 'lowerId' | 'lowerVersion'>): string =>
    `${pkg.blobPrefix}/${nupkgFileName(pkg.lowerId, pkg.lowerVersion)}`,
  embedded: (pkg: Pick<PackageVersion, 'blobPrefix'>, kind: EmbeddedFileKind): string =>
    `${pkg.blobPrefix}/${kind}`,
};

/**
 * Publishes a package: blobs first, then metadata in one transaction (architecture rule 12).
 * The blob prefix is unique per push, so a push that loses a race for the same id and version removes
 * only its own files and never the winner's.
 */
export async function publishPackage(
  deps: {
    /** The feed pushed to: where the blobs go, and whether a deleted version may come back. */
    feed: Pick<Feed, 'name' | 'settings'>;
    packages: PackageStore;
    blobs: BlobStore;
    clock: Clock;
    /** Called once the id is known, before anything is stored: throws to refuse the push (e.g. 403). */
    authorize?: (candidate: PackageVersion) => Promise<void>;
    /** Who pushes, for the package.pushed webhook event (recorded with the version, in one transaction). */
    origin?: EventOrigin | undefined;
    /** Report it as this event instead of package.pushed: an upstream's version copied in is 'package.ingested'. */
    reportAs?: Pick<PackageEventInput, 'type' | 'detail'> | undefined;
  },
  upload: UploadedPackage,
): Promise<PackageVersion> {
  const nupkg = await readNupkg(upload.path, undefined, upload.bytes);
  const candidate = describePackage(deps.feed.name, nupkg, upload, deps.clock.now());
  await deps.authorize?.(candidate);

  if (await deps.packages.findVersion(candidate.lowerId, candidate.lowerVersion)) {
    throw duplicate(candidate);
  }
  // A version deleted for good stays gone unless the feed allows it back: a restore that once got these bytes
  // must never get others under the same id and version (docs/feeds.md, "Settings").
  if (
    !deps.feed.settings.allowRepushAfterDelete &&
    (await deps.packages.wasDeleted(candidate.lowerId, candidate.lowerVersion))
  ) {
    throw conflict(
      'package_deleted',
      `${candidate.id} ${candidate.version} was deleted from feed '${deps.feed.name}' and may not be pushed ` +
        'again: push a new version (an admin can allow this with nugget feed update ' +
        `${deps.feed.name} --set allowRepushAfterDelete=true).`,
    );
  }

  const embedded: [EmbeddedFileKind, Uint8Array | undefined][] = [
    ['nuspec', nupkg.nuspecBytes],
    ['readme', nupkg.readme?.bytes],
    ['icon', nupkg.icon?.bytes],
    ['license', nupkg.licenseFile?.bytes],
  ];
  try {
    // The files at once: they are durable when the puts return (a file store syncs them), and the row that makes
    // them visible is committed only after all of them; their syncs overlap instead of adding up. The prefix is
    // this push's own and no row names it before the insert below, so a store that can store fresh files in one go
    // does (BlobStore.putFresh).
    const files: FreshBlob[] = [
      ...embedded.flatMap(([kind, bytes]) =>
        bytes ? [{ key: blobKeys.embedded(candidate, kind), bytes }] : [],
      ),
      // A small push's bytes are written once, under their final name, instead of being written to a temporary
      // file, renamed and synced again (docs/decisions/0028-perf-push-in-place-and-fewer-pool-trips.md).
      upload.bytes
        ? { key: blobKeys.nupkg(candidate), bytes: upload.bytes }
        : { key: blobKeys.nupkg(candidate), sourcePath: upload.path },
    ];
    if (deps.blobs.putFresh) await deps.blobs.putFresh(files);
    else {
      const stored = await Promise.allSettled(
        files.map((file) =>
          'bytes' in file
            ? deps.blobs.put(file.key, file.bytes)
            : deps.blobs.putFile(file.key, file.sourcePath),
        ),
      );
      const failed = stored.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    }
    const admit = quotaAdmission(deps.feed, candidate);
    const event = deps.origin && { ...deps.origin, type: 'package.pushed' as const, ...deps.reportAs };
    if ((await deps.packages.insert(candidate, { admit, event })) === 'duplicate') throw duplicate(candidate);
  } catch (error) {
    // The first error is what the client must hear (a full disk, a 409): a clean-up that fails too (the same
    // full disk, storage out of reach) must not replace it. Its files are then unreferenced, and `gc` takes them.
    await deps.blobs.deletePrefix(candidate.blobPrefix).catch(() => {});
    throw error;
  }
  return candidate;
}

function duplicate(pkg: PackageVersion) {
  return conflict(
    'package_exists',
    `${pkg.id} ${pkg.version} already exists on this feed. Versions are immutable: push a new version, ` +
      'or use --skip-duplicate to ignore packages that are already there.',
  );
}

function describePackage(feed: string, nupkg: Nupkg, upload: UploadedPackage, now: Date): PackageVersion {
  const { nuspec } = nupkg;
  const lowerId = toLowerId(nuspec.id);
  const version = toNormalizedString(nuspec.version);
  const ranges = nuspec.dependencyGroups.flatMap((group) => group.dependencies.map((d) => d.range));
  const embeddedFiles: EmbeddedFileKind[] = ['nuspec'];
  if (nupkg.readme) embeddedFiles.push('readme');
  if (nupkg.icon) embeddedFiles.push('icon');
  if (nupkg.licenseFile) embeddedFiles.push('license');

  const metadata: PackageMetadata = {
    title: nuspec.title,
    authors: nuspec.authors,
    owners: nuspec.owners,
    description: nuspec.description,
    summary: nuspec.summary,
    releaseNotes: nuspec.releaseNotes,
    copyright: nuspec.copyright,
    language: nuspec.language,
    tags: nuspec.tags,
    projectUrl: nuspec.projectUrl,
    iconUrl: nuspec.iconUrl,
    iconFile: nupkg.icon?.path,
    readmeFile: nupkg.readme?.path,
    licenseUrl: nuspec.licenseUrl,
    licenseExpression: nuspec.license?.type === 'expression' ? nuspec.license.value : undefined,
    licenseFile: nuspec.license?.type === 'file' ? nuspec.license.value : undefined,
    requireLicenseAcceptance: nuspec.requireLicenseAcceptance,
    developmentDependency: nuspec.developmentDependency,
    minClientVersion: nuspec.minClientVersion,
    repository: nuspec.repository,
    packageTypes: nuspec.packageTypes.map((t) => ({ name: t.name, version: t.version })),
    dependencyGroups: nuspec.dependencyGroups.map((group) => ({
      targetFramework: group.targetFramework,
      dependencies: group.dependencies.map((d) => ({ id: d.id, range: formatVersionRange(d.range) })),
    })),
  };

  return {
    id: nuspec.id,
    lowerId,
    version,
    lowerVersion: version.toLowerCase(),
    fullVersion: toFullString(nuspec.version),
    isPrerelease: isPrerelease(nuspec.version),
    isSemVer2: isSemVer2Package({ version: nuspec.version, dependencyRanges: ranges }),
    listed: true,
    published: now.toISOString(),
    downloads: 0,
    packageSize: upload.size,
    packageHash: upload.sha512,
    blobPrefix: pushBlobPrefix(feed, 'packages', lowerId, version.toLowerCase(), randomUUID()),
    embeddedFiles,
    metadata,
  };
}
