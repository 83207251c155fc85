// @type Catalog/3.0.0: the append-only log of one feed's package changes, numbered per feed.
// Spec: ../shared/spec/nuget-api/catalog-resource.md
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors.ts';
import { buildCatalogIndex, buildCatalogLeaf, buildCatalogPage } from '../../protocol/catalog.ts';
import { baseUrlOf } from '../base-url.ts';
import { feedOf, frontOf, urlsOf } from '../feed-of-request.ts';
import type { HttpServices } from '../http-services.ts';
import { sendCachedJson } from '../response-cache.ts';
import { sendJson } from '../send.ts';

const wholeNumber = /^\d{1,12}$/;

export function catalogRoutes(app: FastifyInstance, services: HttpServices): void {
  app.get('/v3/catalog/index.json', async (request, reply) => {
    const { feed, stores, named } = feedOf(request);
    const base = baseUrlOf(request, services.options);
    return sendCachedJson(request, reply, services.caches.responses, {
      key: `catalog ${named ?? ''} ${base}`,
      freshness: { feed: feed.name, stamps: stores.stamps },
      front: frontOf(request, services),
      cacheControl: 'no-cache',
      build: async () => buildCatalogIndex(urlsOf(request, services), await stores.catalog.pages()),
    });
  });

  app.get<{ Params: { page: string } }>('/v3/catalog/:page', async (request, reply) => {
    const { stores } = feedOf(request);
    const match = /^page(\d{1,9})\.json$/.exec(request.params.page);
    const entries = match ? await stores.catalog.page(Number(match[1])) : [];
    if (!match || entries.length === 0) {
      throw notFound('catalog_page_not_found', `There is no catalog page '${request.params.page}'.`);
    }
    return sendJson(request, reply, buildCatalogPage(urlsOf(request, services), Number(match[1]), entries), {
      cacheControl: 'no-cache',
    });
  });

  app.get<{ Params: { seq: string; leaf: string } }>(
    '/v3/catalog/data/:seq/:leaf',
    async (request, reply) => {
      const { stores } = feedOf(request);
      const { seq, leaf } = request.params;
      const entry = wholeNumber.test(seq) ? await stores.catalog.entry(Number(seq)) : undefined;
      if (!entry || leaf.toLowerCase() !== `${entry.lowerId}.${entry.lowerVersion}.json`) {
        throw notFound('catalog_leaf_not_found', `There is no catalog leaf '${seq}/${leaf}'.`);
      }
      // A leaf never changes once written.
      return sendJson(request, reply, buildCatalogLeaf(urlsOf(request, services), entry), {
        cacheControl: 'public, max-age=31536000, immutable',
      });
    },
  );
}
