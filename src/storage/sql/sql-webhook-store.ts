// The webhook outbox over Kysely (migration 0013, docs/webhooks.md, docs/decisions/0018-webhooks-outbox-and-delivery.md).
// `WebhookOutbox.record` is called by every store write that reports an event, INSIDE that write's transaction:
// the delivery rows commit or roll back with the change. The delivery worker of any node then claims due rows
// with a lease (and, on PostgreSQL, FOR UPDATE SKIP LOCKED, so two nodes never wait for or take the same row).
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type {
  AttemptRecord,
  ClaimedDelivery,
  SubscriptionHealth,
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookQueue,
  WebhookQueueStats,
  WebhookStore,
  WebhookSubscription,
} from '../../packages/ports.ts';
import { filterTakes, type WebhookEvent, webhookBody } from '../../packages/webhook-event.ts';
import { compiledOnce } from './compiled-once.ts';
import type { Database, WebhookDeliveriesTable, WebhookSubscriptionsTable } from './schema.ts';

/** The default of --webhook-queue-limit: pending deliveries per subscription before new ones are dropped. */
export const defaultWebhookQueueLimit = 10_000;

// Read by every change of a package, in its transaction: compiled once (compiled-once.ts).
const selectActiveSubscriptions = compiledOnce((db, p: { feed: string }) =>
  db
    .selectFrom('webhook_subscriptions')
    .select(['id', 'events'])
    .where('feed', '=', p.feed)
    .where('active', '=', 1),
);

/**
 * Records events in the outbox. A subscription whose queue already holds `queueLimit` pending deliveries (a
 * receiver down for long) gets the new delivery as 'dropped': the change still commits, the delivery log shows
 * what was not sent, and `nugget webhook redeliver --status dropped` sends it once the receiver is back.
 */
export class WebhookOutbox {
  readonly queueLimit: number;

  constructor(options: { queueLimit?: number } = {}) {
    this.queueLimit = options.queueLimit ?? defaultWebhookQueueLimit;
  }

  /** One delivery per active subscription of the event's feed that takes its type; in the caller's transaction. */
  async record(trx: Transaction<Database>, event: WebhookEvent): Promise<void> {
    const { rows: subscriptions } = await selectActiveSubscriptions(trx, { feed: event.feed });
    for (const subscription of subscriptions) {
      if (!filterTakes(JSON.parse(subscription.events) as string[], event.type)) continue;
      const full = await queueIsFull(trx, subscription.id, this.queueLimit);
      const id = randomUUID();
      await trx
        .insertInto('webhook_deliveries')
        .values({
          ...newDelivery(id, subscription.id, event, event.time),
          ...(full
            ? {
                status: 'dropped',
                completed: event.time,
                last_error: `not queued: the subscription already had ${this.queueLimit} pending deliveries (--webhook-queue-limit)`,
              }
            : {}),
        })
        .execute();
    }
  }
}

/** The default outbox, for stores built without one (tools and tests). */
export const defaultWebhookOutbox = new WebhookOutbox();

async function queueIsFull(trx: Transaction<Database>, subscriptionId: string, limit: number) {
  // Counts at most `limit` rows of the index (subscription, status, next attempt): bounded, whatever the backlog.
  const row = await trx
    .selectFrom((eb) =>
      eb
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('subscription_id', '=', subscriptionId)
        .where('status', '=', 'pending')
        .limit(limit)
        .as('queued'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n) >= limit;
}

function newDelivery(
  id: string,
  subscriptionId: string,
  event: WebhookEvent,
  now: string,
): WebhookDeliveriesTable {
  return {
    id,
    subscription_id: subscriptionId,
    feed: event.feed,
    event: event.type,
    package_id: event.id ?? null,
    package_version: event.version ?? null,
    body: webhookBody(id, event),
    status: 'pending',
    attempts: 0,
    created: now,
    retry_from: now,
    next_attempt: now,
    lease_owner: null,
    lease_until: null,
    last_attempt: null,
    last_error: null,
    response_code: null,
    completed: null,
  };
}

const toSubscription = (row: Selectable<WebhookSubscriptionsTable>): WebhookSubscription => ({
  id: row.id,
  feed: row.feed,
  url: row.url,
  events: JSON.parse(row.events) as string[],
  active: Number(row.active) === 1,
  description: row.description,
  created: row.created,
  createdBy: row.created_by,
  failures: Number(row.failures),
  pausedUntil: row.paused_until ?? undefined,
});

const toDelivery = (row: Selectable<WebhookDeliveriesTable>): WebhookDelivery => ({
  id: row.id,
  subscriptionId: row.subscription_id,
  feed: row.feed,
  event: row.event,
  packageId: row.package_id ?? undefined,
  packageVersion: row.package_version ?? undefined,
  status: row.status as WebhookDeliveryStatus,
  attempts: Number(row.attempts),
  created: row.created,
  nextAttempt: row.status === 'pending' ? row.next_attempt : undefined,
  lastAttempt: row.last_attempt ?? undefined,
  lastError: row.last_error ?? undefined,
  responseCode: row.response_code === null ? undefined : Number(row.response_code),
  completed: row.completed ?? undefined,
});

export class SqlWebhookStore implements WebhookStore, WebhookQueue {
  readonly #db: Kysely<Database>;
  readonly #postgres: boolean;

  constructor(db: Kysely<Database>, options: { dialect: 'sqlite' | 'postgres' }) {
    this.#db = db;
    this.#postgres = options.dialect === 'postgres';
  }

  async addSubscription(subscription: WebhookSubscription & { readonly secret: string }): Promise<void> {
    await this.#db
      .insertInto('webhook_subscriptions')
      .values({
        id: subscription.id,
        feed: subscription.feed,
        url: subscription.url,
        events: JSON.stringify(subscription.events),
        secret: subscription.secret,
        active: subscription.active ? 1 : 0,
        description: subscription.description,
        created: subscription.created,
        created_by: subscription.createdBy,
        failures: subscription.failures,
        paused_until: subscription.pausedUntil ?? null,
      })
      .execute();
  }

  async findSubscription(id: string): Promise<WebhookSubscription | undefined> {
    const row = await this.#db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toSubscription(row);
  }

  async listSubscriptions(feed?: string): Promise<WebhookSubscription[]> {
    let query = this.#db.selectFrom('webhook_subscriptions').selectAll();
    if (feed !== undefined) query = query.where('feed', '=', feed);
    return (await query.orderBy('created').orderBy('id').execute()).map(toSubscription);
  }

  async updateSubscription(
    id: string,
    change: { url?: string; events?: readonly string[]; active?: boolean; description?: string },
  ): Promise<WebhookSubscription | undefined> {
    const set: Partial<WebhookSubscriptionsTable> = {};
    if (change.url !== undefined) set.url = change.url;
    if (change.events !== undefined) set.events = JSON.stringify(change.events);
    if (change.active !== undefined) set.active = change.active ? 1 : 0;
    if (change.description !== undefined) set.description = change.description;
    if (Object.keys(set).length > 0) {
      await this.#db.updateTable('webhook_subscriptions').set(set).where('id', '=', id).execute();
    }
    return this.findSubscription(id);
  }

  async removeSubscription(id: string): Promise<WebhookSubscription | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .deleteFrom('webhook_subscriptions')
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      await trx.deleteFrom('webhook_deliveries').where('subscription_id', '=', id).execute();
      return toSubscription(row);
    });
  }

  async listDeliveries(
    subscriptionId: string,
    query: { status?: WebhookDeliveryStatus | undefined; limit: number },
  ): Promise<WebhookDelivery[]> {
    let select = this.#db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('subscription_id', '=', subscriptionId);
    if (query.status !== undefined) select = select.where('status', '=', query.status);
    const rows = await select.orderBy('created', 'desc').orderBy('id').limit(query.limit).execute();
    return rows.map(toDelivery);
  }

  async redeliver(
    subscriptionId: string,
    which: { ids: readonly string[] } | { statuses: readonly WebhookDeliveryStatus[] },
    now: Date,
  ): Promise<number> {
    if ('ids' in which ? which.ids.length === 0 : which.statuses.length === 0) return 0;
    // Every statement on `trx`: on SQLite one made on the database itself would wait for this transaction's
    // connection, forever.
    return this.#db.transaction().execute(async (trx) => {
      let update = trx
        .updateTable('webhook_deliveries')
        .set({
          status: 'pending',
          retry_from: now.toISOString(),
          next_attempt: now.toISOString(),
          lease_owner: null,
          lease_until: null,
          completed: null,
        })
        .where('subscription_id', '=', subscriptionId);
      update =
        'ids' in which
          ? update.where('id', 'in', [...which.ids])
          : update.where('status', 'in', [...which.statuses]);
      const result = await update.executeTakeFirst();
      // Redelivering says the receiver is back: its pause ends now.
      await trx
        .updateTable('webhook_subscriptions')
        .set({ failures: 0, paused_until: null })
        .where('id', '=', subscriptionId)
        .execute();
      return Number(result.numUpdatedRows);
    });
  }

  async claimPing(
    subscriptionId: string,
    body: (deliveryId: string) => string,
    owner: string,
    now: Date,
  ): Promise<ClaimedDelivery | undefined> {
    const subscription = await this.#db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .where('id', '=', subscriptionId)
      .executeTakeFirst();
    if (!subscription) return undefined;
    const id = randomUUID();
    const at = now.toISOString();
    const row: WebhookDeliveriesTable = {
      ...newDelivery(
        id,
        subscriptionId,
        { type: 'ping', feed: subscription.feed, actor: { kind: 'system', name: 'ping' }, time: at },
        at,
      ),
      body: body(id),
      lease_owner: owner,
      // A ping is sent at once by the process that made it; no worker takes it meanwhile.
      lease_until: new Date(now.getTime() + 3_600_000).toISOString(),
    };
    await this.#db.insertInto('webhook_deliveries').values(row).execute();
    return {
      id,
      subscriptionId,
      event: 'ping',
      url: subscription.url,
      secret: subscription.secret,
      body: row.body,
      attempts: 0,
      retryFrom: at,
      subscriptionFailures: Number(subscription.failures),
    };
  }

  async nextDue(): Promise<Date | undefined> {
    // Per active subscription, one seek in (subscription_id, status, next_attempt): the cost does not grow with
    // the queue. Not before a subscription's pause ends: a failing receiver costs no look at the queue meanwhile.
    const rows = await this.#db
      .selectFrom('webhook_subscriptions as s')
      .select((eb) => [
        's.paused_until',
        eb
          .selectFrom('webhook_deliveries as d')
          .select((inner) => inner.fn.min('d.next_attempt').as('next'))
          .whereRef('d.subscription_id', '=', 's.id')
          .where('d.status', '=', 'pending')
          .as('next'),
      ])
      .where('s.active', '=', 1)
      .execute();
    let due: string | undefined;
    for (const row of rows) {
      const next = row.next as string | null;
      if (next === null) continue;
      const at = row.paused_until !== null && row.paused_until > next ? row.paused_until : next;
      if (due === undefined || at < due) due = at;
    }
    return due === undefined ? undefined : new Date(due);
  }

  async claim(owner: string, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]> {
    const at = now.toISOString();
    // Subscriptions that may be sent to now: active, and not paused (a receiver that has been failing).
    const ready = (
      await this.#db
        .selectFrom('webhook_subscriptions')
        .select('id')
        .where('active', '=', 1)
        .where((eb) => eb.or([eb('paused_until', 'is', null), eb('paused_until', '<=', at)]))
        .execute()
    ).map((row) => row.id);
    if (ready.length === 0) return [];
    const dueRows = (db: Kysely<Database>) =>
      db
        .selectFrom('webhook_deliveries as d')
        .select('d.id')
        .where('d.subscription_id', 'in', ready)
        .where('d.status', '=', 'pending')
        .where('d.next_attempt', '<=', at)
        .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<', at)]))
        .orderBy('d.next_attempt')
        .limit(limit);
    // A read first: nothing due opens no write transaction (on SQLite, one that pushes would wait for).
    if ((await dueRows(this.#db).execute()).length === 0) return [];
    return this.#db.transaction().execute(async (trx) => {
      let due = dueRows(trx);
      // Rows another node is claiming right now are skipped, not waited for (SQLite has one writer anyway:
      // every transaction there begins with BEGIN IMMEDIATE).
      if (this.#postgres) due = due.forUpdate('d').skipLocked();
      const ids = (await due.execute()).map((row) => row.id);
      if (ids.length === 0) return [];
      await trx
        .updateTable('webhook_deliveries')
        .set({ lease_owner: owner, lease_until: leaseUntil.toISOString() })
        .where('id', 'in', ids)
        .execute();
      const rows = await trx
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
        .select([
          'd.id',
          'd.subscription_id',
          'd.event',
          'd.body',
          'd.attempts',
          'd.retry_from',
          's.url',
          's.secret',
          's.failures',
        ])
        .where('d.id', 'in', ids)
        .execute();
      return rows.map((row) => ({
        id: row.id,
        subscriptionId: row.subscription_id,
        event: row.event,
        url: row.url,
        secret: row.secret,
        body: row.body,
        attempts: Number(row.attempts),
        retryFrom: row.retry_from,
        subscriptionFailures: Number(row.failures),
      }));
    });
  }

  async complete(
    owner: string,
    at: Date,
    attempts: readonly AttemptRecord[],
    health: readonly SubscriptionHealth[],
  ): Promise<void> {
    const when = at.toISOString();
    // One transaction per round, not per delivery: on SQLite each commit waits for the disk, and pushes wait for it.
    await this.#db.transaction().execute(async (trx) => {
      for (const { id, outcome } of attempts) {
        const set: Partial<WebhookDeliveriesTable> = { lease_owner: null, lease_until: null };
        if (outcome.kind === 'delivered') {
          Object.assign(set, { status: 'delivered', completed: when, last_error: null });
        } else if (outcome.kind === 'failed') {
          Object.assign(set, { status: 'failed', completed: when, last_error: outcome.error });
        } else if (outcome.kind === 'retry') {
          Object.assign(set, { next_attempt: outcome.nextAttempt.toISOString(), last_error: outcome.error });
        }
        let update = trx.updateTable('webhook_deliveries').set(set);
        if (outcome.kind !== 'released') {
          update = update
            .set({ last_attempt: when, response_code: outcome.responseCode ?? null })
            .set((eb) => ({ attempts: eb('attempts', '+', 1) }));
        }
        await update.where('id', '=', id).where('lease_owner', '=', owner).execute();
      }
      for (const subscription of health) {
        await trx
          .updateTable('webhook_subscriptions')
          .set({
            failures: subscription.failures,
            paused_until: subscription.pausedUntil?.toISOString() ?? null,
          })
          .where('id', '=', subscription.id)
          .execute();
      }
    });
  }

  async prune(before: Date): Promise<number> {
    const result = await this.#db
      .deleteFrom('webhook_deliveries')
      .where('status', '=', 'delivered')
      .where('completed', '<', before.toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async stats(now: Date): Promise<WebhookQueueStats> {
    const rows = await this.#db
      .selectFrom('webhook_deliveries')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('created').as('oldest')])
      .groupBy('status')
      .execute();
    const byStatus: Record<WebhookDeliveryStatus, number> = {
      pending: 0,
      delivered: 0,
      failed: 0,
      dropped: 0,
    };
    let oldest: string | undefined;
    for (const row of rows) {
      if (row.status in byStatus) byStatus[row.status as WebhookDeliveryStatus] = Number(row.n);
      if (row.status === 'pending') oldest = (row.oldest as string | null) ?? undefined;
    }
    return {
      pending: byStatus.pending,
      oldestPendingSeconds: oldest ? Math.max(0, (now.getTime() - Date.parse(oldest)) / 1000) : 0,
      byStatus,
    };
  }
}
