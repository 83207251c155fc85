// Trusted publishing's token exchange (docs/trusted-publishing.md): a CI job presents the OpenID Connect token of
// its platform and the user name of a trust policy, and gets an API key that works for one hour, on the policy's
// feed, with the policy's scopes and ids. The contract is nuget.org's (the NuGet/login action): POST
// {"username", "tokenType": "ApiKey"} with `Authorization: Bearer <token>`, answered {"apiKey"}.
import { createHash } from 'node:crypto';
import { conflict, forbidden, invalidInput, unauthenticated } from '../errors.ts';
import type { Clock } from '../packages/ports.ts';
import { generateApiKey, hashSecret } from './api-key.ts';
import { checkKeyLifetime, type LifetimeCap } from './key-lifetime.ts';
import type { OidcTokenVerifier } from './oidc-token-verifier.ts';
import type { ApiKey, ApiKeyStore, AuditLog, TrustPolicyStore, UsedTokenStore } from './ports.ts';
import {
  type Claims,
  issuedKeyName,
  matchPolicy,
  type PolicyMatch,
  runDetail,
  type TrustPolicy,
} from './trust-policy.ts';

/** How long an issued key works (nuget.org's temporary keys: one hour). */
export const issuedKeyLifetimeMs = 3_600_000;

/** Issued keys are deleted this long after they expired; the audit log keeps their names. */
const issuedKeyRetentionMs = 7 * 24 * 3_600_000;

export interface TokenExchangeDeps {
  readonly verifier: OidcTokenVerifier;
  readonly policies: TrustPolicyStore;
  readonly usedTokens: UsedTokenStore;
  readonly apiKeys: ApiKeyStore;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** The feed's cap on key lifetimes, if it has one. */
  readonly lifetimeCap?: ((feed: string) => Promise<LifetimeCap | undefined>) | undefined;
}

export interface TokenExchangeRequest {
  /** The bearer token: the CI platform's OpenID Connect token. */
  readonly token: string;
  /** The JSON body as sent. */
  readonly body: unknown;
  /** The feed the exchange URL names (`/feeds/{name}/api/v2/token`); undefined at `/api/v2/token`. */
  readonly feed?: string | undefined;
  /** The client's address, for the audit log. */
  readonly source: string;
}

export interface IssuedKey {
  readonly apiKey: string;
  readonly expires: string;
  readonly feed: string;
  readonly key: ApiKey;
}

function parseBody(body: unknown): { username: string } {
  const fields = (body ?? {}) as Record<string, unknown>;
  const example = 'send {"username": "<the user of the trust policy>", "tokenType": "ApiKey"}';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidInput('token_request_invalid', `The body is not a JSON object: ${example}.`);
  }
  const { username, tokenType } = fields;
  if (typeof username !== 'string' || username.trim() === '' || username.length > 256) {
    throw invalidInput('token_request_invalid', `The body has no username: ${example}.`);
  }
  if (tokenType !== undefined && tokenType !== 'ApiKey') {
    throw invalidInput(
      'token_type_unsupported',
      `tokenType '${String(tokenType).slice(0, 40)}' is not supported: this server issues ApiKey tokens only.`,
    );
  }
  return { username: username.trim() };
}

/** What the replay check stores: the issuer's token id (jti), or a hash of the whole token when it has none. */
export const replayKey = (issuer: string, tokenId: string | undefined, token: string): string =>
  createHash('sha256')
    .update(
      `${issuer}\n${tokenId === undefined ? `sha256:${createHash('sha256').update(token).digest('hex')}` : `jti:${tokenId}`}`,
    )
    .digest('hex');

export async function exchangeToken(
  deps: TokenExchangeDeps,
  request: TokenExchangeRequest,
): Promise<IssuedKey> {
  const { username } = parseBody(request.body);
  const now = deps.clock.now();
  // Everything about the token is checked before anything about the policies is said (oidc-token-verifier.ts).
  const verified = await deps.verifier.verify(request.token, now);
  const claims = verified.claims as Claims;
  const where = request.feed === undefined ? 'on this server' : `on feed '${request.feed}'`;
  const subject = `${verified.issuer.kind}:${String(claims['sub'] ?? '?').slice(0, 200)}`;

  // A refusal after the token proved who sent it is worth recording: someone's CI tried.
  const refuse = async (error: Error & { code: string }, feed?: string) => {
    await deps.audit.append({
      feed: feed ?? request.feed,
      at: now.toISOString(),
      actor: subject,
      action: 'exchange-token',
      source: request.source,
      outcome: error.code,
      detail: { user: username, issuer: verified.issuer.url },
    });
    return error;
  };

  const candidates = (await deps.policies.forUser(username)).filter(
    (policy) =>
      policy.issuer === verified.issuer.url && (request.feed === undefined || policy.feed === request.feed),
  );
  if (candidates.length === 0) {
    throw await refuse(
      forbidden(
        'trust_policy_not_found',
        `No trust policy of user '${username}' ${where} trusts tokens of ${verified.issuer.url}: check the ` +
          'user name (NuGet/login: user) and the exchange URL, or ask an admin for a policy (nugget trust add).',
      ),
    );
  }
  const results = candidates.map((policy) => ({ policy, match: matchPolicy(policy, claims) }));
  const matched = results.filter(
    (r): r is { policy: TrustPolicy; match: PolicyMatch & { ok: true } } => r.match.ok,
  );
  if (matched.length === 0) {
    const closest = results.reduce((best, r) =>
      !r.match.ok && !best.match.ok && r.match.passed > best.match.passed ? r : best,
    );
    const reason = closest.match.ok ? '' : closest.match.reason;
    throw await refuse(
      forbidden(
        'trust_policy_mismatch',
        `The token matches no trust policy of user '${username}' ${where}: ${reason}.`,
      ),
    );
  }
  const feeds = [...new Set(matched.map((r) => r.policy.feed))].sort();
  if (feeds.length > 1) {
    throw await refuse(
      conflict(
        'trust_policy_ambiguous',
        `The token matches trust policies on feeds ${feeds.join(', ')}: exchange it at ` +
          `/feeds/{name}/api/v2/token for the feed to push to.`,
      ),
    );
  }
  const [first] = matched;
  if (!first) throw new Error('unreachable: a matched policy');
  let { policy } = first;
  if (first.match.pin) {
    // First use: record the ids, then check again against what is stored (another node may have recorded others).
    policy = (await deps.policies.pin(policy.id, first.match.pin)) ?? policy;
    const again = matchPolicy(policy, claims);
    if (!again.ok) {
      throw await refuse(
        forbidden('trust_policy_mismatch', `The token matches no trust policy: ${again.reason}.`),
        policy.feed,
      );
    }
  }

  const cap = await deps.lifetimeCap?.(policy.feed);
  const lifetime = Math.min(issuedKeyLifetimeMs, cap?.maxMs ?? issuedKeyLifetimeMs);
  const expires = new Date(now.getTime() + lifetime);
  checkKeyLifetime(cap, expires, now);

  // Accepted once: the first exchange of a token wins, on every node (the store's unique key).
  const replay = replayKey(verified.issuer.url, verified.tokenId, request.token);
  if ((await deps.usedTokens.use(replay, verified.expires, now)) === 'replayed') {
    throw await refuse(
      unauthenticated(
        'oidc_token_replayed',
        'This token was already exchanged for a key: each token is accepted once. Request a new token.',
      ),
      policy.feed,
    );
  }

  const { keyId, secret, key } = generateApiKey();
  const baseName = issuedKeyName(policy, claims);
  let apiKey: ApiKey | undefined;
  for (let attempt = 1; apiKey === undefined; attempt += 1) {
    // Two jobs of one run exchange two tokens: the second key's name gets a number.
    const candidate: ApiKey = {
      keyId,
      name: attempt === 1 ? baseName : `${baseName} #${attempt}`,
      scopes: [...policy.scopes],
      packages: [...policy.packages],
      feeds: [policy.feed],
      created: now.toISOString(),
      expires: expires.toISOString(),
      trustPolicy: policy.id,
    };
    const inserted = await deps.apiKeys.insert({ ...candidate, secretHash: hashSecret(secret) });
    if (inserted === 'inserted') apiKey = candidate;
    else if (attempt >= 100) throw new Error(`no free key name for ${baseName}`);
  }
  await deps.audit.append({
    feed: policy.feed,
    at: now.toISOString(),
    actor: apiKey.name,
    keyId,
    action: 'exchange-token',
    source: request.source,
    outcome: 'success',
    detail: {
      policy: policy.id,
      user: username,
      issuer: verified.issuer.url,
      ...runDetail(policy, claims),
      scopes: apiKey.scopes,
      packages: apiKey.packages,
      expires: apiKey.expires,
    },
  });
  await deps.apiKeys.deleteExpiredIssued(new Date(now.getTime() - issuedKeyRetentionMs));
  return { apiKey: key, expires: apiKey.expires ?? '', feed: policy.feed, key: apiKey };
}
