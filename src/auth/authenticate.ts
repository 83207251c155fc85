// Turns a presented key (X-NuGet-ApiKey, or the password of Basic credentials) into a principal.
// The bootstrap --api-key is compared in constant time; a managed key is looked up by its public key id and its
// secret checked against the stored hash in constant time (api-key.ts).
import type { Clock } from '../packages/ports.ts';
import { parseApiKey, sameSecret, secretMatches } from './api-key.ts';
import { bootstrapPrincipal, type Principal } from './authorize.ts';
import type { ApiKeyStore } from './ports.ts';

export type Authentication =
  | { readonly ok: true; readonly principal: Principal }
  | {
      readonly ok: false;
      readonly code: 'api_key_invalid' | 'api_key_revoked' | 'api_key_expired';
      readonly reason: string;
    };

export interface AuthenticateDeps {
  readonly apiKeys: ApiKeyStore;
  readonly clock: Clock;
  readonly bootstrapKey?: string | undefined;
}

/** last_used is written at most once per this interval per key: a restore of a private feed is hundreds of GETs. */
export const lastUsedResolutionMs = 60_000;

const invalid: Authentication = {
  ok: false,
  code: 'api_key_invalid',
  reason: 'The API key is not valid on this server.',
};

export async function authenticate(deps: AuthenticateDeps, presented: string): Promise<Authentication> {
  if (deps.bootstrapKey !== undefined && sameSecret(presented, deps.bootstrapKey)) {
    return { ok: true, principal: bootstrapPrincipal };
  }
  const parts = parseApiKey(presented);
  if (!parts) return invalid;
  const key = await deps.apiKeys.find(parts.keyId);
  // Revocation and expiry are told only to someone who holds the right secret.
  if (!key || !secretMatches(parts.secret, key.secretHash)) return invalid;
  if (key.revoked) {
    return {
      ok: false,
      code: 'api_key_revoked',
      reason: `The API key '${key.name}' was revoked on ${key.revoked}: ask a feed admin for a new key.`,
    };
  }
  const now = deps.clock.now();
  if (key.expires && Date.parse(key.expires) <= now.getTime()) {
    return {
      ok: false,
      code: 'api_key_expired',
      reason: `The API key '${key.name}' expired on ${key.expires}: ask a feed admin for a new key (nugget apikey create).`,
    };
  }
  if (!key.lastUsed || now.getTime() - Date.parse(key.lastUsed) >= lastUsedResolutionMs) {
    await deps.apiKeys.markUsed(key.keyId, now);
  }
  return {
    ok: true,
    principal: {
      name: key.name,
      keyId: key.keyId,
      scopes: key.scopes,
      packages: key.packages,
      feeds: key.feeds,
      trustPolicy: key.trustPolicy,
    },
  };
}
