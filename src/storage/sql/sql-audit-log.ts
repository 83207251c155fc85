// AuditLog over Kysely: the append-only audit_log table (migration 0004), indexed by time.
import type { Kysely, Selectable } from 'kysely';
import type { AuditAction, AuditEntry, AuditLog, AuditRecord } from '../../auth/ports.ts';
import { redactFields } from '../../redact.ts';
import { compiledOnce, valuesOf } from './compiled-once.ts';
import type { AuditLogTable, Database } from './schema.ts';

function toRecord(row: Selectable<AuditLogTable>): AuditRecord {
  return {
    // PostgreSQL returns bigint columns as strings.
    seq: Number(row.seq),
    feed: row.feed ?? undefined,
    at: row.at,
    actor: row.actor,
    keyId: row.key_id ?? undefined,
    // Written only through append(), which takes an AuditAction.
    action: row.action as AuditAction,
    packageId: row.package_id ?? undefined,
    version: row.version ?? undefined,
    source: row.source ?? undefined,
    outcome: row.outcome,
    detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : undefined,
  };
}

// Every push and refusal appends one entry: compiled once (compiled-once.ts).
const insertEntry = compiledOnce((db, p: Omit<AuditLogTable, 'seq'>) =>
  db
    .insertInto('audit_log')
    .values(
      valuesOf(p, [
        'feed',
        'at',
        'actor',
        'key_id',
        'action',
        'package_id',
        'version',
        'source',
        'outcome',
        'detail',
      ]),
    ),
);

export class SqlAuditLog implements AuditLog {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async append(entry: AuditEntry): Promise<void> {
    await insertEntry(this.#db, {
      feed: entry.feed ?? null,
      at: entry.at,
      actor: entry.actor,
      key_id: entry.keyId ?? null,
      action: entry.action,
      package_id: entry.packageId ?? null,
      version: entry.version ?? null,
      source: entry.source ?? null,
      outcome: entry.outcome,
      // A detail may quote what a person typed (an advisory source URL with a token in it): no secret is kept.
      detail: entry.detail ? JSON.stringify(redactFields(entry.detail)) : null,
    });
  }

  async list(query: {
    since?: Date | undefined;
    limit: number;
    feed?: string | undefined;
  }): Promise<AuditRecord[]> {
    let select = this.#db.selectFrom('audit_log').selectAll();
    // A feed's log shows the server-wide entries (API keys) beside its own: a key change concerns every feed.
    const { feed } = query;
    if (feed !== undefined)
      select = select.where((eb) => eb.or([eb('feed', '=', feed), eb('feed', 'is', null)]));
    if (query.since) select = select.where('at', '>=', query.since.toISOString());
    const rows = await select.orderBy('seq', 'desc').limit(query.limit).execute();
    return rows.map(toRecord);
  }
}
