// The use cases behind `nugget apikey create|list|revoke`: the key is shown once, only its hash is stored, and
// creating or revoking a key is itself written to the audit log.
import { conflict, invalidInput, notFound } from '../errors.ts';
import type { Clock } from '../packages/ports.ts';
import { generateApiKey, hashSecret } from './api-key.ts';
import type { ApiKeyScope } from './api-key-scope.ts';
import { checkKeyLifetime, type LifetimeCap } from './key-lifetime.ts';
import type { ApiKey, ApiKeyStore, AuditLog } from './ports.ts';

export interface ApiKeyAdminDeps {
  readonly apiKeys: ApiKeyStore;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** The strictest cap on the lifetime of a key valid for these feeds (key-lifetime.ts), if any. */
  readonly lifetimeCap?: ((feeds: readonly string[]) => Promise<LifetimeCap | undefined>) | undefined;
}

/** Who asked: 'cli' for the command line. */
export interface Requester {
  readonly actor: string;
  readonly keyId?: string | undefined;
  readonly source: string;
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export async function createApiKey(
  deps: ApiKeyAdminDeps,
  requester: Requester,
  input: {
    name: string;
    scopes: readonly ApiKeyScope[];
    packages: readonly string[];
    /** The feeds the key is valid for; ['*'] (the default) for every feed. */
    feeds?: readonly string[] | undefined;
    expires?: Date | undefined;
  },
): Promise<{ key: string; apiKey: ApiKey }> {
  if (!namePattern.test(input.name)) {
    throw invalidInput(
      'api_key_name_invalid',
      `'${input.name}' is not a key name: use up to 64 letters, digits, '.', '_', '@' or '-', e.g. ci or alice@laptop.`,
    );
  }
  const feeds = [...(input.feeds ?? ['*'])];
  const now = deps.clock.now();
  checkKeyLifetime(await deps.lifetimeCap?.(feeds), input.expires, now);
  const { keyId, secret, key } = generateApiKey();
  const apiKey: ApiKey = {
    keyId,
    name: input.name,
    scopes: [...input.scopes],
    packages: [...input.packages],
    feeds,
    created: now.toISOString(),
    expires: input.expires?.toISOString(),
  };
  const inserted = await deps.apiKeys.insert({ ...apiKey, secretHash: hashSecret(secret) });
  if (inserted === 'duplicate-name') {
    throw conflict(
      'api_key_name_taken',
      `A key named '${input.name}' already exists (names stay taken after revocation): choose another name.`,
    );
  }
  await deps.audit.append({
    at: apiKey.created,
    actor: requester.actor,
    keyId: requester.keyId,
    action: 'create-api-key',
    source: requester.source,
    outcome: 'success',
    detail: {
      name: apiKey.name,
      keyId,
      scopes: apiKey.scopes,
      packages: apiKey.packages,
      feeds: apiKey.feeds,
      expires: apiKey.expires,
    },
  });
  return { key, apiKey };
}

export const listApiKeys = (deps: Pick<ApiKeyAdminDeps, 'apiKeys'>): Promise<ApiKey[]> => deps.apiKeys.list();

/** Revokes by name or key id; revoking a revoked key again is an error a person sees, not a silent success. */
export async function revokeApiKey(
  deps: ApiKeyAdminDeps,
  requester: Requester,
  keyIdOrName: string,
): Promise<ApiKey> {
  const now = deps.clock.now();
  const existing = (await deps.apiKeys.list()).find(
    (key) => key.keyId === keyIdOrName || key.name === keyIdOrName,
  );
  if (!existing) {
    throw notFound(
      'api_key_not_found',
      `There is no API key named or with id '${keyIdOrName}' (see nugget apikey list).`,
    );
  }
  if (existing.revoked) {
    throw conflict(
      'api_key_already_revoked',
      `The API key '${existing.name}' was already revoked on ${existing.revoked}.`,
    );
  }
  const revoked = (await deps.apiKeys.revoke(existing.keyId, now)) ?? existing;
  await deps.audit.append({
    at: now.toISOString(),
    actor: requester.actor,
    keyId: requester.keyId,
    action: 'revoke-api-key',
    source: requester.source,
    outcome: 'success',
    detail: { name: revoked.name, keyId: revoked.keyId },
  });
  return revoked;
}
