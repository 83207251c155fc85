// The search syntax of `q`, close to nuget.org's: free terms, "quoted phrases" and field:value filters.
// Spec: ../shared/spec/nuget-api/search-query-service-resource.md ("The search query q is parsed in a manner
// that is defined by the server implementation"); the field names follow nuget.org's search syntax.

export const searchFields = [
  'id',
  'packageid',
  'version',
  'title',
  'tags',
  'authors',
  'description',
  'summary',
  'owners',
] as const;
export type SearchField = (typeof searchFields)[number];

const fieldAliases: Record<string, SearchField> = {
  id: 'id',
  packageid: 'packageid',
  version: 'version',
  title: 'title',
  tag: 'tags',
  tags: 'tags',
  author: 'authors',
  authors: 'authors',
  description: 'description',
  summary: 'summary',
  owner: 'owners',
  owners: 'owners',
};

export interface ParsedSearchQuery {
  /** Free terms and phrases, matched against every text field. */
  readonly terms: readonly string[];
  readonly fields: ReadonlyMap<SearchField, readonly string[]>;
}

/**
 * `q` as the indexes may see it: control characters (NUL above all, which ends an FTS5 query string early and
 * which PostgreSQL refuses in any text value) become spaces, and a lone UTF-16 surrogate becomes U+FFFD. No
 * package text is searched by them, so a search for "a<NUL>b" is a search for "a b".
 */
export function searchableText(q: string): string {
  return q.toWellFormed().replace(/\p{Cc}/gu, ' ');
}

/** Splits `q` into terms; a term is a run of non-space characters or a double-quoted phrase. */
export function parseSearchQuery(q: string): ParsedSearchQuery {
  const terms: string[] = [];
  const fields = new Map<SearchField, string[]>();
  const pattern = /(?:([A-Za-z]+):)?(?:"([^"]*)"?|(\S*))/g;
  for (const match of searchableText(q).matchAll(pattern)) {
    const [whole, name, quoted, bare] = match;
    if (whole.trim() === '') continue;
    const value = (quoted ?? bare ?? '').trim();
    const field = name ? fieldAliases[name.toLowerCase()] : undefined;
    if (name && !field) {
      // Not a field we know: the whole thing is an ordinary term ("c#:x" is someone's search, not a filter).
      terms.push(whole.trim());
      continue;
    }
    if (value === '') continue;
    if (field) {
      const values = fields.get(field) ?? [];
      values.push(value);
      fields.set(field, values);
    } else {
      terms.push(value);
    }
  }
  return { terms, fields };
}
