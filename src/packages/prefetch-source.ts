// The feed prefetch walks, read the way a NuGet client reads it (package-base-address-resource.md,
// registration-base-url-resource.md): the service index, then version lists, .nupkg files and registrations. Each
// .nupkg is streamed to a temp file, its nuspec read for the dependency groups, and the file removed: the point is
// that the feed served it (and so, for a virtual feed, fetched and kept it).
import { rm } from 'node:fs/promises';
import { formatVersionRange } from '../nuget/versioning/index.ts';
import { readNupkg } from '../nuget/packaging/index.ts';
import type { PrefetchSource } from './prefetch.ts';
import { type RemoteFeed, RemoteFeedError } from './remote-feed.ts';

type Json = Record<string, unknown>;

/** The @id of the first of `types` (in that order of preference) the service index lists. */
function resource(index: unknown, serviceIndexUrl: string, ...types: string[]): string {
  const resources = (index as { resources?: unknown } | undefined)?.resources;
  const list = Array.isArray(resources) ? (resources as Json[]) : [];
  for (const type of types) {
    const found = list.find((r) => (Array.isArray(r['@type']) ? r['@type'] : [r['@type']]).includes(type));
    if (typeof found?.['@id'] === 'string') return found['@id'].replace(/\/?$/, '/');
  }
  throw new RemoteFeedError(serviceIndexUrl, `${serviceIndexUrl} lists no ${types[0]} resource.`);
}

/** Reads the feed whose service index is `serviceIndexUrl` through `remote`. */
export async function feedPrefetchSource(
  remote: RemoteFeed,
  serviceIndexUrl: string,
): Promise<PrefetchSource> {
  remote.trust?.(serviceIndexUrl);
  const index = await remote.getJson(serviceIndexUrl);
  if (index === undefined)
    throw new RemoteFeedError(serviceIndexUrl, `${serviceIndexUrl} answered 404: is the feed name right?`);
  const flat = resource(index, serviceIndexUrl, 'PackageBaseAddress/3.0.0');
  const registrations = resource(
    index,
    serviceIndexUrl,
    'RegistrationsBaseUrl/3.6.0',
    'RegistrationsBaseUrl/3.4.0',
    'RegistrationsBaseUrl',
  );
  remote.trust?.(flat);
  remote.trust?.(registrations);
  return {
    async versions(lowerId) {
      const list = (await remote.getJson(`${flat}${encodeURIComponent(lowerId)}/index.json`)) as
        { versions?: unknown } | undefined;
      if (list === undefined) return undefined;
      return Array.isArray(list.versions) ? list.versions.map(String) : [];
    },
    async fetchPackage(lowerId, lowerVersion) {
      const id = encodeURIComponent(lowerId);
      const version = encodeURIComponent(lowerVersion);
      const url = `${flat}${id}/${version}/${id}.${version}.nupkg`;
      const file = await remote.download(url);
      if (!file)
        throw new RemoteFeedError(
          url,
          `GET ${url} answered 404: the feed lists the version but cannot serve it.`,
        );
      try {
        const { nuspec } = await readNupkg(file.path);
        return {
          bytes: file.size,
          dependencyGroups: nuspec.dependencyGroups.map((group) => ({
            targetFramework: group.rawTargetFramework,
            dependencies: group.dependencies.map((d) => ({ id: d.id, range: formatVersionRange(d.range) })),
          })),
        };
      } finally {
        await rm(file.path, { force: true });
      }
    },
    async registration(lowerId) {
      const url = `${registrations}${encodeURIComponent(lowerId)}/index.json`;
      const document = (await remote.getJson(url)) as { items?: Json[] } | undefined;
      // Pages stored outside the index (ids with more than 128 versions) are read too, so they are kept as well.
      for (const page of document?.items ?? [])
        if (page['items'] === undefined && typeof page['@id'] === 'string') await remote.getJson(page['@id']);
    },
  };
}
