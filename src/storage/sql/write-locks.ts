// The order of writes. Every transaction that changes a package id takes that id's lock before it reads or writes
// anything, so two changes of one id (two versions pushed at once, a push and an unlist, two nodes) run one after
// the other and each sees what the one before it committed: its search documents are rebuilt from every version,
// never from a snapshot that misses one, and never collide on their unique key. Catalog appends take one more
// lock, so that commit timestamps grow in the order of the entries (catalog-resource.md, "Cursor").
//
// Locks are always taken in this order, so no two transactions wait for each other: all ids (shared by an id
// write, exclusive for an advisory import, which changes the catalog leaves of any id), then ids by their key,
// then the feed (only pushes to a feed with quotas take it), then the catalog.
import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

export interface WriteLocks {
  /** Orders this transaction after (and before) every other one that changes any of these ids. */
  packageIds(trx: Transaction<Database>, lowerIds: readonly string[]): Promise<void>;
  /** Orders this transaction after every id write in progress, and every new one after it. */
  allPackageIds(trx: Transaction<Database>): Promise<void>;
  /**
   * Orders the pushes to a feed with quotas (docs/retention.md, "Quotas"): taken after the id locks and before the
   * catalog's, so the feed's usage read under it stays true until the push commits.
   */
  feed(trx: Transaction<Database>, feed: string): Promise<void>;
  /** Orders catalog appends: taken last, just before an entry's number and commit timestamp are chosen. */
  catalog(trx: Transaction<Database>): Promise<void>;
}

/**
 * SQLite: nothing to take. Every transaction begins with BEGIN IMMEDIATE (database-faults.ts), which holds the
 * database's one write lock from its first statement to its commit: writes are already in one order.
 */
export const sqliteWriteLocks: WriteLocks = {
  packageIds: async () => {},
  allPackageIds: async () => {},
  feed: async () => {},
  catalog: async () => {},
};

// Transaction-scoped advisory locks, released at commit or rollback, on every node that shares the database.
// Single 64-bit keys and pairs of 32-bit keys are separate key spaces: an id's lock is (namespace, hash of id);
// ids whose hashes collide merely wait for each other. The migration lock (…151) is in postgres-database.ts.
// https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
const catalogKey = 7_464_845_801_911_276_152n;
const allPackageIdsKey = 7_464_845_801_911_276_153n;
const packageIdNamespace = 0x6e_75_67_70; // "nugp"
const feedNamespace = 0x6e_75_67_66; // "nugf"

/** A package id's lock key: 32 bits of its SHA-256, the same on every node. */
export function packageIdLockKey(lowerId: string): number {
  return createHash('sha256').update(lowerId).digest().readInt32BE(0);
}

export const postgresWriteLocks: WriteLocks = {
  async packageIds(trx, lowerIds) {
    if (lowerIds.length === 0) return;
    await sql`SELECT pg_advisory_xact_lock_shared(${allPackageIdsKey})`.execute(trx);
    // Sorted and without repeats, so that two transactions locking several ids take them in the same order.
    const keys = [...new Set(lowerIds.map(packageIdLockKey))].sort((a, b) => a - b);
    // unnest yields the keys in array order, and each row takes its lock as it is produced.
    await sql`SELECT pg_advisory_xact_lock(${packageIdNamespace}, k) FROM unnest(${keys}::int4[]) AS k`.execute(
      trx,
    );
  },
  async allPackageIds(trx) {
    await sql`SELECT pg_advisory_xact_lock(${allPackageIdsKey})`.execute(trx);
  },
  async feed(trx, feed) {
    await sql`SELECT pg_advisory_xact_lock(${feedNamespace}::int4, ${packageIdLockKey(feed)}::int4)`.execute(
      trx,
    );
  },
  async catalog(trx) {
    await sql`SELECT pg_advisory_xact_lock(${catalogKey})`.execute(trx);
  },
};
