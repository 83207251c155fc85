// The feed of a request, once the hook of request-feed.ts has found it (docs/feeds.md).
import type { FastifyRequest } from 'fastify';
import type { OpenFeed } from '../packages/feed-directory.ts';
import type { ChangeStamps } from '../packages/ports.ts';
import { feedBaseUrl, type ResourceUrls, resourceUrls } from '../protocol/resource-urls.ts';
import { baseUrlOf } from './base-url.ts';
import type { HttpServices } from './http-services.ts';
import type { FrontPlacement } from './response-cache.ts';

export interface RequestFeed extends OpenFeed {
  /** The feed's name as the URL gave it; undefined for the default feed reached at /v3/. */
  readonly named: string | undefined;
  /** The feed's settings stamp when the request arrived (for the raw-HTTP fast path; public feeds). */
  readonly settingsStamp: number | undefined;
}

const feeds = new WeakMap<FastifyRequest, RequestFeed>();

export const setFeedOf = (request: FastifyRequest, feed: RequestFeed): void => {
  feeds.set(request, feed);
};

/** The feed of a request under a feed's routes; undefined elsewhere (the server-wide admin API). */
export const maybeFeedOf = (request: FastifyRequest): RequestFeed | undefined => feeds.get(request);

export function feedOf(request: FastifyRequest): RequestFeed {
  const found = feeds.get(request);
  // Every feed route is registered under registerFeedRoutes, whose hook sets it.
  if (!found) throw new Error(`no feed resolved for ${request.method} ${request.url}`);
  return found;
}

/** The URLs of the request's feed, as the client reached it. */
export function urlsOf(request: FastifyRequest, services: HttpServices): ResourceUrls {
  return resourceUrls(feedBaseUrl(baseUrlOf(request, services.options), feedOf(request).named));
}

/** Where a finished answer of this request may also go for the raw-HTTP fast path: public feeds only. */
export function frontOf(
  request: FastifyRequest,
  services: HttpServices,
  /** The stamps the answer is checked against, when not the feed's own (FeedStores.searchStamps). */
  stamps: ChangeStamps = feedOf(request).stores.stamps,
): FrontPlacement | undefined {
  const found = feedOf(request);
  const front = stamps.sync ?? stamps.async;
  const cache = services.caches.front;
  if (!cache || !front || found.feed.settings.private || found.settingsStamp === undefined) return undefined;
  return { cache, stamps: front, settings: found.settingsStamp };
}
