// The ports of API keys and the audit log (docs/architecture.md rule 4); SQL adapters in src/storage/sql/.
import type { ApiKeyScope } from './api-key-scope.ts';
import type { PinnedIds, TrustPolicy } from './trust-policy.ts';

/** A managed API key as `nugget apikey list` shows it: never the key itself. */
export interface ApiKey {
  /** The public part of the key (`ngt_<keyId>_...`). */
  readonly keyId: string;
  /** Unique; what the audit log records as the actor. */
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  /** Id glob patterns the key may touch; ['*'] for every id. */
  readonly packages: readonly string[];
  /** The feeds the key is valid for; ['*'] for every feed. */
  readonly feeds: readonly string[];
  /** ISO 8601 times; undefined = never expires / never used / not revoked. */
  readonly created: string;
  readonly expires?: string | undefined;
  readonly lastUsed?: string | undefined;
  readonly revoked?: string | undefined;
  /** The trust policy that issued the key in exchange for a CI job's token (docs/trusted-publishing.md). */
  readonly trustPolicy?: string | undefined;
}

export interface StoredApiKey extends ApiKey {
  /** hashSecret(secret) (api-key.ts): the secret itself is never stored. */
  readonly secretHash: string;
}

export interface ApiKeyStore {
  /** 'duplicate-name' when a key (revoked or not) already has this name. */
  insert(key: StoredApiKey): Promise<'inserted' | 'duplicate-name'>;
  find(keyId: string): Promise<StoredApiKey | undefined>;
  /** Every key, revoked and expired ones included, oldest first. */
  list(): Promise<ApiKey[]>;
  /** Whether any key is neither revoked nor expired at `now` (a feed with none and no --api-key is read-only). */
  hasUsableKeys(now: Date): Promise<boolean>;
  /** Marks the key (by key id or name) revoked at `at`; returns it, or undefined when there is no such key. */
  revoke(keyIdOrName: string, at: Date): Promise<ApiKey | undefined>;
  markUsed(keyId: string, at: Date): Promise<void>;
  /** Revokes every unrevoked key the trust policy issued; returns how many. */
  revokeIssuedBy(policyId: string, at: Date): Promise<number>;
  /** Deletes keys issued by trust policies that expired before `before` (their names stay in the audit log). */
  deleteExpiredIssued(before: Date): Promise<number>;
}

/** The trust policies of trusted publishing, per feed. */
export interface TrustPolicyStore {
  insert(policy: TrustPolicy): Promise<void>;
  find(id: string): Promise<TrustPolicy | undefined>;
  /** Every policy, or one feed's, oldest first. */
  list(feed?: string): Promise<TrustPolicy[]>;
  /** The policies whose user is `user` (case-insensitive). */
  forUser(user: string): Promise<TrustPolicy[]>;
  /**
   * Records the ids seen at first use, unless ids were recorded meanwhile (a concurrent first use): returns the
   * policy as stored afterwards, whose ids the caller compares again.
   */
  pin(id: string, ids: PinnedIds): Promise<TrustPolicy | undefined>;
  remove(id: string): Promise<TrustPolicy | undefined>;
}

/** The OpenID Connect tokens already exchanged, kept until they expire: each is accepted once, on every node. */
export interface UsedTokenStore {
  /** 'replayed' when the token was used before; forgets tokens that expired before `now`. */
  use(tokenKey: string, expires: Date, now: Date): Promise<'first-use' | 'replayed'>;
}

export const auditActions = [
  'push',
  'unlist',
  'relist',
  'delete',
  'push-symbols',
  'deprecate',
  'undeprecate',
  'import-vulnerabilities',
  'create-api-key',
  'revoke-api-key',
  'create-feed',
  'update-feed',
  'delete-feed',
  'promote',
  'create-trust-policy',
  'delete-trust-policy',
  'exchange-token',
  // A package an upstream feed fetched from its upstream and stored (docs/upstreams.md).
  'ingest-upstream',
  'set-retention-policy',
  'remove-retention-policy',
  'run-retention',
  'create-webhook',
  'update-webhook',
  'delete-webhook',
  'ping-webhook',
  'redeliver-webhook',
] as const;

export type AuditAction = (typeof auditActions)[number];

/** One write, allowed or not: who (key name, 'bootstrap' or 'cli'), what, when, from where, and how it ended. */
export interface AuditEntry {
  /** The feed acted on; undefined for server-wide actions (API keys). */
  readonly feed?: string | undefined;
  /** ISO 8601. */
  readonly at: string;
  readonly actor: string;
  readonly keyId?: string | undefined;
  readonly action: AuditAction;
  readonly packageId?: string | undefined;
  readonly version?: string | undefined;
  /** The client's IP address, or 'cli'. */
  readonly source?: string | undefined;
  /** 'success', or the error code the client got (e.g. 'package_exists', 'api_key_out_of_scope'). */
  readonly outcome: string;
  /** Anything else worth keeping (the scopes of a created key, the counts of an import). */
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
}

export interface AuditRecord extends AuditEntry {
  readonly seq: number;
}

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** Newest first: at most `limit` entries at or after `since`. */
  /** With `feed`, only that feed's entries and the server-wide ones (API keys). */
  list(query: { since?: Date | undefined; limit: number; feed?: string | undefined }): Promise<AuditRecord[]>;
}
