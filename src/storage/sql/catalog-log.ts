// Appends to the catalog inside the transaction that makes the change, so the catalog and the packages can never
// disagree. Commit timestamps only ever grow (a cursor reader relies on it: catalog-resource.md, "Cursor"): a
// commit in the same millisecond as the last one, or while a clock runs behind, gets the last one plus 1 ms.
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { PackageVersion } from '../../protocol/package-version.ts';
import { vulnerabilitiesOf } from '../../protocol/vulnerability-info.ts';
import type { CatalogEntriesTable, Database } from './schema.ts';
import { toAdvisory } from './advisory-rows.ts';
import { compiledOnce, valuesOf } from './compiled-once.ts';
import type { WriteLocks } from './write-locks.ts';

// An append's own statements, compiled once (compiled-once.ts). The last entry's timestamp (of any feed: commit
// timestamps grow server-wide) and the feed's last number, in one statement.
const selectLast = compiledOnce((db, p: { feed: string }) =>
  db.selectNoFrom((eb) => [
    eb
      .selectFrom('catalog_entries')
      .select('commit_timestamp')
      .orderBy('seq', 'desc')
      .limit(1)
      .as('last_timestamp'),
    eb
      .selectFrom('catalog_entries')
      .select((max) => max.fn.max('feed_seq').as('n'))
      .where('feed', '=', p.feed)
      .as('last_feed_seq'),
  ]),
);
const selectAdvisories = compiledOnce((db, p: { feed: string; lowerId: string }) =>
  db
    .selectFrom('vulnerability_advisories')
    .selectAll()
    .where('feed', '=', p.feed)
    .where('lower_id', '=', p.lowerId),
);
const insertEntry = compiledOnce((db, p: Omit<CatalogEntriesTable, 'seq'>) =>
  db
    .insertInto('catalog_entries')
    .values(
      valuesOf(p, [
        'feed',
        'feed_seq',
        'commit_id',
        'commit_timestamp',
        'type',
        'lower_id',
        'lower_version',
        'id',
        'version',
        'snapshot',
      ]),
    ),
);
const bumpStamp = compiledOnce((db, p: { feed: string; now: number }) =>
  sql`UPDATE feeds SET stamp = CASE WHEN stamp + 1 > ${p.now} THEN stamp + 1
    ELSE ${p.now} END WHERE name = ${p.feed}`.compile(db),
);

export async function appendCatalogEntry(
  trx: Transaction<Database>,
  locks: WriteLocks,
  now: Date,
  feed: string,
  change:
    { type: 'PackageDetails'; version: PackageVersion } | { type: 'PackageDelete'; version: PackageVersion },
): Promise<void> {
  await locks.catalog(trx);
  // The entry's number in its feed's catalog: the lock (or SQLite's one writer) makes max + 1 safe.
  const [last] = (await selectLast(trx, { feed })).rows;
  const lastMs = last?.last_timestamp ? Date.parse(last.last_timestamp) : Number.NEGATIVE_INFINITY;
  const timestamp = new Date(Math.max(now.getTime(), lastMs + 1)).toISOString();
  const v = change.version;
  // A leaf is a snapshot: it carries the vulnerabilities known at this commit (catalog-resource.md,
  // "Package details catalog items"), read in this transaction so an advisory import sees its own changes.
  let snapshot: string | null = null;
  if (change.type === 'PackageDetails') {
    const { rows: advisories } = await selectAdvisories(trx, { feed, lowerId: v.lowerId });
    const vulnerabilities = vulnerabilitiesOf(advisories.map(toAdvisory), v);
    snapshot = JSON.stringify(vulnerabilities.length > 0 ? { ...v, vulnerabilities } : v);
  }
  await insertEntry(trx, {
    feed,
    feed_seq: Number(last?.last_feed_seq ?? 0) + 1,
    commit_id: randomUUID(),
    commit_timestamp: timestamp,
    type: change.type,
    lower_id: v.lowerId,
    lower_version: v.lowerVersion,
    id: v.id,
    version: v.fullVersion,
    snapshot,
  });
  await bumpFeedStamp(trx, feed, now);
}

/**
 * Moves a feed's stamp (FeedsTable.stamp) past every value it had: to the time in milliseconds, or one more than
 * before when that is not later. So a feed deleted and created again never repeats a stamp a cache may hold.
 */
export async function bumpFeedStamp(trx: Transaction<Database>, feed: string, now: Date): Promise<void> {
  await bumpStamp(trx, { feed, now: now.getTime() });
}
