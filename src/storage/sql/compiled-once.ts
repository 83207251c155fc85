// Queries compiled to SQL once per database and run with new parameters each time (issue 17,
// docs/decisions/0025-perf-push-compiled-queries.md). Kysely builds a query's operation tree and compiles it to
// SQL on every call: some microseconds for each of a push's statements, and a new SQL string each time, which the
// statement cache (sqlite-statement-cache.ts) must hash in full to find the statement prepared for it. A query
// made with `compiledOnce` is built with a placeholder for each parameter and compiled the first time it runs on a
// database (SQLite and PostgreSQL spell parameters differently, so once per dialect adapter); every later run
// only fills in the parameters, with the very same SQL string. It still runs through the database's Kysely
// executor and driver: transactions, fault translation and SQLite's group sync see it as any other query.
import { type Compilable, type CompiledQuery, createQueryId, type Kysely, type QueryResult } from 'kysely';
import type { Database } from './schema.ts';

/** A parameter's placeholder while the query is built: a string no caller would pass as a value. */
const placeholderPrefix = '\u0000nugget-parameter:';

interface Compiled<O> {
  readonly query: CompiledQuery<O>;
  /** For each of the compiled query's parameters: the name of the caller's parameter, or a constant of the query. */
  readonly slots: readonly ({ readonly name: string } | { readonly value: unknown })[];
}

/**
 * `build` receives the database and an object whose properties stand for the parameters; it must use each
 * parameter as a value of the query (never in its shape: a parameter that decides which SQL is built would be fixed
 * at its first value). An undefined parameter is bound as NULL; Kysely's builder would leave such an insert column
 * out, so give columns without a NULL default a value.
 */
export function compiledOnce<P extends object, O>(
  build: (db: Kysely<Database>, params: P) => Compilable<O> | CompiledQuery<O>,
): (db: Kysely<Database>, params: P) => Promise<QueryResult<O>> {
  const byAdapter = new WeakMap<object, Compiled<O>>();
  return async (db, params) => {
    const executor = db.getExecutor();
    // A plugin rewrites the query as it is compiled (and each Kysely made with withPlugin shares its adapter): the
    // SQL kept here would be another database's. None is used; a new one must not be silently skipped.
    if (executor.plugins.length > 0)
      throw new Error('compiledOnce: a database with Kysely plugins is not supported');
    const adapter = executor.adapter;
    let compiled = byAdapter.get(adapter);
    if (!compiled) {
      compiled = compile(build, db);
      byAdapter.set(adapter, compiled);
    }
    const parameters = compiled.slots.map((slot) =>
      'name' in slot ? ((params as Record<string, unknown>)[slot.name] ?? null) : slot.value,
    );
    return await db.executeQuery<O>({ ...compiled.query, parameters, queryId: createQueryId() });
  };
}

/** An insert's values from the parameters: `{ column: params.column }` for each of `columns`. */
export function valuesOf<P extends object, K extends keyof P>(params: P, columns: readonly K[]): Pick<P, K> {
  return Object.fromEntries(columns.map((column) => [column, params[column]])) as Pick<P, K>;
}

function compile<P extends object, O>(
  build: (db: Kysely<Database>, params: P) => Compilable<O> | CompiledQuery<O>,
  db: Kysely<Database>,
): Compiled<O> {
  const used = new Set<string>();
  const placeholders = new Proxy({} as P, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      used.add(name);
      return `${placeholderPrefix}${name}`;
    },
  });
  const built = build(db, placeholders);
  const query = 'compile' in built ? built.compile() : built;
  const slots = query.parameters.map((value) =>
    typeof value === 'string' && value.startsWith(placeholderPrefix)
      ? { name: value.slice(placeholderPrefix.length) }
      : { value },
  );
  for (const name of used) {
    if (!slots.some((slot) => 'name' in slot && slot.name === name)) {
      throw new Error(`compiledOnce: parameter '${name}' is not a value of the query: ${query.sql}`);
    }
  }
  return { query, slots };
}
