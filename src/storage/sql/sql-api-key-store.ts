// ApiKeyStore over Kysely: the api_keys table (migration 0004). Scopes and id patterns are JSON arrays.
import type { Kysely, Selectable } from 'kysely';
import { isApiKeyScope } from '../../auth/api-key-scope.ts';
import type { ApiKey, ApiKeyStore, StoredApiKey } from '../../auth/ports.ts';
import type { ApiKeysTable, Database } from './schema.ts';

function toApiKey(row: Selectable<ApiKeysTable>): ApiKey {
  return {
    keyId: row.key_id,
    name: row.name,
    scopes: (JSON.parse(row.scopes) as string[]).filter(isApiKeyScope),
    packages: JSON.parse(row.packages) as string[],
    created: row.created,
    expires: row.expires ?? undefined,
    lastUsed: row.last_used ?? undefined,
    revoked: row.revoked ?? undefined,
  };
}

export class SqlApiKeyStore implements ApiKeyStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(key: StoredApiKey): Promise<'inserted' | 'duplicate-name'> {
    // Names are unique (schema): of two keys created with one name at once, the second finds the name taken.
    const result = await this.#db
      .insertInto('api_keys')
      .values({
        key_id: key.keyId,
        name: key.name,
        secret_hash: key.secretHash,
        scopes: JSON.stringify(key.scopes),
        packages: JSON.stringify(key.packages),
        created: key.created,
        expires: key.expires ?? null,
        last_used: key.lastUsed ?? null,
        revoked: key.revoked ?? null,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) return 'duplicate-name';
    return 'inserted';
  }

  async find(keyId: string): Promise<StoredApiKey | undefined> {
    const row = await this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where('key_id', '=', keyId)
      .executeTakeFirst();
    return row ? { ...toApiKey(row), secretHash: row.secret_hash } : undefined;
  }

  async list(): Promise<ApiKey[]> {
    const rows = await this.#db
      .selectFrom('api_keys')
      .selectAll()
      .orderBy('created')
      .orderBy('name')
      .execute();
    return rows.map(toApiKey);
  }

  async hasUsableKeys(now: Date): Promise<boolean> {
    const row = await this.#db
      .selectFrom('api_keys')
      .select('key_id')
      .where('revoked', 'is', null)
      .where((eb) => eb.or([eb('expires', 'is', null), eb('expires', '>', now.toISOString())]))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async revoke(keyIdOrName: string, at: Date): Promise<ApiKey | undefined> {
    await this.#db
      .updateTable('api_keys')
      .set({ revoked: at.toISOString() })
      .where((eb) => eb.or([eb('key_id', '=', keyIdOrName), eb('name', '=', keyIdOrName)]))
      .where('revoked', 'is', null)
      .execute();
    const row = await this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where((eb) => eb.or([eb('key_id', '=', keyIdOrName), eb('name', '=', keyIdOrName)]))
      .executeTakeFirst();
    return row ? toApiKey(row) : undefined;
  }

  async markUsed(keyId: string, at: Date): Promise<void> {
    await this.#db
      .updateTable('api_keys')
      .set({ last_used: at.toISOString() })
      .where('key_id', '=', keyId)
      .execute();
  }
}
