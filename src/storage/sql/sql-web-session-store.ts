// WebSessionStore over Kysely: the web_sessions table (migration 0011).
import type { Kysely, Selectable } from 'kysely';
import type { SignInMethod, WebSession, WebSessionStore } from '../../auth/web-sessions.ts';
import type { Database, WebSessionsTable } from './schema.ts';

const toSession = (row: Selectable<WebSessionsTable>): WebSession => ({
  id: row.id,
  secretHash: row.secret_hash,
  method: row.method as SignInMethod,
  name: row.name,
  keyId: row.key_id ?? undefined,
  subject: row.subject ?? undefined,
  claims: row.claims === null ? undefined : (JSON.parse(row.claims) as Record<string, string[]>),
  csrfToken: row.csrf_token,
  created: row.created,
  expires: row.expires,
  revoked: row.revoked ?? undefined,
});

export class SqlWebSessionStore implements WebSessionStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(session: WebSession): Promise<void> {
    await this.#db
      .insertInto('web_sessions')
      .values({
        id: session.id,
        secret_hash: session.secretHash,
        method: session.method,
        name: session.name,
        key_id: session.keyId ?? null,
        subject: session.subject ?? null,
        claims: session.claims === undefined ? null : JSON.stringify(session.claims),
        csrf_token: session.csrfToken,
        created: session.created,
        expires: session.expires,
        revoked: session.revoked ?? null,
      })
      .execute();
  }

  async find(id: string): Promise<WebSession | undefined> {
    const row = await this.#db.selectFrom('web_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toSession(row) : undefined;
  }

  async revoke(id: string, at: Date): Promise<void> {
    await this.#db
      .updateTable('web_sessions')
      .set({ revoked: at.toISOString() })
      .where('id', '=', id)
      .where('revoked', 'is', null)
      .execute();
  }

  async deleteEnded(before: Date): Promise<number> {
    const cutoff = before.toISOString();
    const result = await this.#db
      .deleteFrom('web_sessions')
      .where((eb) => eb.or([eb('expires', '<', cutoff), eb('revoked', '<', cutoff)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
