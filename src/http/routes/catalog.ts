// @type Catalog/3.0.0: the append-only log of package changes. Spec: ../shared/spec/nuget-api/catalog-resource.md
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors.ts';
import { buildCatalogIndex, buildCatalogLeaf, buildCatalogPage } from '../../protocol/catalog.ts';
import { resourceUrls } from '../../protocol/resource-urls.ts';
import { baseUrlOf } from '../base-url.ts';
import type { Feed } from '../feed.ts';
import { sendCachedJson } from '../response-cache.ts';
import { sendJson } from '../send.ts';

const wholeNumber = /^\d{1,12}$/;

export function catalogRoutes(app: FastifyInstance, feed: Feed): void {
  app.get('/v3/catalog/index.json', async (request, reply) => {
    const base = baseUrlOf(request, feed.options);
    return sendCachedJson(request, reply, feed.caches.responses, {
      key: `catalog ${base}`,
      freshness: { stamps: feed.stamps },
      front: feed.caches.front,
      cacheControl: 'no-cache',
      build: async () => buildCatalogIndex(resourceUrls(base), await feed.catalog.pages()),
    });
  });

  app.get<{ Params: { page: string } }>('/v3/catalog/:page', async (request, reply) => {
    const match = /^page(\d{1,9})\.json$/.exec(request.params.page);
    const entries = match ? await feed.catalog.page(Number(match[1])) : [];
    if (!match || entries.length === 0) {
      throw notFound('catalog_page_not_found', `There is no catalog page '${request.params.page}'.`);
    }
    const urls = resourceUrls(baseUrlOf(request, feed.options));
    return sendJson(request, reply, buildCatalogPage(urls, Number(match[1]), entries), {
      cacheControl: 'no-cache',
    });
  });

  app.get<{ Params: { seq: string; leaf: string } }>(
    '/v3/catalog/data/:seq/:leaf',
    async (request, reply) => {
      const { seq, leaf } = request.params;
      const entry = wholeNumber.test(seq) ? await feed.catalog.entry(Number(seq)) : undefined;
      if (!entry || leaf.toLowerCase() !== `${entry.lowerId}.${entry.lowerVersion}.json`) {
        throw notFound('catalog_leaf_not_found', `There is no catalog leaf '${seq}/${leaf}'.`);
      }
      const urls = resourceUrls(baseUrlOf(request, feed.options));
      // A leaf never changes once written.
      return sendJson(request, reply, buildCatalogLeaf(urls, entry), {
        cacheControl: 'public, max-age=31536000, immutable',
      });
    },
  );
}
