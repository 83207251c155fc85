// A push updates its id's search documents from the documents alone (src/storage/sql/sqlite-search-index.ts,
// refreshAfterInsert), not from every version of the id. Whatever the order the versions arrive in, listed or
// not, prerelease or SemVer 2, with downloads counted between pushes: the documents and their full-text rows must
// be exactly those a rebuild from every version gives.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { samplePackageVersion } from '../../src/storage/contracts/package-store-contract.ts';
import { seededRandom } from '../../src/storage/contracts/seeded-random.ts';
import type { Database } from '../../src/storage/sql/schema.ts';
import { SqlPackageStore } from '../../src/storage/sql/sql-package-store.ts';
import { openSqliteDatabase } from '../../src/storage/sql/sqlite-database.ts';
import { refreshSearchDocuments } from '../../src/storage/sql/sqlite-search-index.ts';

const root = await mkdtemp(join(tmpdir(), 'nugget-search-docs-'));
const databases: Kysely<Database>[] = [];
after(async () => {
  for (const db of databases) await db.destroy();
  await rm(root, { recursive: true, force: true });
});

/** The documents of an id with their full-text rows, without the row ids (a rebuild renumbers them). */
async function documentsOf(db: Kysely<Database>, lowerId: string): Promise<unknown[]> {
  const { rows } = await sql<Record<string, unknown>>`
    SELECT d.level, d.lower_version, d.total_downloads, d.package_types,
           f.id, f.title, f.description, f.tags, f.authors, f.summary, f.owners
    FROM search_documents d JOIN search_fts f ON f.rowid = d.doc_id
    WHERE d.feed = 'default' AND d.lower_id = ${lowerId} ORDER BY d.level`.execute(db);
  const { rows: orphans } = await sql<{ n: number }>`
    SELECT count(*) AS n FROM search_fts WHERE rowid NOT IN (SELECT doc_id FROM search_documents)`.execute(
    db,
  );
  assert.equal(orphans[0]?.n, 0, 'no full-text row without its document');
  return rows;
}

const versionTexts = [
  '1.0.0',
  '0.9.0',
  '2.0.0-beta.1',
  '1.5.0-preview2',
  '1.1.0',
  '3.0.0-rc.1+build.5',
  '2.0.0',
  '2.1.0-alpha',
  '10.0.0-Beta',
  '1.0.1',
];

test('after every push, the documents equal a rebuild from every version', async () => {
  const random = seededRandom(17);
  for (let round = 0; round < 12; round++) {
    const db = await openSqliteDatabase(join(root, `db-${round}.sqlite`));
    databases.push(db);
    const packages = new SqlPackageStore(db, 'default', refreshSearchDocuments);
    const order = [...versionTexts].sort(() => random() - 0.5);
    for (const [i, text] of order.entries()) {
      const semVer2 = text.includes('.1') && text.includes('-') ? true : random() < 0.2;
      const version = samplePackageVersion(`Contoso.Round${round}`, text.replace(/\+.*/, ''), {
        fullVersion: text,
        isSemVer2: semVer2,
        listed: random() > 0.2,
        metadata: {
          ...samplePackageVersion('x', '1.0.0').metadata,
          description: `push ${i} of ${text}`,
          title: i % 2 ? `Title ${text}` : undefined,
          packageTypes: i % 3 ? [] : [{ name: 'DotnetTool' }],
        },
      });
      assert.equal(await packages.insert(version), 'inserted');
      // Downloads counted between pushes: the id's total must carry over to a document a later push creates.
      if (random() < 0.4)
        await packages.addDownloads(
          new Map([['k', { lowerId: version.lowerId, lowerVersion: version.lowerVersion, count: 3 }]]),
        );
      const afterPush = await documentsOf(db, version.lowerId);
      await db.transaction().execute((trx) => refreshSearchDocuments(trx, 'default', version.lowerId));
      assert.deepEqual(
        afterPush,
        await documentsOf(db, version.lowerId),
        `round ${round}, push ${i} (${text})`,
      );
    }
  }
});
