// The events a feed reports to its webhook subscriptions, and the JSON body each delivery carries. The body is
// documented field by field in docs/webhooks.md ("Payload"); change both together. Every URL in it is built by
// protocol/resource-urls.ts (architecture rule 7), from the base URL the change was made through.
import { feedBaseUrl, resourceUrls } from '../protocol/resource-urls.ts';
import { defaultFeedName } from './feed.ts';

export const webhookEventTypes = [
  'package.pushed',
  'package.unlisted',
  'package.relisted',
  'package.deleted',
  'package.deprecated',
  'package.undeprecated',
  'package.promoted',
  'package.ingested',
  'package.removed-by-retention',
  'symbols.pushed',
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

/** The event a test ping sends: to its one subscription, whatever the subscription's filter. */
export const pingEvent = 'ping';

export const isWebhookEventType = (text: string): text is WebhookEventType =>
  (webhookEventTypes as readonly string[]).includes(text);

/**
 * Who made the change, never with a secret: a managed key (its name and public key id), a key issued by a trust
 * policy (with the policy's id), the bootstrap key, the command line, or nugget itself (retention, an upstream).
 */
export interface WebhookActor {
  readonly kind: 'key' | 'trust-policy' | 'bootstrap' | 'cli' | 'system';
  readonly name: string;
  readonly keyId?: string | undefined;
  readonly trustPolicy?: string | undefined;
}

/** What a use case knows of the change it makes: who asks, and the base URL the feed is reached at. */
export interface EventOrigin {
  readonly actor: WebhookActor;
  /**
   * The public base URL (--public-url, or the scheme and host of the request); undefined when there is none (a
   * command line without --public-url): the payload then has no URLs.
   */
  readonly baseUrl?: string | undefined;
}

/** What a store is asked to record, inside the transaction of the change: the type, the origin, and extras. */
export interface PackageEventInput extends EventOrigin {
  readonly type: WebhookEventType;
  /** Fields of this event type only (`promotedFrom` of package.promoted, `upstream` of package.ingested). */
  readonly detail?: Readonly<Record<string, string>> | undefined;
}

/** An event as the outbox records it: one per change, copied to each subscription that asked for its type. */
export interface WebhookEvent {
  readonly type: WebhookEventType | typeof pingEvent;
  readonly feed: string;
  /** The package id as pushed, and its normalized version; absent for a ping. */
  readonly id?: string | undefined;
  readonly version?: string | undefined;
  readonly actor: WebhookActor;
  /** ISO 8601, the time of the change. */
  readonly time: string;
  readonly urls?: WebhookPackageUrls | undefined;
  readonly detail?: Readonly<Record<string, string>> | undefined;
}

export interface WebhookPackageUrls {
  readonly serviceIndex: string;
  readonly registrationLeaf?: string | undefined;
  readonly packageContent?: string | undefined;
}

/**
 * The URLs of a package on a feed: the default feed's as clients of `/v3/index.json` know them, any other
 * feed's under `/feeds/{name}/`. Without a package, only the service index.
 */
export function webhookUrls(
  baseUrl: string,
  feed: string,
  pkg?: { lowerId: string; lowerVersion: string },
): WebhookPackageUrls {
  const urls = resourceUrls(feedBaseUrl(baseUrl, feed === defaultFeedName ? undefined : feed));
  if (!pkg) return { serviceIndex: urls.serviceIndex };
  return {
    serviceIndex: urls.serviceIndex,
    // The SemVer 2.0.0 hive holds every version (registration-base-url-resource.md, "Versioning").
    registrationLeaf: urls.registrationLeaf('semver2-gz', pkg.lowerId, pkg.lowerVersion),
    packageContent: urls.nupkg(pkg.lowerId, pkg.lowerVersion),
  };
}

/** The event a change of one version makes. */
export function describePackageEvent(
  feed: string,
  input: PackageEventInput,
  pkg: { id: string; version: string; lowerId: string; lowerVersion: string },
  at: Date,
): WebhookEvent {
  return {
    type: input.type,
    feed,
    id: pkg.id,
    version: pkg.version,
    actor: input.actor,
    time: at.toISOString(),
    urls: input.baseUrl === undefined ? undefined : webhookUrls(input.baseUrl, feed, pkg),
    detail: input.detail,
  };
}

/** The exact JSON body of one delivery of an event (docs/webhooks.md, "Payload"). */
export function webhookBody(deliveryId: string, event: WebhookEvent): string {
  const actor: Record<string, string> = { kind: event.actor.kind, name: event.actor.name };
  if (event.actor.keyId !== undefined) actor['keyId'] = event.actor.keyId;
  if (event.actor.trustPolicy !== undefined) actor['trustPolicy'] = event.actor.trustPolicy;
  return JSON.stringify({
    deliveryId,
    event: event.type,
    feed: event.feed,
    ...(event.id === undefined ? {} : { id: event.id, version: event.version }),
    actor,
    time: event.time,
    urls: event.urls ?? null,
    ...event.detail,
  });
}

/** Whether a subscription's filter (event types, or '*' for all) takes an event type. */
export const filterTakes = (filter: readonly string[], type: string): boolean =>
  type === pingEvent || filter.includes('*') || filter.includes(type);
