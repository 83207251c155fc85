// @type PackageBaseAddress/3.0.0 (flat container): version lists, .nupkg, .nuspec and the embedded
// readme/icon/license. Spec: ../shared/spec/nuget-api/package-base-address-resource.md
// Every path segment is matched case-insensitively: the SDK's tool downloader does not lower-case ids
// (../shared/notes/client-behaviour.md §1.2).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { notFound } from '../../errors.ts';
import { tryParseVersion, toNormalizedString } from '../../nuget/versioning/index.ts';
import { blobKeys } from '../../packages/publish-package.ts';
import { sortByVersion } from '../../packages/version-order.ts';
import { buildVersionList } from '../../protocol/package-content.ts';
import type { EmbeddedFileKind, PackageVersion } from '../../protocol/package-version.ts';
import type { Feed } from '../feed.ts';
import { sendJson } from '../send.ts';

const noSuchPackage = (id: string) =>
  notFound('package_not_found', `There is no package '${id}' on this feed.`);
const noSuchVersion = (id: string, version: string) =>
  notFound('package_not_found', `There is no package '${id}' version '${version}' on this feed.`);

/** The normalized, lower-cased form of a version as it appears in a URL, or undefined when it is no version. */
const lowerVersionOf = (text: string): string | undefined => {
  const parsed = tryParseVersion(text);
  return parsed && toNormalizedString(parsed).toLowerCase();
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

export function packageContentRoutes(app: FastifyInstance, feed: Feed): void {
  async function findVersion(id: string, version: string): Promise<PackageVersion> {
    const lowerVersion = lowerVersionOf(version);
    const found = lowerVersion && (await feed.packages.findVersion(id.toLowerCase(), lowerVersion));
    if (!found) throw noSuchVersion(id, version);
    return found;
  }

  async function sendBlob(
    reply: FastifyReply,
    key: string,
    contentType: string,
    id: string,
    version: string,
  ) {
    const blob = await feed.blobs.open(key);
    if (!blob) throw noSuchVersion(id, version);
    return reply
      .header('content-type', contentType)
      .header('content-length', blob.size)
      .header('cache-control', immutable)
      .send(blob.stream);
  }

  app.get<{ Params: { id: string } }>('/v3/flatcontainer/:id/index.json', async (request, reply) => {
    const versions = await feed.packages.findVersions(request.params.id.toLowerCase());
    // 404 means "no such package" to the client; an empty list would mean the same but costs a parse.
    if (versions.length === 0) throw noSuchPackage(request.params.id);
    return sendJson(request, reply, buildVersionList(sortByVersion(versions)), { cacheControl: 'no-cache' });
  });

  app.get<{ Params: { id: string; version: string; file: string } }>(
    '/v3/flatcontainer/:id/:version/:file',
    async (request, reply) => {
      const { id, version, file } = request.params;
      const pkg = await findVersion(id, version);
      const name = file.toLowerCase();
      const prefix = `${pkg.lowerId}.`;
      if (name.startsWith(prefix) && name.endsWith('.nupkg')) {
        if (lowerVersionOf(name.slice(prefix.length, -'.nupkg'.length)) !== pkg.lowerVersion) {
          throw noSuchVersion(id, version);
        }
        if (request.method === 'GET') feed.downloads.record(pkg.lowerId, pkg.lowerVersion);
        return sendBlob(reply, blobKeys.nupkg(pkg), 'application/octet-stream', id, version);
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
      if (kind === 'icon') {
        const blob = await feed.blobs.open(blobKeys.embedded(pkg, 'icon'));
        if (!blob) throw noSuchVersion(id, version);
        const chunks: Buffer[] = [];
        for await (const chunk of blob.stream) chunks.push(chunk as Buffer);
        const bytes = Buffer.concat(chunks);
        return reply
          .header('content-type', imageType(bytes))
          .header('content-length', bytes.length)
          .header('cache-control', immutable)
          .send(bytes);
      }
      return sendBlob(reply, blobKeys.embedded(pkg, kind), contentTypes[kind], id, version);
    },
  );
}
