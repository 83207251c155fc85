// Managing a feed's webhook subscriptions (docs/webhooks.md): `nugget webhook ...` and the admin API
// (/feeds/{name}/v3/admin/webhooks). Every change, ping and redelivery is audited on the feed.
import { randomBytes } from 'node:crypto';
import type { Requester } from '../auth/manage-api-keys.ts';
import type { AuditAction, AuditLog } from '../auth/ports.ts';
import { invalidInput, notFound } from '../errors.ts';
import { deliveryHeaders } from './deliver-webhooks.ts';
import type {
  Clock,
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookSender,
  WebhookStore,
  WebhookSubscription,
} from './ports.ts';
import type { WebhookDestinations } from './webhook-destinations.ts';
import {
  pingEvent,
  type WebhookActor,
  webhookBody,
  webhookEventTypes,
  webhookUrls,
} from './webhook-event.ts';
import { generateWebhookSecret } from './webhook-signature.ts';

export interface WebhookAdminDeps {
  readonly webhooks: WebhookStore;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly destinations: WebhookDestinations;
  readonly sender: WebhookSender;
  readonly userAgent: string;
  /** 404 naming the feed when there is none. */
  readonly requireFeed: (name: string) => Promise<unknown>;
  /** The public base URL, for the ping's service index URL (--public-url or the request's). */
  readonly baseUrl?: string | undefined;
}

export const deliveryStatuses: readonly WebhookDeliveryStatus[] = [
  'pending',
  'delivered',
  'failed',
  'dropped',
];

const maxDescription = 500;

/** 'package.pushed,package.deleted' or '*' (every event, also those added in later versions). */
export function parseEventFilter(input: string | readonly string[]): string[] {
  const items = (typeof input === 'string' ? input.split(',') : [...input]).map((item) =>
    String(item).trim(),
  );
  const events = [...new Set(items.filter((item) => item !== ''))];
  if (events.length === 0) {
    throw invalidInput(
      'webhook_events_missing',
      `Name the events to send: * or some of ${webhookEventTypes.join(', ')}.`,
    );
  }
  if (events.includes('*')) return ['*'];
  const unknown = events.filter((event) => !(webhookEventTypes as readonly string[]).includes(event));
  if (unknown.length > 0) {
    throw invalidInput(
      'webhook_event_unknown',
      `Unknown webhook event ${unknown.map((e) => `'${e.slice(0, 60)}'`).join(', ')}: use * or some of ${webhookEventTypes.join(', ')}.`,
    );
  }
  return events;
}

export function parseDeliveryStatus(text: string): WebhookDeliveryStatus {
  const status = deliveryStatuses.find((s) => s === text.trim());
  if (!status) {
    throw invalidInput(
      'webhook_status_unknown',
      `'${text.slice(0, 60)}' is not a delivery status: use ${deliveryStatuses.join(', ')}.`,
    );
  }
  return status;
}

function checkDescription(description: string | undefined): void {
  if (description !== undefined && description.length > maxDescription) {
    throw invalidInput(
      'webhook_description_too_long',
      `A webhook description has at most ${maxDescription} characters; this one has ${description.length}.`,
    );
  }
}

async function audit(
  deps: Pick<WebhookAdminDeps, 'audit' | 'clock'>,
  requester: Requester,
  subscription: WebhookSubscription,
  action: AuditAction,
  detail: Record<string, unknown>,
): Promise<void> {
  await deps.audit.append({
    feed: subscription.feed,
    at: deps.clock.now().toISOString(),
    actor: requester.actor,
    keyId: requester.keyId,
    action,
    source: requester.source,
    outcome: 'success',
    // The URL may carry a receiver's token in its query: the audit log redacts known secret fields and patterns.
    detail: { webhook: subscription.id, url: subscription.url, ...detail },
  });
}

/** The subscription, on `feed` when one is given (a feed's admin API sees only its own); 404 otherwise. */
export async function findWebhook(
  deps: Pick<WebhookAdminDeps, 'webhooks'>,
  id: string,
  feed?: string,
): Promise<WebhookSubscription> {
  const subscription = await deps.webhooks.findSubscription(id.trim());
  if (!subscription || (feed !== undefined && subscription.feed !== feed)) {
    throw notFound(
      'webhook_not_found',
      `There is no webhook '${id.slice(0, 80)}'${feed === undefined ? '' : ` on feed '${feed}'`} (nugget webhook list shows them).`,
    );
  }
  return subscription;
}

/** Adds a subscription; the secret is in the answer, and never again. */
export async function addWebhook(
  deps: WebhookAdminDeps,
  requester: Requester,
  input: {
    feed: string;
    url: string;
    events: string | readonly string[];
    description?: string;
    active?: boolean;
  },
): Promise<{ subscription: WebhookSubscription; secret: string }> {
  await deps.requireFeed(input.feed);
  const url = deps.destinations.checkUrl(input.url);
  const events = parseEventFilter(input.events);
  checkDescription(input.description);
  const subscription: WebhookSubscription = {
    id: `wh_${randomBytes(9).toString('base64url')}`,
    feed: input.feed,
    url,
    events,
    active: input.active ?? true,
    description: input.description ?? '',
    created: deps.clock.now().toISOString(),
    createdBy: requester.actor,
    failures: 0,
  };
  const secret = generateWebhookSecret();
  await deps.webhooks.addSubscription({ ...subscription, secret });
  await audit(deps, requester, subscription, 'create-webhook', { events, active: subscription.active });
  return { subscription, secret };
}

export async function updateWebhook(
  deps: WebhookAdminDeps,
  requester: Requester,
  id: string,
  change: { url?: string; events?: string | readonly string[]; description?: string; active?: boolean },
  feed?: string,
): Promise<WebhookSubscription> {
  const before = await findWebhook(deps, id, feed);
  const url = change.url === undefined ? undefined : deps.destinations.checkUrl(change.url);
  const events = change.events === undefined ? undefined : parseEventFilter(change.events);
  checkDescription(change.description);
  const after = await deps.webhooks.updateSubscription(before.id, {
    ...(url === undefined ? {} : { url }),
    ...(events === undefined ? {} : { events }),
    ...(change.active === undefined ? {} : { active: change.active }),
    ...(change.description === undefined ? {} : { description: change.description }),
  });
  if (!after) return findWebhook(deps, id, feed);
  await audit(deps, requester, after, 'update-webhook', {
    before: { url: before.url, events: before.events, active: before.active },
  });
  return after;
}

export async function removeWebhook(
  deps: WebhookAdminDeps,
  requester: Requester,
  id: string,
  feed?: string,
): Promise<WebhookSubscription> {
  const subscription = await findWebhook(deps, id, feed);
  const removed = await deps.webhooks.removeSubscription(subscription.id);
  if (!removed) return findWebhook(deps, id, feed);
  await audit(deps, requester, removed, 'delete-webhook', {});
  return removed;
}

const actorOfRequester = (requester: Requester): WebhookActor =>
  requester.actor === 'cli' || requester.actor === 'bootstrap'
    ? { kind: requester.actor, name: requester.actor }
    : { kind: 'key', name: requester.actor, keyId: requester.keyId };

export interface PingResult {
  readonly deliveryId: string;
  readonly delivered: boolean;
  readonly responseCode?: number | undefined;
  readonly error?: string | undefined;
}

/**
 * Sends a `ping` to the subscription now, from this process (whether or not a server runs), through the same
 * signing, sending and destination rules as every delivery; the attempt is in the delivery log. A ping is not
 * retried: its answer is the test.
 */
export async function pingWebhook(
  deps: WebhookAdminDeps,
  requester: Requester,
  id: string,
  feed?: string,
): Promise<PingResult> {
  const subscription = await findWebhook(deps, id, feed);
  const owner = `ping-${subscription.id}`;
  const now = deps.clock.now();
  const claimed = await deps.webhooks.claimPing(
    subscription.id,
    (deliveryId) =>
      webhookBody(deliveryId, {
        type: pingEvent,
        feed: subscription.feed,
        actor: actorOfRequester(requester),
        time: now.toISOString(),
        urls: deps.baseUrl === undefined ? undefined : webhookUrls(deps.baseUrl, subscription.feed),
        detail: { webhook: subscription.id },
      }),
    owner,
    now,
  );
  if (!claimed) return findWebhook(deps, id, feed).then(() => ({ deliveryId: '', delivered: false }));
  const result = await deps.sender.send({
    url: claimed.url,
    headers: deliveryHeaders(claimed, deps.clock.now(), deps.userAgent),
    body: claimed.body,
  });
  const at = deps.clock.now();
  await deps.webhooks.complete(
    owner,
    at,
    [
      {
        id: claimed.id,
        outcome: result.ok
          ? { kind: 'delivered', responseCode: result.status }
          : { kind: 'failed', error: result.error, responseCode: result.status },
      },
    ],
    // A receiver that answers a ping is back: what waited for it is sent at once.
    result.ok ? [{ id: subscription.id, failures: 0 }] : [],
  );
  await audit(deps, requester, subscription, 'ping-webhook', {
    delivery: claimed.id,
    delivered: result.ok,
  });
  return result.ok
    ? { deliveryId: claimed.id, delivered: true, responseCode: result.status }
    : { deliveryId: claimed.id, delivered: false, responseCode: result.status, error: result.error };
}

export async function listWebhookDeliveries(
  deps: Pick<WebhookAdminDeps, 'webhooks'>,
  id: string,
  query: { status?: string | undefined; limit?: number | undefined },
  feed?: string,
): Promise<WebhookDelivery[]> {
  const subscription = await findWebhook(deps, id, feed);
  const limit = query.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw invalidInput(
      'limit_invalid',
      `limit must be a whole number from 1 to 10000, not '${query.limit}'.`,
    );
  }
  return deps.webhooks.listDeliveries(subscription.id, {
    status: query.status === undefined ? undefined : parseDeliveryStatus(query.status),
    limit,
  });
}

/** Sends deliveries again: the ones named, or every one in the given statuses (default failed and dropped). */
export async function redeliverWebhook(
  deps: WebhookAdminDeps,
  requester: Requester,
  id: string,
  which: { ids?: readonly string[] | undefined; statuses?: readonly string[] | undefined },
  feed?: string,
): Promise<number> {
  const subscription = await findWebhook(deps, id, feed);
  const selection =
    which.ids !== undefined && which.ids.length > 0
      ? { ids: which.ids.map((d) => d.trim()) }
      : { statuses: (which.statuses ?? ['failed', 'dropped']).map(parseDeliveryStatus) };
  const count = await deps.webhooks.redeliver(subscription.id, selection, deps.clock.now());
  await audit(deps, requester, subscription, 'redeliver-webhook', { ...selection, count });
  return count;
}
