// Appends to the catalog inside the transaction that makes the change, so the catalog and the packages can never
// disagree. Commit timestamps only ever grow (a cursor reader relies on it: catalog-resource.md, "Cursor"): a
// commit in the same millisecond as the last one, or while a clock runs behind, gets the last one plus 1 ms.
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { PackageVersion } from '../../protocol/package-version.ts';
import { vulnerabilitiesOf } from '../../protocol/vulnerability-info.ts';
import type { Database } from './schema.ts';
import { toAdvisory } from './advisory-rows.ts';
import type { WriteLocks } from './write-locks.ts';

export async function appendCatalogEntry(
  trx: Transaction<Database>,
  locks: WriteLocks,
  now: Date,
  feed: string,
  change:
    { type: 'PackageDetails'; version: PackageVersion } | { type: 'PackageDelete'; version: PackageVersion },
): Promise<void> {
  await locks.catalog(trx);
  const last = await trx
    .selectFrom('catalog_entries')
    .select('commit_timestamp')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  // The entry's number in its feed's catalog: the lock (or SQLite's one writer) makes max + 1 safe.
  const lastInFeed = await trx
    .selectFrom('catalog_entries')
    .select((eb) => eb.fn.max('feed_seq').as('n'))
    .where('feed', '=', feed)
    .executeTakeFirst();
  const lastMs = last ? Date.parse(last.commit_timestamp) : Number.NEGATIVE_INFINITY;
  const timestamp = new Date(Math.max(now.getTime(), lastMs + 1)).toISOString();
  const v = change.version;
  // A leaf is a snapshot: it carries the vulnerabilities known at this commit (catalog-resource.md,
  // "Package details catalog items"), read in this transaction so an advisory import sees its own changes.
  let snapshot: string | null = null;
  if (change.type === 'PackageDetails') {
    const advisories = await trx
      .selectFrom('vulnerability_advisories')
      .selectAll()
      .where('feed', '=', feed)
      .where('lower_id', '=', v.lowerId)
      .execute();
    const vulnerabilities = vulnerabilitiesOf(advisories.map(toAdvisory), v);
    snapshot = JSON.stringify(vulnerabilities.length > 0 ? { ...v, vulnerabilities } : v);
  }
  await trx
    .insertInto('catalog_entries')
    .values({
      feed,
      feed_seq: Number(lastInFeed?.n ?? 0) + 1,
      commit_id: randomUUID(),
      commit_timestamp: timestamp,
      type: change.type,
      lower_id: v.lowerId,
      lower_version: v.lowerVersion,
      id: v.id,
      version: v.fullVersion,
      snapshot,
    })
    .execute();
  await bumpFeedStamp(trx, feed, now);
}

/**
 * Moves a feed's stamp (FeedsTable.stamp) past every value it had: to the time in milliseconds, or one more than
 * before when that is not later. So a feed deleted and created again never repeats a stamp a cache may hold.
 */
export async function bumpFeedStamp(trx: Transaction<Database>, feed: string, now: Date): Promise<void> {
  await sql`UPDATE feeds SET stamp = CASE WHEN stamp + 1 > ${now.getTime()} THEN stamp + 1
    ELSE ${now.getTime()} END WHERE name = ${feed}`.execute(trx);
}
