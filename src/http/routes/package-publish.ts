// @type PackagePublish/2.0.0: push (PUT), unlist or delete (DELETE), relist (POST), on the feed of the URL.
// Spec: ../shared/spec/nuget-api/package-publish-resource.md
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../../auth/authorize.ts';
import type { OpenFeed } from '../../packages/feed-directory.ts';
import type { PackageVersion } from '../../protocol/package-version.ts';
import { deletePackage, setListed } from '../../packages/manage-package.ts';
import { publishPackage } from '../../packages/publish-package.ts';
import { feedOf } from '../feed-of-request.ts';
import type { HttpServices } from '../http-services.ts';
import { syncOnceAtTheEnd } from '../../storage/sync-scope.ts';
import { countedPush } from '../metrics.ts';
import { pushBody, receivePackage } from '../receive-package.ts';
import {
  type AuditNote,
  audited,
  eventOriginOf,
  requireAllowed,
  requireApiKey,
  webhookActorOf,
} from '../request-auth.ts';

interface PackageParams {
  id: string;
  version: string;
}

/**
 * Streams a push body to a temporary file (size limit of the feed, stall watchdog) and publishes it; whether the
 * principal may push THIS id (push-new for a new id, push for a new version) is checked once the nuspec is read,
 * before anything is stored. The temporary file is gone afterwards, whatever happened. The web UI's upload
 * (src/web/admin-routes.ts) publishes through here too.
 */
export async function receiveAndPublish(
  request: FastifyRequest,
  services: HttpServices,
  { feed, stores }: Pick<OpenFeed, 'feed' | 'stores'>,
  note: AuditNote,
  principal: Principal,
): Promise<{ published: PackageVersion; size: number }> {
  // A small push is kept in memory and written once, under its final name (decision 0028).
  const upload = await receivePackage(request, {
    ...services.options,
    maxPackageSize: feed.settings.maxPackageSize,
    smallInMemoryOnly: true,
  });
  try {
    const published = await publishPackage(
      {
        feed,
        packages: stores.packages,
        blobs: services.blobs,
        clock: services.clock,
        // The webhook names who pushed: the principal given (a key, or a web UI session), not the request's header.
        origin: { ...eventOriginOf(request, services), actor: webhookActorOf(principal) },
        authorize: async (candidate) => {
          note.packageId = candidate.id;
          note.version = candidate.fullVersion;
          // One row, not every version of the id: a push to an id with thousands costs what one to a new id does.
          const isNewId = !(await stores.packages.hasVersions(candidate.lowerId));
          requireAllowed(principal, isNewId ? 'push-new' : 'push', feed.name, candidate.id);
        },
      },
      upload,
    );
    return { published, size: upload.size };
  } finally {
    await upload.discard();
  }
}

export function packagePublishRoutes(app: FastifyInstance, services: HttpServices): void {
  // Push bodies, raw or multipart, go to receivePackage as the stream they arrive as (it reads the multipart
  // framing itself, more leniently than form parsers do: multipart-package.ts).
  app.addContentTypeParser(['application/octet-stream', 'multipart/form-data'], (_request, payload, done) =>
    done(null, payload),
  );

  // The key is checked before the body is read (valid for this feed, with a push scope); whether it may push THIS
  // id (a new id needs push-new, a new version of an existing id push) once the nuspec is read, before anything
  // is stored. Each write is audited before it is answered: an acknowledged write always has its record.
  app.put('/v3/package', { config: { requestBody: pushBody } }, async (request, reply) => {
    const { feed, stores } = feedOf(request);
    // The push's commit and its audit record's share one sync of the database's log, after both (sync-scope.ts).
    await countedPush(services, 'package', () =>
      syncOnceAtTheEnd(() =>
        audited(services, request, { action: 'push' }, async (note) => {
          const principal = await requireApiKey(request, reply, services, ['push-new', 'push'], feed.name);
          const { published, size } = await receiveAndPublish(
            request,
            services,
            { feed, stores },
            note,
            principal,
          );
          request.log.info(
            { feed: feed.name, id: published.id, version: published.fullVersion },
            'package published',
          );
          return size;
        }),
      ),
    );
    return reply.code(201).send();
  });

  app.delete<{ Params: PackageParams }>('/v3/package/:id/:version', async (request, reply) => {
    const { feed, stores } = feedOf(request);
    const { id, version } = request.params;
    const action = feed.settings.deleteBehavior === 'delete' ? 'delete' : 'unlist';
    await audited(services, request, { action, packageId: id, version }, async () => {
      requireAllowed(
        await requireApiKey(request, reply, services, [action], feed.name),
        action,
        feed.name,
        id,
      );
      await deletePackage(
        { ...stores, blobs: services.blobs, deleteBehavior: feed.settings.deleteBehavior },
        { ...request.params, origin: eventOriginOf(request, services) },
      );
    });
    return reply.code(204).send();
  });

  app.post<{ Params: PackageParams }>('/v3/package/:id/:version', async (request, reply) => {
    const { feed, stores } = feedOf(request);
    const { id, version } = request.params;
    await audited(services, request, { action: 'relist', packageId: id, version }, async () => {
      requireAllowed(
        await requireApiKey(request, reply, services, ['relist'], feed.name),
        'relist',
        feed.name,
        id,
      );
      await setListed(stores, { ...request.params, listed: true, origin: eventOriginOf(request, services) });
    });
    return reply.code(200).send();
  });
}
