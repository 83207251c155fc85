// AdvisoryStore over Kysely: the vulnerability_advisories table. An import and the catalog entries it causes
// (one PackageDetails per stored version whose vulnerabilities change) commit in one transaction.
import type { Kysely } from 'kysely';
import {
  planAdvisoryImport,
  versionsWithChangedVulnerabilities,
} from '../../packages/import-vulnerabilities.ts';
import type { AdvisoryImportSummary, AdvisoryInput, AdvisoryStore, Clock } from '../../packages/ports.ts';
import type { VulnerabilityAdvisory } from '../../protocol/vulnerability-info.ts';
import { toAdvisory } from './advisory-rows.ts';
import { appendCatalogEntry } from './catalog-log.ts';
import type { Database } from './schema.ts';
import { toPackageVersion } from './sql-package-store.ts';
import { sqliteWriteLocks, type WriteLocks } from './write-locks.ts';

/** Stay below SQLite's bound-parameter limit in `IN (...)` lists. */
const chunkSize = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += chunkSize) result.push(items.slice(i, i + chunkSize));
  return result;
}

export class SqlAdvisoryStore implements AdvisoryStore {
  readonly #db: Kysely<Database>;
  readonly #locks: WriteLocks;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, options: { locks?: WriteLocks; clock?: Clock } = {}) {
    this.#db = db;
    this.#locks = options.locks ?? sqliteWriteLocks;
    this.#clock = options.clock ?? { now: () => new Date() };
  }

  async findAdvisories(lowerIds: readonly string[]): Promise<VulnerabilityAdvisory[]> {
    const found: VulnerabilityAdvisory[] = [];
    for (const part of chunks([...new Set(lowerIds)])) {
      const rows = await this.#db
        .selectFrom('vulnerability_advisories')
        .selectAll()
        .where('lower_id', 'in', part)
        .execute();
      found.push(...rows.map(toAdvisory));
    }
    return found;
  }

  async listAdvisories(): Promise<VulnerabilityAdvisory[]> {
    const rows = await this.#db.selectFrom('vulnerability_advisories').selectAll().execute();
    return rows.map(toAdvisory);
  }

  async lastUpdated(): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('vulnerability_advisories')
      .select((eb) => eb.fn.max('updated').as('updated'))
      .executeTakeFirst();
    return row?.updated ?? undefined;
  }

  async importAdvisories(
    advisories: readonly AdvisoryInput[],
    options: { replace: boolean },
  ): Promise<AdvisoryImportSummary> {
    const now = this.#clock.now();
    return this.#db.transaction().execute(async (trx) => {
      // An import changes the catalog leaves of any id and reads the advisories it replaces: it runs alone, after
      // every change of an id in progress (whose leaf then reflects the advisories before it) and before the next.
      await this.#locks.allPackageIds(trx);
      const before = (await trx.selectFrom('vulnerability_advisories').selectAll().execute()).map(toAdvisory);
      const plan = planAdvisoryImport(before, advisories, {
        replace: options.replace,
        now: now.toISOString(),
      });
      for (const removed of plan.removals) {
        await trx
          .deleteFrom('vulnerability_advisories')
          .where('lower_id', '=', removed.lowerId)
          .where('url', '=', removed.url)
          .execute();
      }
      for (const a of plan.upserts) {
        const row = { severity: a.severity, versions: a.versions, updated: a.updated };
        await trx
          .insertInto('vulnerability_advisories')
          .values({ lower_id: a.lowerId, url: a.url, ...row })
          .onConflict((oc) => oc.columns(['lower_id', 'url']).doUpdateSet(row))
          .execute();
      }
      let catalogEntries = 0;
      for (const lowerId of [...plan.changedIds].sort()) {
        const rows = await trx
          .selectFrom('package_versions')
          .selectAll()
          .where('lower_id', '=', lowerId)
          .execute();
        const versions = rows.map(toPackageVersion);
        for (const version of versionsWithChangedVulnerabilities(versions, before, plan.after)) {
          await appendCatalogEntry(trx, this.#locks, now, { type: 'PackageDetails', version });
          catalogEntries++;
        }
      }
      return { ...plan.summary, catalogEntries };
    });
  }
}
