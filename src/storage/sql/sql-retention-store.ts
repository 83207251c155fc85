// Retention's storage (migration 0012, docs/retention.md): each feed's policy, and the lock that lets one run per
// feed at a time across every node: a session advisory lock on PostgreSQL (released by the server when the
// connection ends, so a killed run never leaves it behind), a lease row on SQLite (renewed while the run lasts;
// a lease whose process is gone from this host, or that expired, is taken over).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Kysely, sql } from 'kysely';
import type {
  RetentionLock,
  RetentionPolicyStore,
  StoredRetentionPolicy,
} from '../../packages/run-retention.ts';
import type { RetentionPolicy } from '../../packages/retention-rules.ts';
import type { Database } from './schema.ts';
import { packageIdLockKey } from './write-locks.ts';

export class SqlRetentionPolicyStore implements RetentionPolicyStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async find(feed: string): Promise<StoredRetentionPolicy | undefined> {
    const row = await this.#db
      .selectFrom('retention_policies')
      .selectAll()
      .where('feed', '=', feed)
      .executeTakeFirst();
    return (
      row && {
        policy: JSON.parse(row.policy) as RetentionPolicy,
        updated: row.updated,
        updatedBy: row.updated_by,
      }
    );
  }

  async feeds(): Promise<string[]> {
    const rows = await this.#db.selectFrom('retention_policies').select('feed').orderBy('feed').execute();
    return rows.map((row) => row.feed);
  }

  async set(feed: string, stored: StoredRetentionPolicy): Promise<void> {
    const values = {
      policy: JSON.stringify(stored.policy),
      updated: stored.updated,
      updated_by: stored.updatedBy,
    };
    await this.#db
      .insertInto('retention_policies')
      .values({ feed, ...values })
      .onConflict((oc) => oc.column('feed').doUpdateSet(values))
      .execute();
  }

  async remove(feed: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('retention_policies')
      .where('feed', '=', feed)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

// The pair (namespace, 32 bits of the feed name's SHA-256); a collision only makes two feeds' runs wait in turn.
const retentionNamespace = 0x6e_75_67_72; // "nugr"

/** PostgreSQL: a session-level advisory lock held on one connection of the pool for the whole run. */
export function postgresRetentionLock(db: Kysely<Database>): RetentionLock {
  return {
    async withLock(feed, work) {
      return db.connection().execute(async (connection) => {
        const key = packageIdLockKey(feed);
        const { rows } = await sql<{
          locked: boolean;
        }>`SELECT pg_try_advisory_lock(${retentionNamespace}::int4,
          ${key}::int4) AS locked`.execute(connection);
        if (!rows[0]?.locked) return 'busy' as const;
        try {
          return await work();
        } finally {
          await sql`SELECT pg_advisory_unlock(${retentionNamespace}::int4, ${key}::int4)`.execute(connection);
        }
      });
    },
  };
}

/** How long a SQLite lease lasts unless renewed, and how often a run renews it. */
export const sqliteLeaseMs = 120_000;
const renewEveryMs = 30_000;

const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** SQLite: a lease row per feed, taken in a write transaction (one writer at a time). */
export function sqliteRetentionLock(
  db: Kysely<Database>,
  clock: { now(): Date } = { now: () => new Date() },
): RetentionLock {
  const host = hostname();
  return {
    async withLock(feed, work) {
      const owner = randomUUID();
      const expires = () => new Date(clock.now().getTime() + sqliteLeaseMs).toISOString();
      const taken = await db.transaction().execute(async (trx) => {
        const held = await trx
          .selectFrom('retention_locks')
          .selectAll()
          .where('feed', '=', feed)
          .executeTakeFirst();
        const stale =
          !held ||
          Date.parse(held.expires) < clock.now().getTime() ||
          (held.host === host && held.pid !== process.pid && !processAlive(held.pid));
        if (!stale) return false;
        const values = { owner, host, pid: process.pid, expires: expires() };
        await trx
          .insertInto('retention_locks')
          .values({ feed, ...values })
          .onConflict((oc) => oc.column('feed').doUpdateSet(values))
          .execute();
        return true;
      });
      if (!taken) return 'busy';
      const renew = setInterval(() => {
        void db
          .updateTable('retention_locks')
          .set({ expires: expires() })
          .where('feed', '=', feed)
          .where('owner', '=', owner)
          .execute()
          .catch(() => {});
      }, renewEveryMs);
      renew.unref();
      try {
        return await work();
      } finally {
        clearInterval(renew);
        await db.deleteFrom('retention_locks').where('feed', '=', feed).where('owner', '=', owner).execute();
      }
    },
  };
}
