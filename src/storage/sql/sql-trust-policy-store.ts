// TrustPolicyStore and UsedTokenStore over Kysely: the trust_policies and used_oidc_tokens tables of migration
// 0007 (docs/trusted-publishing.md). Criteria, ids, scopes and id patterns are JSON.
import type { Kysely, Selectable } from 'kysely';
import { isApiKeyScope } from '../../auth/api-key-scope.ts';
import type { TrustPolicyStore, UsedTokenStore } from '../../auth/ports.ts';
import type { PinnedIds, TrustCriteria, TrustPolicy } from '../../auth/trust-policy.ts';
import type { Database, TrustPoliciesTable } from './schema.ts';

const toPolicy = (row: Selectable<TrustPoliciesTable>): TrustPolicy => ({
  id: row.id,
  feed: row.feed,
  user: row.user_name,
  issuer: row.issuer,
  criteria: JSON.parse(row.criteria) as TrustCriteria,
  pinned: row.pinned === null ? undefined : (JSON.parse(row.pinned) as PinnedIds),
  scopes: (JSON.parse(row.scopes) as string[]).filter(isApiKeyScope),
  packages: JSON.parse(row.packages) as string[],
  created: row.created,
  createdBy: row.created_by,
});

export class SqlTrustPolicyStore implements TrustPolicyStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(policy: TrustPolicy): Promise<void> {
    await this.#db
      .insertInto('trust_policies')
      .values({
        id: policy.id,
        feed: policy.feed,
        user_name: policy.user,
        issuer: policy.issuer,
        kind: policy.criteria.kind,
        criteria: JSON.stringify(policy.criteria),
        pinned: policy.pinned === undefined ? null : JSON.stringify(policy.pinned),
        scopes: JSON.stringify(policy.scopes),
        packages: JSON.stringify(policy.packages),
        created: policy.created,
        created_by: policy.createdBy,
      })
      .execute();
  }

  async find(id: string): Promise<TrustPolicy | undefined> {
    const row = await this.#db
      .selectFrom('trust_policies')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toPolicy(row);
  }

  async list(feed?: string): Promise<TrustPolicy[]> {
    let query = this.#db.selectFrom('trust_policies').selectAll();
    if (feed !== undefined) query = query.where('feed', '=', feed);
    const rows = await query.orderBy('created').orderBy('id').execute();
    return rows.map(toPolicy);
  }

  async forUser(user: string): Promise<TrustPolicy[]> {
    // Few policies per server: compared here, case-insensitively, rather than with each dialect's lower().
    return (await this.list()).filter((policy) => policy.user.toLowerCase() === user.toLowerCase());
  }

  async pin(id: string, ids: PinnedIds): Promise<TrustPolicy | undefined> {
    await this.#db
      .updateTable('trust_policies')
      .set({ pinned: JSON.stringify(ids) })
      .where('id', '=', id)
      .where('pinned', 'is', null)
      .execute();
    return this.find(id);
  }

  async remove(id: string): Promise<TrustPolicy | undefined> {
    const policy = await this.find(id);
    if (!policy) return undefined;
    const result = await this.#db.deleteFrom('trust_policies').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0 ? policy : undefined;
  }
}

export class SqlUsedTokenStore implements UsedTokenStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async use(tokenKey: string, expires: Date, now: Date): Promise<'first-use' | 'replayed'> {
    await this.#db.deleteFrom('used_oidc_tokens').where('expires', '<', now.toISOString()).execute();
    // The primary key decides between two nodes exchanging the same token at once.
    const result = await this.#db
      .insertInto('used_oidc_tokens')
      .values({ token_key: tokenKey, expires: expires.toISOString() })
      .onConflict((oc) => oc.column('token_key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 0 ? 'replayed' : 'first-use';
  }
}
