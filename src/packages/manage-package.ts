// Unlist, relist and delete: the DELETE and POST verbs of PackagePublish.
// Spec: ../shared/spec/nuget-api/package-publish-resource.md ("Delete a package", "Relist a package")
import { notFound } from '../errors.ts';
import { toLowerId } from '../nuget/packaging/index.ts';
import { parseVersion, toNormalizedString } from '../nuget/versioning/index.ts';
import type { DeleteBehavior } from './feed.ts';
import type { BlobStore, PackageStore, SymbolStore } from './ports.ts';
import type { EventOrigin, PackageEventInput } from './webhook-event.ts';

/**
 * Who asks, for the webhook event of the change; with `reportAs`, the event is of that type (and detail) instead
 * of the one the verb makes: retention reports 'package.removed-by-retention' for what it unlists or deletes.
 */
export interface ChangeOrigin {
  readonly origin?: EventOrigin | undefined;
  readonly reportAs?: Pick<PackageEventInput, 'type' | 'detail'> | undefined;
}

const eventOf = (input: ChangeOrigin, type: PackageEventInput['type']): PackageEventInput | undefined =>
  input.origin && { ...input.origin, type, ...input.reportAs };

export type { DeleteBehavior } from './feed.ts';

/** The client sends id and version as the user typed them: match the id case-insensitively, the version normalized. */
export function packageKey(id: string, version: string): { lowerId: string; lowerVersion: string } {
  return { lowerId: toLowerId(id), lowerVersion: toNormalizedString(parseVersion(version)).toLowerCase() };
}

const missing = (id: string, version: string) =>
  notFound('package_not_found', `There is no package ${id} ${version} on this feed.`);

export async function setListed(
  deps: { packages: PackageStore },
  input: { id: string; version: string; listed: boolean } & ChangeOrigin,
): Promise<void> {
  const { lowerId, lowerVersion } = packageKey(input.id, input.version);
  const event = eventOf(input, input.listed ? 'package.relisted' : 'package.unlisted');
  if (!(await deps.packages.setListed(lowerId, lowerVersion, input.listed, { event })))
    throw missing(input.id, input.version);
}

/** DELETE: unlists by default; with the 'delete' behavior the version and its files are removed for good. */
export async function deletePackage(
  deps: { packages: PackageStore; blobs: BlobStore; deleteBehavior: DeleteBehavior; symbols?: SymbolStore },
  input: { id: string; version: string } & ChangeOrigin,
): Promise<void> {
  if (deps.deleteBehavior === 'unlist') {
    await setListed(deps, { ...input, listed: false });
    return;
  }
  const { lowerId, lowerVersion } = packageKey(input.id, input.version);
  const event = eventOf(input, 'package.deleted');
  const removed = await deps.packages.remove(lowerId, lowerVersion, { event });
  if (!removed) throw missing(input.id, input.version);
  // Symbols of a package that is gone would still be served by the symbol server: they go with it.
  const symbols = await deps.symbols?.remove(lowerId, lowerVersion);
  // The delete is done once its rows are: files that cannot be removed now (storage out of reach) are
  // unreferenced, and `nugget gc` removes them. Failing here would make the client retry a delete that
  // happened, and get a 404 for it.
  for (const prefix of [removed.blobPrefix, symbols?.blobPrefix]) {
    if (prefix !== undefined) await deps.blobs.deletePrefix(prefix).catch(() => {});
  }
}
