// What a managed API key may do. The names follow nuget.org's key scopes ("push new packages and versions",
// "push only new versions", "unlist or relist"), plus `read` for private feeds and `admin` for this feed's own
// admin API. docs/security.md has the table.
import { invalidInput } from '../errors.ts';

export const apiKeyScopes = ['push-new', 'push', 'unlist', 'read', 'admin'] as const;

export type ApiKeyScope = (typeof apiKeyScopes)[number];

export const scopeMeanings: Readonly<Record<ApiKeyScope, string>> = {
  'push-new': 'push the first version of a package id the feed does not have yet',
  push: 'push new versions of package ids the feed already has (and their symbol packages)',
  unlist: 'unlist, relist and delete versions',
  read: 'read a private feed (restore, search, browse)',
  admin: 'every other scope, plus deprecations, vulnerability imports and the audit log',
};

export const isApiKeyScope = (text: string): text is ApiKeyScope =>
  (apiKeyScopes as readonly string[]).includes(text);

/** 'push, push-new,unlist' -> ['push', 'push-new', 'unlist'] (no duplicates, in the order given). */
export function parseScopes(text: string): ApiKeyScope[] {
  const names = text
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (names.length === 0) {
    throw invalidInput('scopes_missing', `Give at least one scope: ${apiKeyScopes.join(', ')}.`);
  }
  const unknown = names.filter((name) => !isApiKeyScope(name));
  if (unknown.length > 0) {
    throw invalidInput(
      'scope_unknown',
      `Unknown scope ${unknown.map((name) => `'${name}'`).join(', ')}: use ${apiKeyScopes.join(', ')}.`,
    );
  }
  return [...new Set(names as ApiKeyScope[])];
}

/** `admin` implies every other scope. */
export const hasScope = (scopes: readonly ApiKeyScope[], scope: ApiKeyScope): boolean =>
  scopes.includes(scope) || scopes.includes('admin');
