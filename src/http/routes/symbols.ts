// @type SymbolPackagePublish/4.9.0: push a symbol package (.snupkg), and the symbol server that serves its
// Portable PDBs in the SSQP layout `{file}/{key}/{file}` (key = PDB GUID + 'ffffffff').
// Spec: ../shared/spec/nuget-api/symbol-package-publish-resource.md, ../shared/spec/reference/Symbol-Packages-snupkg.md;
// SSQP: https://github.com/dotnet/symstore/blob/main/docs/specs/Simple_Symbol_Query_Protocol.md
import type { FastifyInstance } from 'fastify';
import { openSymbolFile } from '../../packages/open-symbol-file.ts';
import { publishSymbolPackage } from '../../packages/publish-symbol-package.ts';
import { feedOf } from '../feed-of-request.ts';
import type { HttpServices } from '../http-services.ts';
import { countedPush } from '../metrics.ts';
import { pushBody, receivePackage } from '../receive-package.ts';
import { audited, eventOriginOf, requireAllowed, requireApiKey } from '../request-auth.ts';
import { blobEntityTag, sendStoredFile } from '../send.ts';

// A file under a given key never changes: the key is the PDB's own id.
const immutable = 'public, max-age=31536000, immutable';

export function symbolRoutes(app: FastifyInstance, services: HttpServices): void {
  // The client appends '/' to the @id (client-behaviour.md §1.5): the router ignores trailing slashes.
  // Bodies arrive as multipart, or raw application/octet-stream (parser registered by packagePublishRoutes).
  app.put('/v3/symbol-package', { config: { requestBody: pushBody } }, async (request, reply) => {
    const { feed, stores } = feedOf(request);
    await countedPush(services, 'symbols', () =>
      audited(services, request, { action: 'push-symbols' }, async (note) => {
        const principal = await requireApiKey(request, reply, services, ['push-symbols'], feed.name);
        const upload = await receivePackage(request, {
          ...services.options,
          maxPackageSize: feed.settings.maxPackageSize,
        });
        try {
          const symbols = await publishSymbolPackage(
            {
              feed: feed.name,
              packages: stores.packages,
              symbols: stores.symbols,
              blobs: services.blobs,
              clock: services.clock,
              tempDir: services.options.tempDir,
              origin: eventOriginOf(request, services),
              authorize: async ({ id, version }) => {
                note.packageId = id;
                note.version = version;
                requireAllowed(principal, 'push-symbols', feed.name, id);
              },
            },
            upload,
          );
          request.log.info(
            { id: symbols.lowerId, version: symbols.lowerVersion, files: symbols.files.length },
            'symbol package published',
          );
          return upload.size;
        } finally {
          await upload.discard();
        }
      }),
    );
    return reply.code(201).send();
  });

  // GET also answers HEAD (Fastify's exposeHeadRoutes), with the same headers and no body.
  app.get<{ Params: { file: string; key: string; file2: string } }>(
    '/v3/symbols/:file/:key/:file2',
    async (request, reply) => {
      const { file, key, file2 } = request.params;
      const symbol = await openSymbolFile(
        { symbols: feedOf(request).stores.symbols, blobs: services.blobs },
        { fileName: file, symbolKey: key, fileName2: file2 },
      );
      const { blobKey } = symbol.file;
      return sendStoredFile(request, reply, symbol.blob, {
        etag: blobEntityTag(blobKey),
        contentType: 'application/octet-stream',
        cacheControl: immutable,
        openRange: (range) => services.blobs.open(blobKey, range),
      });
    },
  );
}
