// @type: the service index itself. Spec: ../shared/spec/nuget-api/service-index.md
import type { FastifyInstance } from 'fastify';
import { resourceUrls } from '../../protocol/resource-urls.ts';
import { buildServiceIndex } from '../../protocol/service-index.ts';
import { baseUrlOf } from '../base-url.ts';
import type { Feed } from '../feed.ts';
import { sendJson } from '../send.ts';

export function serviceIndexRoutes(app: FastifyInstance, feed: Feed): void {
  app.get('/v3/index.json', async (request, reply) => {
    const urls = resourceUrls(baseUrlOf(request, feed.options));
    return sendJson(
      request,
      reply,
      buildServiceIndex(urls, {
        packageDetailsUrl: feed.options.packageDetailsUrl,
        reportAbuseUrl: feed.options.reportAbuseUrl,
      }),
      // Clients and proxies may revalidate the index instead of fetching it again (RFC 9110 §13.1.2).
      { etag: true },
    );
  });
}
