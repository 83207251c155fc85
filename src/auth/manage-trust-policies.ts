// The use cases behind `nugget trust add|list|remove` and the admin API's /admin/trust-policies
// (docs/trusted-publishing.md). Creating and removing a policy are audited; removing one revokes the keys it issued.
import { randomBytes } from 'node:crypto';
import { invalidInput, notFound } from '../errors.ts';
import type { Clock } from '../packages/ports.ts';
import type { ApiKeyScope } from './api-key-scope.ts';
import type { Requester } from './manage-api-keys.ts';
import type { OidcIssuerConfig } from './oidc-token-verifier.ts';
import type { ApiKeyStore, AuditLog, TrustPolicyStore } from './ports.ts';
import {
  describeCriteria,
  type PinnedIds,
  parseTrustCriteria,
  type TrustCriteriaInput,
  type TrustPolicy,
} from './trust-policy.ts';

export interface TrustPolicyAdminDeps {
  readonly policies: TrustPolicyStore;
  readonly apiKeys: ApiKeyStore;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** The issuers the server trusts (configuration). */
  readonly issuers: readonly OidcIssuerConfig[];
  /** Throws NotFound naming the feed when there is none. */
  readonly requireFeed: (name: string) => Promise<unknown>;
}

export interface TrustPolicyInput {
  readonly feed: string;
  readonly user: string;
  /** The issuer URL; needed only when several issuers of the kind are configured. */
  readonly issuer?: string | undefined;
  readonly criteria: TrustCriteriaInput;
  readonly pinned?: PinnedIds | undefined;
  readonly scopes: readonly ApiKeyScope[];
  readonly packages: readonly string[];
}

// The same shape as API key names: the user is the name a CI job gives (NuGet/login's `user`).
const userPattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

function issuerFor(
  deps: Pick<TrustPolicyAdminDeps, 'issuers'>,
  kind: string,
  url: string | undefined,
): string {
  const ofKind = deps.issuers.filter((issuer) => issuer.kind === kind);
  if (url !== undefined && url.trim() !== '') {
    const wanted = url.trim().replace(/\/+$/, '');
    const issuer = ofKind.find((candidate) => candidate.url.replace(/\/+$/, '') === wanted);
    if (!issuer) {
      throw invalidInput(
        'trust_policy_issuer_unknown',
        `'${wanted}' is not a ${kind} issuer this server trusts (${ofKind.map((i) => i.url).join(', ') || 'none'}): ` +
          'add it to --trusted-publishing-issuers first.',
      );
    }
    return issuer.url;
  }
  const [only, ...others] = ofKind;
  if (!only) {
    throw invalidInput(
      'trust_policy_issuer_unknown',
      `This server trusts no ${kind} issuer: add one to --trusted-publishing-issuers (e.g. ${kind}=https://...).`,
    );
  }
  if (others.length > 0) {
    throw invalidInput(
      'trust_policy_issuer_ambiguous',
      `Several ${kind} issuers are trusted (${ofKind.map((i) => i.url).join(', ')}): say which with --issuer.`,
    );
  }
  return only.url;
}

export async function createTrustPolicy(
  deps: TrustPolicyAdminDeps,
  requester: Requester,
  input: TrustPolicyInput,
): Promise<TrustPolicy> {
  const criteria = parseTrustCriteria(input.criteria);
  if (!userPattern.test(input.user)) {
    throw invalidInput(
      'trust_policy_user_invalid',
      `'${input.user.slice(0, 80)}' is not a user name: use up to 64 letters, digits, '.', '_', '@' or '-'. ` +
        'The CI job gives the same name (NuGet/login: user; the exchange body: username).',
    );
  }
  if (input.scopes.includes('admin')) {
    throw invalidInput(
      'trust_policy_scope_admin',
      'A trust policy may not grant the admin scope: CI publishes with push-new, push, unlist and read.',
    );
  }
  await deps.requireFeed(input.feed);
  const policy: TrustPolicy = {
    id: randomBytes(6).toString('hex'),
    feed: input.feed,
    user: input.user,
    issuer: issuerFor(deps, criteria.kind, input.issuer),
    criteria,
    pinned: input.pinned,
    scopes: [...input.scopes],
    packages: [...input.packages],
    created: deps.clock.now().toISOString(),
    createdBy: requester.actor,
  };
  await deps.policies.insert(policy);
  await deps.audit.append({
    feed: policy.feed,
    at: policy.created,
    actor: requester.actor,
    keyId: requester.keyId,
    action: 'create-trust-policy',
    source: requester.source,
    outcome: 'success',
    detail: {
      policy: policy.id,
      user: policy.user,
      issuer: policy.issuer,
      trusts: describeCriteria(criteria),
      pinned: policy.pinned,
      scopes: policy.scopes,
      packages: policy.packages,
    },
  });
  return policy;
}

export const listTrustPolicies = (
  deps: Pick<TrustPolicyAdminDeps, 'policies'>,
  feed?: string,
): Promise<TrustPolicy[]> => deps.policies.list(feed);

const noSuchPolicy = (id: string) =>
  notFound('trust_policy_not_found', `There is no trust policy with id '${id}' (see nugget trust list).`);

export async function showTrustPolicy(
  deps: Pick<TrustPolicyAdminDeps, 'policies'>,
  id: string,
): Promise<TrustPolicy> {
  const policy = await deps.policies.find(id);
  if (!policy) throw noSuchPolicy(id);
  return policy;
}

/** Removes the policy and revokes every key it issued that is still valid. */
export async function removeTrustPolicy(
  deps: Omit<TrustPolicyAdminDeps, 'issuers' | 'requireFeed'>,
  requester: Requester,
  id: string,
): Promise<{ policy: TrustPolicy; revokedKeys: number }> {
  const policy = await deps.policies.remove(id);
  if (!policy) throw noSuchPolicy(id);
  const now = deps.clock.now();
  const revokedKeys = await deps.apiKeys.revokeIssuedBy(policy.id, now);
  await deps.audit.append({
    feed: policy.feed,
    at: now.toISOString(),
    actor: requester.actor,
    keyId: requester.keyId,
    action: 'delete-trust-policy',
    source: requester.source,
    outcome: 'success',
    detail: { policy: policy.id, trusts: describeCriteria(policy.criteria), revokedKeys },
  });
  return { policy, revokedKeys };
}
