// Admin API of this feed (not part of NuGet's protocol), authenticated with the feed's API key like a push:
// deprecations (../shared/spec/nuget-api/registration-base-url-resource.md, "Package deprecation") and the
// vulnerability advisories behind VulnerabilityInfo. Documented in docs/deprecation.md and docs/vulnerabilities.md.
import type { FastifyInstance } from 'fastify';
import { deprecatePackage, parseDeprecation } from '../../packages/deprecate-package.ts';
import { importVulnerabilities } from '../../packages/import-vulnerabilities.ts';
import type { Feed } from '../feed.ts';
import { requireApiKey } from './package-publish.ts';

interface VersionParams {
  id: string;
  /** A version, a range such as '[1.0.0, 2.0.0)' (URL-encoded), or '*'. */
  version: string;
}

/** An advisory file of every NuGet advisory GitHub knows is a few MB; the default 1 MB body limit is too small. */
const maxAdvisoryFileBytes = 64 * 1024 * 1024;

export function adminRoutes(app: FastifyInstance, feed: Feed): void {
  // Checked before the body is read: an unauthenticated caller gets 401/403, never a parse of its upload.
  const authenticated = {
    onRequest: async (request: Parameters<typeof requireApiKey>[0]) => requireApiKey(request, feed),
  };

  app.put<{ Params: VersionParams }>(
    '/v3/admin/deprecations/:id/:version',
    authenticated,
    async (request, reply) => {
      const deprecation = parseDeprecation(request.body);
      const result = await deprecatePackage(feed, {
        id: request.params.id,
        versions: request.params.version,
        deprecation,
      });
      request.log.info({ id: request.params.id, ...result }, 'package deprecated');
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: VersionParams }>(
    '/v3/admin/deprecations/:id/:version',
    authenticated,
    async (request, reply) => {
      const result = await deprecatePackage(feed, {
        id: request.params.id,
        versions: request.params.version,
        deprecation: undefined,
      });
      request.log.info({ id: request.params.id, ...result }, 'package undeprecated');
      return reply.code(204).send();
    },
  );

  app.put<{ Querystring: { replace?: string } }>(
    '/v3/admin/vulnerabilities',
    { ...authenticated, bodyLimit: maxAdvisoryFileBytes },
    async (request, reply) => {
      const replace = ['true', '1'].includes(String(request.query.replace ?? '').toLowerCase());
      const summary = await importVulnerabilities(feed, { document: request.body, replace });
      request.log.info({ ...summary, replace }, 'vulnerability advisories imported');
      return reply.code(200).send(summary);
    },
  );
}
