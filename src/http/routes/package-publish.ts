// @type PackagePublish/2.0.0: push (PUT), unlist or delete (DELETE), relist (POST).
// Spec: ../shared/spec/nuget-api/package-publish-resource.md
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, unauthenticated } from '../../errors.ts';
import { deletePackage, setListed } from '../../packages/manage-package.ts';
import { publishPackage } from '../../packages/publish-package.ts';
import type { Feed } from '../feed.ts';
import { receivePackage } from '../receive-package.ts';

function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** X-NuGet-ApiKey checks: no key -> 401, a wrong key -> 403. Managed, scoped keys come with the security work. */
export function requireApiKey(request: FastifyRequest, feed: Feed): void {
  const given = request.headers['x-nuget-apikey'];
  const key = Array.isArray(given) ? given[0] : given;
  if (!feed.options.apiKey) {
    throw forbidden(
      'push_disabled',
      'This feed accepts no changes: start nugget with --api-key (or NUGGET_API_KEY).',
    );
  }
  if (!key) throw unauthenticated('api_key_missing', 'An API key is required: pass it with -k / --api-key.');
  if (!sameKey(key, feed.options.apiKey))
    throw forbidden('api_key_invalid', 'The API key is not valid for this feed.');
}

interface PackageParams {
  id: string;
  version: string;
}

export function packagePublishRoutes(app: FastifyInstance, feed: Feed): void {
  // Raw (non-multipart) pushes: the body stream goes to receivePackage untouched.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  app.put('/v3/package', async (request, reply) => {
    requireApiKey(request, feed);
    const upload = await receivePackage(request, feed.options);
    try {
      const published = await publishPackage(feed, upload);
      request.log.info({ id: published.id, version: published.fullVersion }, 'package published');
      return reply.code(201).send();
    } finally {
      await upload.discard();
    }
  });

  app.delete<{ Params: PackageParams }>('/v3/package/:id/:version', async (request, reply) => {
    requireApiKey(request, feed);
    await deletePackage({ ...feed, deleteBehavior: feed.options.deleteBehavior }, request.params);
    return reply.code(204).send();
  });

  app.post<{ Params: PackageParams }>('/v3/package/:id/:version', async (request, reply) => {
    requireApiKey(request, feed);
    await setListed(feed, { ...request.params, listed: true });
    return reply.code(200).send();
  });
}
