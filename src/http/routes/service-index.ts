// @type: the service index itself, one per feed. Spec: ../shared/spec/nuget-api/service-index.md
import type { FastifyInstance } from 'fastify';
import { buildServiceIndex } from '../../protocol/service-index.ts';
import { kindOf } from '../../packages/feed.ts';
import { feedOf, urlsOf } from '../feed-of-request.ts';
import type { HttpServices } from '../http-services.ts';
import { sendJson } from '../send.ts';

export function serviceIndexRoutes(app: FastifyInstance, services: HttpServices): void {
  app.get('/v3/index.json', async (request, reply) => {
    return sendJson(
      request,
      reply,
      buildServiceIndex(urlsOf(request, services), {
        packageDetailsUrl: services.options.packageDetailsUrl,
        reportAbuseUrl: services.options.reportAbuseUrl,
        readOnly: kindOf(feedOf(request).feed) !== 'hosted',
      }),
      // Clients and proxies may revalidate the index instead of fetching it again (RFC 9110 §13.1.2).
      { etag: true },
    );
  });
}
