// Search of a feed, as the SearchQueryService answers it and the web UI's home page lists it: the hits of the
// feed's search index with the advisories of each id (one query for the whole page).
// Spec: ../shared/spec/nuget-api/search-query-service-resource.md
import type { VulnerabilityAdvisory } from '../protocol/vulnerability-info.ts';
import type { AdvisoryStore, SearchHit, SearchIndex, SearchQuery } from './ports.ts';

export interface SearchResult extends SearchHit {
  /** The advisories of the id; a result is vulnerable when one covers its latest version. */
  readonly advisories: readonly VulnerabilityAdvisory[];
}

export async function searchPackages(
  stores: { readonly search: SearchIndex; readonly advisories: AdvisoryStore },
  query: SearchQuery,
): Promise<{ totalHits: number; results: SearchResult[] }> {
  const { totalHits, hits } = await stores.search.search(query);
  const advisories =
    hits.length === 0 ? [] : await stores.advisories.findAdvisories(hits.map((h) => h.lowerId));
  const results = hits.map((hit) => ({
    ...hit,
    advisories: advisories.filter((a) => a.lowerId === hit.lowerId),
  }));
  return { totalHits, results };
}
