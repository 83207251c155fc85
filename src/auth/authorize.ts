// Who may do what: a principal (a managed key, or the bootstrap --api-key) against an action on a package id.
// Pure; the decision carries a reason a person can act on. docs/security.md describes the rules.
import { type ApiKeyScope, hasScope } from './api-key-scope.ts';
import { matchesAnyIdPattern } from './id-pattern.ts';

export interface Principal {
  /** The key's name, or 'bootstrap' for the --api-key of the configuration. */
  readonly name: string;
  readonly keyId?: string | undefined;
  readonly scopes: readonly ApiKeyScope[];
  readonly packages: readonly string[];
  /** The feeds the key is valid for; ['*'] for every feed. */
  readonly feeds: readonly string[];
  /**
   * More grants of the same person, each with its own scopes, ids and feeds: a web UI sign-in through single
   * sign-on holds one per role (publisher on one feed, reader on another; auth/sso-roles.ts). An action is allowed
   * when the principal or any of these allows it. Keys never have them.
   */
  readonly alsoGrants?: readonly Principal[] | undefined;
  /** The trust policy that issued the key (trusted publishing), if one did. */
  readonly trustPolicy?: string | undefined;
}

/** The single --api-key (NUGGET_API_KEY) of the server: admin on every id of every feed. */
export const bootstrapPrincipal: Principal = {
  name: 'bootstrap',
  scopes: ['admin'],
  packages: ['*'],
  feeds: ['*'],
};

/** Whether the key is valid for the feed (undefined: valid for every feed, as server-wide actions need). */
export const validForFeed = (principal: Principal, feed: string | undefined): boolean =>
  principal.feeds.includes('*') || (feed !== undefined && principal.feeds.includes(feed));

export type Action =
  | 'push-new'
  | 'push'
  | 'push-symbols'
  | 'unlist'
  | 'relist'
  | 'delete'
  | 'read'
  | 'deprecate'
  | 'import-vulnerabilities'
  | 'read-audit-log'
  | 'promote'
  | 'manage-feeds'
  | 'manage-trust-policies'
  | 'manage-api-keys'
  | 'manage-retention'
  | 'manage-webhooks';

/** `perId`: the verb of the refusal when the id does not match the key's patterns; undefined = feed-wide. */
const actionRules: Readonly<Record<Action, { scope: ApiKeyScope; verb: string; perId: string | undefined }>> =
  {
    'push-new': { scope: 'push-new', verb: 'push new package ids', perId: 'push' },
    push: { scope: 'push', verb: 'push new versions of existing ids', perId: 'push' },
    'push-symbols': { scope: 'push', verb: 'push symbol packages', perId: 'push symbols of' },
    unlist: { scope: 'unlist', verb: 'unlist', perId: 'unlist' },
    relist: { scope: 'unlist', verb: 'relist', perId: 'relist' },
    delete: { scope: 'unlist', verb: 'delete', perId: 'delete' },
    // Reads are feed-wide: a private feed's documents (search, catalog) span every id.
    read: { scope: 'read', verb: 'read this feed', perId: undefined },
    deprecate: { scope: 'admin', verb: 'change deprecations', perId: 'change deprecations of' },
    'import-vulnerabilities': { scope: 'admin', verb: 'import vulnerabilities', perId: undefined },
    'read-audit-log': { scope: 'admin', verb: 'read the audit log', perId: undefined },
    // Promotion copies a version into the target feed: a push there, without the upload.
    promote: { scope: 'push', verb: 'promote packages', perId: 'promote' },
    'manage-feeds': { scope: 'admin', verb: 'create, change or delete feeds', perId: undefined },
    'manage-trust-policies': { scope: 'admin', verb: 'manage trust policies', perId: undefined },
    // Keys are server-wide (nugget apikey): creating one is for an admin valid for every feed.
    'manage-api-keys': { scope: 'admin', verb: 'create or revoke API keys', perId: undefined },
    'manage-retention': { scope: 'admin', verb: 'manage and run retention', perId: undefined },
    'manage-webhooks': { scope: 'admin', verb: 'manage webhooks', perId: undefined },
  };

/** The scope an action needs. */
export const scopeFor = (action: Action): ApiKeyScope => actionRules[action].scope;

export type Decision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly code: 'api_key_out_of_scope' | 'api_key_wrong_feed';
      readonly reason: string;
    };

/**
 * Whether the principal may do `action` (on `id`, when the action is per id) on `feed`. Without a feed the action
 * is server-wide (managing feeds, reading every feed's audit log) and needs a key valid for every feed.
 */
export function authorize(principal: Principal, action: Action, id?: string, feed?: string): Decision {
  const first = authorizeGrant(principal, action, id, feed);
  if (first.allowed || !principal.alsoGrants?.length) return first;
  const decisions = [first, ...principal.alsoGrants.map((grant) => authorizeGrant(grant, action, id, feed))];
  // The refusal worth reading is that of a grant valid for the feed (it names the scope or ids missing).
  return (
    decisions.find((decision) => decision.allowed) ??
    decisions.find((decision) => !decision.allowed && decision.code !== 'api_key_wrong_feed') ??
    first
  );
}

function authorizeGrant(principal: Principal, action: Action, id?: string, feed?: string): Decision {
  const rule = actionRules[action];
  if (!validForFeed(principal, feed)) {
    return {
      allowed: false,
      code: 'api_key_wrong_feed',
      reason:
        feed === undefined
          ? `key '${principal.name}' may not ${rule.verb}: that needs a key valid for every feed, and it is ` +
            `valid for ${principal.feeds.join(', ')} only. Ask an admin for a key created with --feeds '*'.`
          : `key '${principal.name}' is not valid for feed '${feed}': it is valid for ` +
            `${principal.feeds.join(', ')} only. Use a key for '${feed}', or ask an admin for one ` +
            `(nugget apikey create --feeds ${feed}).`,
    };
  }
  if (!hasScope(principal.scopes, rule.scope)) {
    return {
      allowed: false,
      code: 'api_key_out_of_scope',
      reason:
        `key '${principal.name}' may not ${rule.verb}: that needs the ${rule.scope} scope, and it has ` +
        `${principal.scopes.join(', ') || 'none'}. Ask an admin for a key with --scopes ${rule.scope}.`,
    };
  }
  if (rule.perId !== undefined && id !== undefined && !matchesAnyIdPattern(principal.packages, id)) {
    return {
      allowed: false,
      code: 'api_key_out_of_scope',
      reason:
        `key '${principal.name}' may ${rule.perId} only ids matching ${principal.packages.join(', ')}; ` +
        `'${id}' does not match.`,
    };
  }
  return { allowed: true };
}

/** Whether the principal may do at least one of the actions on some id: checked before a push body is read. */
export const mayDoAnyOf = (principal: Principal, actions: readonly Action[]): boolean =>
  actions.some((action) => hasScope(principal.scopes, scopeFor(action)));
