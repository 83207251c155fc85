// @type RegistrationsBaseUrl (+ /3.0.0-beta, /3.0.0-rc), /3.4.0 and /3.6.0: the three registration hives.
// Spec: ../shared/spec/nuget-api/registration-base-url-resource.md
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../errors.ts';
import { tryParseVersion, toNormalizedString } from '../../nuget/versioning/index.ts';
import { sortByVersion } from '../../packages/version-order.ts';
import {
  buildPagedRegistrationIndex,
  buildRegistrationIndex,
  buildRegistrationLeaf,
  buildRegistrationPage,
  findRegistrationPage,
  inlineVersionLimit,
  isInHive,
} from '../../protocol/registration.ts';
import {
  type RegistrationHive,
  type ResourceUrls,
  registrationHiveFromPath,
} from '../../protocol/resource-urls.ts';
import type { FeedStores } from '../../packages/ports.ts';
import { baseUrlOf } from '../base-url.ts';
import { feedOf, frontOf, urlsOf } from '../feed-of-request.ts';
import type { HttpServices } from '../http-services.ts';
import { sendCachedJson } from '../response-cache.ts';

const noRegistration = (id: string) =>
  notFound('package_not_found', `There is no package '${id}' in this registration hive.`);

export function registrationRoutes(app: FastifyInstance, services: HttpServices): void {
  function hiveOf(path: string, id: string): RegistrationHive {
    const hive = registrationHiveFromPath(path);
    if (!hive) throw noRegistration(id);
    return hive;
  }

  async function hiveVersions(stores: FeedStores, hive: RegistrationHive, id: string) {
    const versions = await stores.packages.findVersions(id.toLowerCase());
    return sortByVersion(versions.filter((v) => isInHive(hive, v)));
  }

  /**
   * The id's versions in the hive, lowest first, without metadata. An id with thousands of versions (a nightly
   * build's) is paged: its index needs only these, and a page the rows of its own 64 versions, not all of them.
   */
  async function hiveKeys(stores: FeedStores, hive: RegistrationHive, lowerId: string) {
    const keys = await stores.packages.findVersionKeys(lowerId);
    return sortByVersion(keys.filter((v) => isInHive(hive, v)));
  }

  /** Registration documents are per id: cached per id, hive and base URL, valid while the id's stamp stands. */
  async function respond(
    request: FastifyRequest,
    reply: FastifyReply,
    hive: RegistrationHive,
    lowerId: string,
    build: (urls: ResourceUrls, stores: FeedStores) => Promise<unknown>,
  ) {
    const { feed, stores } = feedOf(request);
    const base = baseUrlOf(request, services.options);
    return sendCachedJson(request, reply, services.caches.responses, {
      key: `registration ${base} ${request.url.split('?')[0]?.toLowerCase()}`,
      freshness: { feed: feed.name, stamps: stores.stamps, lowerId },
      front: frontOf(request, services),
      build: () => build(urlsOf(request, services), stores),
      identity: hive === 'semver1',
      cacheControl: 'no-cache',
    });
  }

  app.get<{ Params: { hive: string; id: string } }>('/v3/:hive/:id/index.json', async (request, reply) => {
    const hive = hiveOf(request.params.hive, request.params.id);
    const lowerId = request.params.id.toLowerCase();
    return respond(request, reply, hive, lowerId, async (urls, stores) => {
      const keys = await hiveKeys(stores, hive, lowerId);
      const document =
        keys.length >= inlineVersionLimit
          ? buildPagedRegistrationIndex(urls, hive, lowerId, keys)
          : buildRegistrationIndex(
              urls,
              hive,
              lowerId,
              await hiveVersions(stores, hive, lowerId),
              await stores.advisories.findAdvisories([lowerId]),
            );
      if (!document) throw noRegistration(lowerId);
      return document;
    });
  });

  app.get<{ Params: { hive: string; id: string; lower: string; upper: string } }>(
    '/v3/:hive/:id/page/:lower/:upper',
    async (request, reply) => {
      const { id, lower } = request.params;
      const hive = hiveOf(request.params.hive, id);
      const upper = request.params.upper.replace(/\.json$/i, '');
      const lowerId = id.toLowerCase();
      return respond(request, reply, hive, lowerId, async (urls, stores) => {
        const inPage = findRegistrationPage(await hiveKeys(stores, hive, lowerId), lower, upper);
        if (!inPage)
          throw notFound(
            'page_not_found',
            `Package '${lowerId}' has no registration page ${lower}..${upper}.`,
          );
        // The page's own rows: read after its keys, so a version removed in between is left out, not an error.
        const versions = await stores.packages.findVersionsIn(
          lowerId,
          inPage.map((v) => v.lowerVersion),
        );
        return buildRegistrationPage(
          urls,
          hive,
          lowerId,
          sortByVersion(versions.filter((v) => isInHive(hive, v))),
          await stores.advisories.findAdvisories([lowerId]),
        );
      });
    },
  );

  app.get<{ Params: { hive: string; id: string; leaf: string } }>(
    '/v3/:hive/:id/:leaf',
    async (request, reply) => {
      const { id, leaf } = request.params;
      const hive = hiveOf(request.params.hive, id);
      const lowerId = id.toLowerCase();
      return respond(request, reply, hive, lowerId, async (urls, stores) => {
        const parsed = leaf.toLowerCase().endsWith('.json') ? tryParseVersion(leaf.slice(0, -5)) : undefined;
        const lowerVersion = parsed && toNormalizedString(parsed).toLowerCase();
        const version = lowerVersion && (await stores.packages.findVersion(lowerId, lowerVersion));
        if (!version || !isInHive(hive, version)) {
          throw notFound(
            'package_not_found',
            `There is no registration leaf '${leaf}' for package '${lowerId}'.`,
          );
        }
        return buildRegistrationLeaf(urls, hive, version);
      });
    },
  );
}
