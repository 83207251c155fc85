// @type SearchQueryService (+ /3.0.0-beta, /3.0.0-rc, /3.4.0, /3.5.0) and SearchAutocompleteService.
// Spec: ../shared/spec/nuget-api/search-query-service-resource.md, search-autocomplete-service-resource.md
import type { FastifyInstance } from 'fastify';
import { invalidInput } from '../../errors.ts';
import { toLowerId } from '../../nuget/packaging/index.ts';
import { isVisibleAtLevel, parseSemVerLevel, searchLevel } from '../../packages/search-filter.ts';
import { searchPackages } from '../../packages/search-packages.ts';
import { sortByVersion } from '../../packages/version-order.ts';
import { buildAutocompleteResponse, buildSearchResponse } from '../../protocol/search.ts';
import { baseUrlOf } from '../base-url.ts';
import { feedOf, frontOf, urlsOf } from '../feed-of-request.ts';
import type { HttpServices } from '../http-services.ts';
import { sendCachedJson } from '../response-cache.ts';

// nuget.org caps skip at 3000 and take at 1000 (../shared/notes/landscape.md §5, row 19).
// Change stamps do not move with download counts (they are flushed every second), so a cached search result may
// show counts up to this much older; which packages and versions it lists is always current. A rebuild runs a
// full-text query on the event loop, so rebuilding every few seconds would show in every other request's latency.
const searchCacheMaxAgeMs = 60_000;

export const searchLimits = { maxSkip: 3000, maxTake: 1000, maxQueryLength: 1000, defaultTake: 20 };

export type Query = Record<string, string | string[] | undefined>;

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  return Array.isArray(value) ? value[0] : value;
}

function integer(query: Query, name: string, fallback: number, max: number): number {
  const text = single(query, name);
  if (text === undefined || text === '') return fallback;
  if (!/^\d{1,9}$/.test(text) || Number(text) > max) {
    throw invalidInput(
      'invalid_query',
      `'${name}' must be a whole number from 0 to ${max}, not '${text.slice(0, 40)}'.`,
    );
  }
  return Number(text);
}

function boolean(query: Query, name: string): boolean {
  const text = single(query, name)?.toLowerCase();
  if (text === undefined || text === '' || text === 'false' || text === '0') return false;
  if (text === 'true' || text === '1') return true;
  throw invalidInput('invalid_query', `'${name}' must be true or false, not '${text.slice(0, 40)}'.`);
}

/** The parameters of a search request, checked: 400 with what is wrong. The web UI's search reads them too. */
export function searchQuery(query: Query) {
  const q = single(query, 'q') ?? '';
  if (q.length > searchLimits.maxQueryLength) {
    throw invalidInput('invalid_query', `'q' is longer than ${searchLimits.maxQueryLength} characters.`);
  }
  return {
    q,
    skip: integer(query, 'skip', 0, searchLimits.maxSkip),
    take: integer(query, 'take', searchLimits.defaultTake, searchLimits.maxTake),
    prerelease: boolean(query, 'prerelease'),
    semVer2: parseSemVerLevel(single(query, 'semVerLevel')),
    packageType: single(query, 'packageType')?.trim() || undefined,
  };
}

export function searchRoutes(app: FastifyInstance, services: HttpServices): void {
  app.get<{ Querystring: Query }>('/v3/search', async (request, reply) => {
    const query = searchQuery(request.query);
    const { feed, stores } = feedOf(request);
    const base = baseUrlOf(request, services.options);
    const stamps = stores.searchStamps ?? stores.stamps;
    return sendCachedJson(request, reply, services.caches.responses, {
      key: `search ${base} ${request.url}`,
      freshness: { feed: feed.name, stamps, maxAgeMs: searchCacheMaxAgeMs },
      front: frontOf(request, services, stamps),
      cacheControl: 'no-cache',
      build: async () => {
        // Results carry the latest version's vulnerabilities (search-packages.ts).
        const { totalHits, results } = await searchPackages(stores, query);
        return buildSearchResponse(urlsOf(request, services), query.semVer2, totalHits, results);
      },
    });
  });

  app.get<{ Querystring: Query }>('/v3/autocomplete', async (request, reply) => {
    const query = searchQuery(request.query);
    const { feed, stores } = feedOf(request);
    const id = single(request.query, 'id');
    if (id !== undefined) {
      // Version mode: the listed versions of one id that the filter admits, lowest first.
      const lowerId = toLowerId(id.trim());
      return sendCachedJson(request, reply, services.caches.responses, {
        key: `autocomplete ${request.url}`,
        freshness: { feed: feed.name, stamps: stores.stamps, lowerId },
        front: frontOf(request, services),
        cacheControl: 'no-cache',
        build: async () => {
          const level = searchLevel(query);
          const versions = sortByVersion(await stores.packages.findVersions(lowerId)).filter((v) =>
            isVisibleAtLevel(v, level),
          );
          const data = versions.map((v) => v.fullVersion);
          return buildAutocompleteResponse(data.length, data);
        },
      });
    }
    // Ids in the order search ranks them (bm25 on SQLite): checked against what that order depends on.
    const stamps = stores.searchStamps ?? stores.stamps;
    return sendCachedJson(request, reply, services.caches.responses, {
      key: `autocomplete ${request.url}`,
      freshness: { feed: feed.name, stamps },
      front: frontOf(request, services, stamps),
      cacheControl: 'no-cache',
      build: async () => {
        const { totalHits, ids } = await stores.search.autocompleteIds(query);
        return buildAutocompleteResponse(totalHits, ids);
      },
    });
  });
}
