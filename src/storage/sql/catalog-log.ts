// Appends to the catalog inside the transaction that makes the change, so the catalog and the packages can never
// disagree. Commit timestamps only ever grow (a cursor reader relies on it: catalog-resource.md, "Cursor"): a
// commit in the same millisecond as the last one, or while a clock runs behind, gets the last one plus 1 ms.
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { PackageVersion } from '../../protocol/package-version.ts';
import { vulnerabilitiesOf } from '../../protocol/vulnerability-info.ts';
import type { Database } from './schema.ts';
import { toAdvisory } from './advisory-rows.ts';
import type { WriteLocks } from './write-locks.ts';

export async function appendCatalogEntry(
  trx: Transaction<Database>,
  locks: WriteLocks,
  now: Date,
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
      .where('lower_id', '=', v.lowerId)
      .execute();
    const vulnerabilities = vulnerabilitiesOf(advisories.map(toAdvisory), v);
    snapshot = JSON.stringify(vulnerabilities.length > 0 ? { ...v, vulnerabilities } : v);
  }
  await trx
    .insertInto('catalog_entries')
    .values({
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
}
