// Prepared statements kept between queries. Kysely's SQLite driver prepares every query anew (parse and plan, about
// a tenth of a push's time in profiles, issue 17); a query built by the same code has the same SQL text, so the
// statement prepared for it last time is used again (SQLite re-prepares it by itself after a schema change:
// https://www.sqlite.org/c3ref/prepare.html). At most `maxStatements` are kept, the least recently used go first,
// so queries whose text varies (IN lists of any length) cannot grow it without bound.
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

export const defaultMaxStatements = 256;

export function withStatementCache(
  sqlite: BetterSqlite3.Database,
  maxStatements = defaultMaxStatements,
): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      const cached = statements.get(sql);
      // A statement still being iterated (a streamed query) cannot run twice at once: that query gets its own.
      if (cached && !cached.busy) {
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      if (!cached) {
        statements.set(sql, statement);
        if (statements.size > maxStatements) statements.delete(statements.keys().next().value as string);
      }
      return statement;
    },
  };
}
