// The web UI (docs/web-ui.md): server-rendered pages of each feed beside its API, built from the same use cases
// and stores the API reads, under the same authorization (auth/authorize.ts through reader.ts). No page runs SQL
// of its own.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authorize } from '../auth/authorize.ts';
import { forbidden, invalidInput, notFound, unauthenticated } from '../errors.ts';
import { baseUrlOf } from '../http/base-url.ts';
import type { HttpServices } from '../http/http-services.ts';
import { type Query, searchLimits, searchQuery } from '../http/routes/search.ts';
import { defaultFeedName } from '../packages/feed.ts';
import { noSuchFeed, type OpenFeed } from '../packages/feed-directory.ts';
import { blobKeys } from '../packages/publish-package.ts';
import { searchPackages } from '../packages/search-packages.ts';
import { StampedCache } from '../http/response-cache.ts';
import { sortByVersion } from '../packages/version-order.ts';
import type { PackageVersion } from '../protocol/package-version.ts';
import { ByteLru } from '../http/byte-lru.ts';
import { toLowerId } from '../nuget/packaging/index.ts';
import { tryParseVersion, toNormalizedString } from '../nuget/versioning/index.ts';
import { feedBaseUrl, resourceUrls } from '../protocol/resource-urls.ts';
import { chartDays, dailyTotals, downloadsChart, lastDays } from './downloads-chart.ts';
import { type Html, html } from './html.ts';
import { layout, type NavItem, type PageContext } from './layout.ts';
import { pageUrls } from './page-urls.ts';
import { gettingStartedPage } from './pages/getting-started.ts';
import { homePage, type ResultSummary, summarize } from './pages/home.ts';
import { defaultVersion, packagePage, versionsTable } from './pages/package.ts';
import { readmeBaseOf, renderReadme } from './readme.ts';
import { maySeeUnlisted } from './reader.ts';
import { apiKeyPrincipalSource, mayRead, type PrincipalSource, type Reader, readerOf } from './reader.ts';
import { loadStaticAssets, type StaticAssets, staticPathPrefix } from './static-assets.ts';
import { installWebErrorPages } from './web-errors.ts';

export interface WebOptions {
  /**
   * Where a page learns who reads it, asked in order before the request's API key (reader.ts): sign-in adds its
   * session here.
   */
  readonly principalSources?: readonly PrincipalSource[] | undefined;
  /** More navigation for a reader (the admin pages add theirs). */
  readonly nav?: ((reader: Reader) => readonly NavItem[]) | undefined;
}

/** What a page handler gets: the request's reader, the feed it may read, and the context of its layout. */
export interface FeedPage {
  readonly open: OpenFeed;
  readonly reader: Reader;
  readonly context: PageContext;
  /** The feed's API URLs as the browser reaches them (same origin, paths only). */
  readonly urls: ReturnType<typeof resourceUrls>;
}

const pageSize = 20;

export function sendPage(reply: FastifyReply, context: PageContext, page: { title: string; main: Html }) {
  return (
    reply
      .type('text/html; charset=utf-8')
      // A page shows what its reader may see: never kept by a shared cache, checked again on every visit.
      .header('cache-control', 'private, no-cache')
      .header('vary', 'Authorization, Cookie, X-NuGet-ApiKey')
      .send(layout(context, page).markup)
  );
}

export async function webRoutes(
  app: FastifyInstance,
  services: HttpServices,
  options: WebOptions = {},
): Promise<void> {
  const assets: StaticAssets = await loadStaticAssets();
  const sources = [...(options.principalSources ?? []), apiKeyPrincipalSource(services)];

  /** The feed's service index as clients configure it: absolute, from the public base URL (base-url.ts). */
  const serviceIndexOf = (request: FastifyRequest, feed: string): string =>
    resourceUrls(feedBaseUrl(baseUrlOf(request, services.options), feed)).serviceIndex;

  async function readableFeeds(reader: Reader): Promise<string[]> {
    return (await services.feeds.list()).filter((feed) => mayRead(reader, feed)).map((feed) => feed.name);
  }

  /** The feed named in the URL, when the reader may read it: otherwise 401 (anonymous), 403 or 404. */
  async function feedPage(request: FastifyRequest, reply: FastifyReply, name: string): Promise<FeedPage> {
    const reader = await readerOf(request, reply, sources);
    const open = await services.feeds.find(name);
    if (!open) {
      // On a server whose feeds are private by default, an anonymous reader learns nothing, not which feeds exist.
      if (services.feeds.defaults.private && !reader.principal) throw signInFirst();
      throw noSuchFeed(name);
    }
    if (!mayRead(reader, open.feed)) {
      if (!reader.principal) throw signInFirst();
      const decision = authorize(reader.principal, 'read', undefined, open.feed.name);
      throw forbidden(
        decision.allowed ? 'forbidden' : decision.code,
        decision.allowed ? '' : decision.reason,
      );
    }
    const context: PageContext = {
      assets,
      reader,
      feeds: await readableFeeds(reader),
      feed: open.feed.name,
      path: request.url,
      nav: options.nav?.(reader),
    };
    return { open, reader, context, urls: resourceUrls(feedBaseUrl('', open.feed.name)) };
  }

  // What pages read, kept per feed and valid at the feed's (or the id's) change stamp, as the API's documents are
  // (response-cache.ts); download counts, which stamps do not track, may be up to a minute old, as in search.
  const searches = new StampedCache<{ totalHits: number; results: ResultSummary[] }>(16 * 1024 * 1024);
  const versionLists = new StampedCache<PackageVersion[]>(64 * 1024 * 1024);
  const freshFor = 60_000;

  /** Every version of an id, highest first. */
  const versionsOf = (open: OpenFeed, lowerId: string) =>
    versionLists.getOrBuild(
      `${open.feed.name} ${lowerId}`,
      { feed: open.feed.name, stamps: open.stores.stamps, lowerId, maxAgeMs: freshFor },
      async () => {
        const value = sortByVersion(await open.stores.packages.findVersions(lowerId)).reverse();
        return { value, bytes: 1024 + value.length * 1024 };
      },
    );

  // The rendered table of an id's versions, by the cached list it was made from (a new list, after a change or
  // past freshFor, makes a new table) and by whether it shows unlisted versions.
  const tables = new WeakMap<readonly PackageVersion[], Map<string, Html>>();

  // Rendered readmes by blob key: a key names one push's bytes forever, so an entry never goes stale.
  const readmes = new ByteLru<Html>(16 * 1024 * 1024);

  async function readmeOf(version: PackageVersion): Promise<Html | undefined> {
    if (!version.embeddedFiles.includes('readme')) return undefined;
    const key = blobKeys.embedded(version, 'readme');
    const cached = readmes.get(key);
    if (cached) return cached;
    const blob = await services.blobs.open(key);
    if (!blob) return undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of blob.stream) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size > maxReadmeBytes) {
        blob.stream.destroy();
        break;
      }
    }
    const source = Buffer.concat(chunks).subarray(0, maxReadmeBytes).toString('utf8');
    const rendered = renderReadme(source, readmeBaseOf(version.metadata));
    readmes.set(key, rendered, rendered.markup.length * 2);
    return rendered;
  }

  async function packageRoute(
    request: FastifyRequest,
    reply: FastifyReply,
    params: { feed: string; id: string; version?: string | undefined },
  ) {
    const page = await feedPage(request, reply, params.feed);
    const { stores, feed } = page.open;
    const lowerId = toLowerId(params.id);
    const all = await versionsOf(page.open, lowerId);
    const visible = maySeeUnlisted(page.reader, feed, lowerId) ? all : all.filter((v) => v.listed);
    let shown: PackageVersion | undefined;
    if (params.version === undefined) shown = defaultVersion(visible);
    else {
      const parsed = tryParseVersion(params.version);
      const lowerVersion = parsed ? toNormalizedString(parsed).toLowerCase() : undefined;
      shown = visible.find((v) => v.lowerVersion === lowerVersion);
      // An unlisted version is still restorable by its exact name: its page says so, to anyone who names it.
      shown ??= all.find((v) => v.lowerVersion === lowerVersion);
      if (!shown) throw noSuchVersion(params.id, params.version);
    }
    if (!shown) throw noSuchPackage(params.id);
    const days = lastDays(services.clock.now(), chartDays);
    const [advisories, symbols, readme, daily] = await Promise.all([
      stores.advisories.findAdvisories([lowerId]),
      stores.symbols.findPackage(lowerId, shown.lowerVersion),
      readmeOf(shown),
      stores.packages.downloadsPerDay(lowerId, days[0] ?? ''),
    ]);
    const shownVersion = shown.lowerVersion;
    // Only the versions this reader may see count: an unlisted version's downloads are not shown to others.
    const visibleVersions = new Set(visible.map((v) => v.lowerVersion));
    const downloads =
      daily.length === 0
        ? undefined
        : html`${downloadsChart(
            'All versions',
            days,
            dailyTotals(daily, days, (r) => visibleVersions.has(r.lowerVersion)),
          )}
          ${downloadsChart(
            `Version ${shown.fullVersion}`,
            days,
            dailyTotals(daily, days, (r) => r.lowerVersion === shownVersion),
          )}`;
    const serviceIndex = serviceIndexOf(request, feed.name);
    const versions = visible.some((v) => v.lowerVersion === shown.lowerVersion)
      ? visible
      : [shown, ...visible];
    let table: Html;
    if (versions === visible) {
      const byVisibility = tables.get(all) ?? new Map<string, Html>();
      tables.set(all, byVisibility);
      const visibility = visible === all ? 'all' : 'listed';
      table = byVisibility.get(visibility) ?? versionsTable(feed.name, versions, advisories);
      byVisibility.set(visibility, table);
    } else table = versionsTable(feed.name, versions, advisories);
    return sendPage(
      reply,
      page.context,
      packagePage(page.context, {
        feed: feed.name,
        urls: page.urls,
        serviceIndex,
        shown,
        versionPage: params.version !== undefined,
        versions,
        versionsTable: table,
        advisories,
        readme,
        hasSymbols: symbols !== undefined,
        downloads,
      }),
    );
  }

  await app.register(async (scope) => {
    installWebErrorPages(scope, () => ({ assets, reader: { principal: undefined }, feeds: [] }));

    scope.get<{ Params: { '*': string } }>(`${staticPathPrefix}*`, async (request, reply) => {
      const asset = assets.find(request.url.split('?')[0] ?? '');
      if (!asset) throw noStaticAsset();
      reply
        .type(asset.contentType)
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('etag', asset.etag);
      if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.send(asset.body);
    });

    scope.get('/', async (_request, reply) => reply.redirect(pageUrls.feedHome(defaultFeedName)));

    scope.get<{ Params: { feed: string } }>('/feeds/:feed/getting-started', async (request, reply) => {
      const page = await feedPage(request, reply, request.params.feed);
      const { feed } = page.open;
      const serviceIndex = serviceIndexOf(request, feed.name);
      return sendPage(
        reply,
        page.context,
        gettingStartedPage({ feed: feed.name, serviceIndex, private: feed.settings.private }),
      );
    });

    scope.get<{ Params: { feed: string; id: string } }>('/feeds/:feed/packages/:id', (request, reply) =>
      packageRoute(request, reply, request.params),
    );
    scope.get<{ Params: { feed: string; id: string; version: string } }>(
      '/feeds/:feed/packages/:id/:version',
      (request, reply) => packageRoute(request, reply, request.params),
    );

    scope.get<{ Params: { feed: string }; Querystring: Query }>('/feeds/:feed', async (request, reply) => {
      const page = await feedPage(request, reply, request.params.feed);
      const parameters = request.query;
      const searched = 'q' in parameters;
      const query = searchQuery({
        q: parameters.q,
        // The home page lists prereleases too; a submitted search follows its checkbox.
        prerelease: searched ? (parameters.prerelease ?? 'false') : 'true',
        semVerLevel: '2.0.0',
        packageType: parameters.packageType,
      });
      const pageNumber = pageNumberOf(parameters.page);
      const search = { ...query, skip: (pageNumber - 1) * pageSize, take: pageSize };
      const { feed, stores } = page.open;
      const { totalHits, results } = await searches.getOrBuild(
        `${feed.name} ${JSON.stringify(search)}`,
        { feed: feed.name, stamps: stores.searchStamps ?? stores.stamps, maxAgeMs: freshFor },
        async () => {
          const found = await searchPackages(stores, search);
          const value = { totalHits: found.totalHits, results: found.results.flatMap(summarize) };
          return { value, bytes: 1024 + value.results.length * 4096 };
        },
      );
      const serviceIndex = serviceIndexOf(request, page.open.feed.name);
      return sendPage(
        reply,
        page.context,
        homePage(page.context, {
          feed: page.open.feed.name,
          urls: page.urls,
          search: {
            q: query.q,
            prerelease: query.prerelease,
            page: pageNumber,
            ...(query.packageType ? { packageType: query.packageType } : {}),
          },
          pageSize,
          totalHits,
          results,
          pushCommand: `dotnet nuget push MyPackage.1.0.0.nupkg --source ${serviceIndex} --api-key <your key>`,
        }),
      );
    });
  });
}

/** A readme larger than this is shown cut (nuget.org refuses readmes over 1 MB). */
const maxReadmeBytes = 1024 * 1024;

const noSuchPackage = (id: string) =>
  notFound('package_not_found', `There is no package '${id.slice(0, 100)}' in this feed.`);
const noSuchVersion = (id: string, version: string) =>
  notFound(
    'version_not_found',
    `There is no version '${version.slice(0, 60)}' of '${id.slice(0, 100)}' in this feed.`,
  );

const signInFirst = () =>
  unauthenticated('sign_in_required', 'This feed is private: sign in with an account that may read it.');

const noStaticAsset = () =>
  notFound(
    'no_such_asset',
    'There is no such file: reload the page to get the current stylesheet and script.',
  );

/** ?page=N, 1 up to the last page search may reach (searchLimits.maxSkip). */
function pageNumberOf(value: string | string[] | undefined): number {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text === '') return 1;
  const last = Math.floor(searchLimits.maxSkip / pageSize) + 1;
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1 || Number(text) > last) {
    throw invalidInput(
      'invalid_page',
      `'page' must be a page number from 1 to ${last}, not '${text.slice(0, 20)}'.`,
    );
  }
  return Number(text);
}
