// @type PackageBaseAddress/3.0.0 (flat container): version lists, .nupkg, .nuspec and the embedded
// readme/icon/license. Spec: ../shared/spec/nuget-api/package-base-address-resource.md
// Every path segment is matched case-insensitively: the SDK's tool downloader does not lower-case ids
// (../shared/notes/client-behaviour.md §1.2).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../errors.ts';
import { tryParseVersion, toNormalizedString } from '../../nuget/versioning/index.ts';
import { blobKeys } from '../../packages/publish-package.ts';
import { sortByVersion } from '../../packages/version-order.ts';
import type { StoredBlob } from '../../packages/ports.ts';
import { buildVersionList } from '../../protocol/package-content.ts';
import type { EmbeddedFileKind, PackageVersion } from '../../protocol/package-version.ts';
import { feedOf, frontOf, type RequestFeed } from '../feed-of-request.ts';
import type { HttpServices } from '../http-services.ts';
import { sendCachedJson, type StampedValue } from '../response-cache.ts';
import { blobEntityTag, sendStoredFile } from '../send.ts';

const noSuchPackage = (id: string) =>
  notFound('package_not_found', `There is no package '${id}' on this feed.`);
const noSuchVersion = (id: string, version: string) =>
  notFound('package_not_found', `There is no package '${id}' version '${version}' on this feed.`);

const lowerVersions = new Map<string, string>();

/** The normalized, lower-cased form of a version as it appears in a URL, or undefined when it is no version. */
const lowerVersionOf = (text: string): string | undefined => {
  let known = lowerVersions.get(text);
  if (known === undefined) {
    const parsed = tryParseVersion(text);
    known = parsed ? toNormalizedString(parsed).toLowerCase() : '';
    // Restores ask for the same few thousand versions again and again; the memo is bounded all the same.
    if (lowerVersions.size >= 10_000) lowerVersions.clear();
    lowerVersions.set(text, known);
  }
  return known || undefined;
};

function imageType(bytes: Buffer): string {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  return 'application/octet-stream';
}

const contentTypes: Record<Exclude<EmbeddedFileKind, 'icon'>, string> = {
  nuspec: 'application/xml; charset=utf-8',
  readme: 'text/markdown; charset=utf-8',
  license: 'text/plain; charset=utf-8',
};

// Package files never change once pushed (versions are immutable); version lists change on every push.
const immutable = 'public, max-age=31536000, immutable';
// Files up to this size are served from memory after their first download (nupkgs of most libraries, nuspecs, icons).
const smallFileBytes = 1024 * 1024;

// Presigned download URLs are signed at the start of the current window and live for two windows: every node
// hands out the same URL for a blob during a window (so a CDN in front of the bucket caches one object, not one
// per request), and a URL is good for at least one window after it was handed out.
const presignWindowSeconds = 3600;

function presignedDownload(
  presign: (key: string, expiresSeconds: number, signedAt?: Date) => Promise<string>,
  key: string,
  now: Date,
): Promise<string> {
  const windowMs = presignWindowSeconds * 1000;
  const signedAt = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
  return presign(key, 2 * presignWindowSeconds, signedAt);
}

export function packageContentRoutes(app: FastifyInstance, services: HttpServices): void {
  /** The version a download names, from the cache while the id's change stamp stands. */
  async function findVersion(
    { feed, stores }: RequestFeed,
    id: string,
    version: string,
  ): Promise<StampedValue<PackageVersion>> {
    const lowerId = id.toLowerCase();
    const lowerVersion = lowerVersionOf(version);
    if (!lowerVersion) throw noSuchVersion(id, version);
    return await services.caches.versions.getOrBuildStamped(
      `${lowerId}/${lowerVersion}`,
      { feed: feed.name, stamps: stores.stamps, lowerId },
      async () => {
        const found = await stores.packages.findVersion(lowerId, lowerVersion);
        if (!found) throw noSuchVersion(id, version);
        return { value: found, bytes: 2048 };
      },
    );
  }

  /** Small files are kept in memory by blob key: a key names one push's bytes forever. */
  async function readBlob(key: string): Promise<Buffer | StoredBlob | undefined> {
    const cached = services.caches.files.get(key);
    if (cached) return cached;
    const blob = await services.blobs.open(key);
    if (!blob || blob.size > smallFileBytes) return blob;
    const chunks: Buffer[] = [];
    for await (const chunk of blob.stream) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    services.caches.files.set(key, bytes, bytes.length);
    return bytes;
  }

  async function sendBlob(
    request: FastifyRequest,
    reply: FastifyReply,
    found: StampedValue<PackageVersion>,
    key: string,
    contentType: string | ((bytes: Buffer) => string),
    onDownload?: () => void,
  ) {
    const { value: pkg } = found;
    const blob = await readBlob(key);
    if (!blob) throw noSuchVersion(pkg.id, pkg.version);
    const bytes = Buffer.isBuffer(blob);
    const type =
      typeof contentType === 'string' ? contentType : bytes ? contentType(blob) : 'application/octet-stream';
    const etag = blobEntityTag(key);
    const front = bytes ? frontOf(request, services) : undefined;
    if (bytes && front) {
      // Valid while the version's stamps stand: a hard delete moves them, and the fast path stops serving it.
      front.cache.put(request.raw, {
        stamps: front.stamps,
        settings: front.settings,
        status: 200,
        headers: { 'content-type': type, 'cache-control': immutable, 'accept-ranges': 'bytes' },
        body: blob,
        etag,
        ranges: true,
        route: request.routeOptions.url ?? '',
        global: found.global,
        lowerId: pkg.lowerId,
        scoped: found.scoped,
        expiresAt: found.expiresAt,
        onHit: onDownload,
      });
    }
    return sendStoredFile(request, reply, blob, {
      etag,
      contentType: type,
      cacheControl: immutable,
      openRange: (range) => services.blobs.open(key, range),
      onDownload,
    });
  }

  app.get<{ Params: { id: string } }>('/v3/flatcontainer/:id/index.json', async (request, reply) => {
    const lowerId = request.params.id.toLowerCase();
    const { feed, stores } = feedOf(request);
    return sendCachedJson(request, reply, services.caches.responses, {
      key: `versions ${lowerId}`,
      freshness: { feed: feed.name, stamps: stores.stamps, lowerId },
      front: frontOf(request, services),
      cacheControl: 'no-cache',
      build: async () => {
        const versions = await stores.packages.findVersions(lowerId);
        // 404 means "no such package" to the client; an empty list would mean the same but costs a parse.
        if (versions.length === 0) throw noSuchPackage(lowerId);
        return buildVersionList(sortByVersion(versions));
      },
    });
  });

  app.get<{ Params: { id: string; version: string; file: string } }>(
    '/v3/flatcontainer/:id/:version/:file',
    async (request, reply) => {
      const { id, version, file } = request.params;
      const requestFeed = feedOf(request);
      let found = await findVersion(requestFeed, id, version);
      if (requestFeed.content) {
        // An upstream or virtual feed: the package from the member that offers it, fetched from its upstream and
        // stored on its first download; one the upstream cannot give now is not here (404 at once, never a 5xx:
        // the client would retry that; docs/upstreams.md).
        const stored = await requestFeed.content.materialize(found.value);
        if (!stored) throw noSuchVersion(id, version);
        found = { ...found, value: stored };
      }
      const pkg = found.value;
      const name = file.toLowerCase();
      const prefix = `${pkg.lowerId}.`;
      if (name.startsWith(prefix) && name.endsWith('.nupkg')) {
        if (lowerVersionOf(name.slice(prefix.length, -'.nupkg'.length)) !== pkg.lowerVersion) {
          throw noSuchVersion(id, version);
        }
        const { downloads } = requestFeed;
        const countDownload = () => downloads.record(pkg.lowerId, pkg.lowerVersion);
        const { blobs } = services;
        if (services.options.redirectDownloads && blobs.presignedUrl) {
          // The object store answers Range and If-Range itself (docs/operations.md, "Ranges").
          if (request.method === 'GET') countDownload();
          return reply
            .header('cache-control', 'no-cache')
            .redirect(
              await presignedDownload(
                blobs.presignedUrl.bind(blobs),
                blobKeys.nupkg(pkg),
                services.clock.now(),
              ),
              302,
            );
        }
        return sendBlob(
          request,
          reply,
          found,
          blobKeys.nupkg(pkg),
          'application/octet-stream',
          countDownload,
        );
      }
      const kind: EmbeddedFileKind | undefined =
        name === `${pkg.lowerId}.nuspec`
          ? 'nuspec'
          : name === 'readme' || name === 'icon' || name === 'license'
            ? name
            : undefined;
      if (!kind || !pkg.embeddedFiles.includes(kind)) {
        throw notFound('file_not_found', `Package '${pkg.id}' ${pkg.version} has no file '${file}'.`);
      }
      if (kind === 'icon') return sendBlob(request, reply, found, blobKeys.embedded(pkg, 'icon'), imageType);
      return sendBlob(request, reply, found, blobKeys.embedded(pkg, kind), contentTypes[kind]);
    },
  );
}
