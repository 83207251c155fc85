// Who an OpenID Connect sign-in makes someone: rules from the configuration (`sso-roles`) map a claim of the ID
// token or userinfo (a group, an e-mail domain) to a role, server-wide or on some feeds. A role is a set of the
// scopes managed keys have (api-key-scope.ts), so that everything a person signed in with SSO may do is decided by
// the same authorize() as for a key: no second rule set. docs/web-ui.md describes the syntax.
import { invalidInput } from '../errors.ts';
import type { ApiKeyScope } from './api-key-scope.ts';
import type { Principal } from './authorize.ts';

export const ssoRoles = ['reader', 'publisher', 'admin'] as const;
export type SsoRole = (typeof ssoRoles)[number];

/** What each role may do, as the scopes of a managed key. */
export const scopesOfRole: Readonly<Record<SsoRole, readonly ApiKeyScope[]>> = {
  reader: ['read'],
  publisher: ['read', 'push-new', 'push', 'unlist'],
  admin: ['admin'],
};

export interface SsoRoleRule {
  /** The claim looked at, e.g. `groups`, `roles`, `email`. */
  readonly claim: string;
  /** The value it must have (or contain, for a list claim); `*` as the first character matches any prefix. */
  readonly value: string;
  readonly role: SsoRole;
  /** The feeds the role is on; ['*'] for every feed (a server admin, for `admin`). */
  readonly feeds: readonly string[];
}

const rulePattern = /^\s*([^:=\s]+)\s*:\s*(.+?)\s*=\s*(reader|publisher|admin)\s*(?:@\s*([^\s].*?))?\s*$/;

/**
 * `groups:nuget-admins=admin; groups:team-a=publisher@ci+release; email:*@partner.example=reader@partner`:
 * rules separated by `;` (or given as a list in the config file), each `claim:value=role[@feed+feed...]`.
 */
export function parseSsoRoleRules(text: string | readonly string[]): SsoRoleRule[] {
  const entries = (typeof text === 'string' ? text.split(';') : [...text]).filter((e) => e.trim() !== '');
  return entries.map((entry) => {
    const match = rulePattern.exec(entry);
    if (!match?.[1] || !match[2] || !match[3]) {
      throw invalidInput(
        'sso_role_rule_invalid',
        `'${entry.trim()}' is not a role rule: write claim:value=role[@feed+feed], e.g. groups:nuget-admins=admin ` +
          'or groups:team-a=publisher@ci+release (roles: reader, publisher, admin).',
      );
    }
    const feeds = match[4]
      ? match[4]
          .split('+')
          .map((feed) => feed.trim())
          .filter((f) => f !== '')
      : ['*'];
    return { claim: match[1], value: match[2], role: match[3] as SsoRole, feeds };
  });
}

/** The text values of a claim: a string, or the strings of a list (groups usually are one). */
function claimValues(claims: Readonly<Record<string, unknown>>, claim: string): string[] {
  const value = claims[claim];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

const matches = (pattern: string, value: string): boolean =>
  pattern.startsWith('*') ? value.toLowerCase().endsWith(pattern.slice(1).toLowerCase()) : pattern === value;

/** The claims the rules read, kept with a session so that the roles follow the configuration as it changes. */
export function claimsForRules(
  rules: readonly SsoRoleRule[],
  claims: Readonly<Record<string, unknown>>,
): Record<string, string[]> {
  const kept: Record<string, string[]> = {};
  for (const rule of rules) kept[rule.claim] = claimValues(claims, rule.claim);
  return kept;
}

/**
 * The person as a principal: one grant per matching rule, named after the person (authorize() allows what any of
 * them allows); undefined when no rule matches.
 */
export function principalOfClaims(
  rules: readonly SsoRoleRule[],
  claims: Readonly<Record<string, unknown>>,
  name: string,
): Principal | undefined {
  const [first, ...more] = rules
    .filter((rule) => claimValues(claims, rule.claim).some((value) => matches(rule.value, value)))
    .map((rule): Principal => ({
      name,
      scopes: scopesOfRole[rule.role],
      packages: ['*'],
      feeds: rule.feeds,
    }));
  return first && (more.length > 0 ? { ...first, alsoGrants: more } : first);
}
