// The home of a feed: search with the API's syntax (search-query-service-resource.md; field:value filters as
// parse-search-query.ts reads them), a prerelease toggle and a package type filter; results with their marks;
// paging. An empty feed explains how to push.
import type { SearchResult } from '../../packages/search-packages.ts';
import type { PackageVersion } from '../../protocol/package-version.ts';
import type { ResourceUrls } from '../../protocol/resource-urls.ts';
import { type PackageVulnerability, vulnerabilitiesOf } from '../../protocol/vulnerability-info.ts';
import { badgesOf, upstreamOf } from '../badges.ts';
import { formatCount, namesOf, shorten } from '../format.ts';
import { type Html, html } from '../html.ts';
import { iconOf } from '../icon.ts';
import type { PageContext } from '../layout.ts';
import { pageUrls, type SearchParameters } from '../page-urls.ts';

/** The package types a person filters by; any other type can still be typed as packageType=... in the URL. */
export const knownPackageTypes = ['Dependency', 'DotnetTool', 'Template', 'MSBuildSdk', 'DotnetPlatform'];

/** What a result shows: its latest version, its downloads and marks (a hit may carry thousands of versions). */
export interface ResultSummary {
  readonly latest: PackageVersion;
  /** Of every version the search admits. */
  readonly downloads: number;
  readonly prereleaseOnly: boolean;
  readonly vulnerabilities: readonly PackageVulnerability[];
}

export const summarize = (result: SearchResult): ResultSummary[] => {
  const latest = result.versions.at(-1);
  if (!latest) return [];
  return [
    {
      latest,
      downloads: result.versions.reduce((sum, v) => sum + v.downloads, 0),
      prereleaseOnly: result.versions.every((v) => v.isPrerelease),
      vulnerabilities: vulnerabilitiesOf(result.advisories, latest),
    },
  ];
};

export interface HomeView {
  readonly feed: string;
  readonly urls: ResourceUrls;
  readonly search: Required<Pick<SearchParameters, 'q' | 'prerelease' | 'page'>> & { packageType?: string };
  readonly pageSize: number;
  readonly totalHits: number;
  readonly results: readonly ResultSummary[];
  /** The command that pushes to this feed, shown when it is empty. */
  readonly pushCommand: string;
}

function resultItem(view: HomeView, context: PageContext, result: ResultSummary): Html {
  const { latest, downloads } = result;
  const m = latest.metadata;
  const owners = namesOf(m.owners);
  const authors = namesOf(m.authors);
  const href = pageUrls.package(view.feed, latest.id);
  return html`<li class="result">
    <img
      class="icon"
      src="${iconOf(view.urls, context.assets, latest)}"
      alt=""
      width="48"
      height="48"
      loading="lazy"
    />
    <div>
      <h2>
        <a href="${href}">${latest.id}</a>
        <span class="version">${latest.fullVersion}</span>
        ${badgesOf({
          deprecated: latest.deprecation !== undefined,
          vulnerabilities: result.vulnerabilities,
          prereleaseOnly: result.prereleaseOnly,
          upstream: upstreamOf(latest),
        })}
      </h2>
      <p>${shorten(m.summary || m.description, 300)}</p>
      <ul class="meta">
        <li>${formatCount(downloads)} downloads</li>
        ${
          owners.length > 0
            ? html`<li>by ${owners.join(', ')}</li>`
            : authors.length > 0
              ? html`<li>by ${authors.join(', ')}</li>`
              : ''
        }
      </ul>
      ${
        m.tags.length > 0
          ? html`<ul class="tags" aria-label="Tags">
              ${m.tags.slice(0, 12).map(
                (tag) =>
                  html`<li>
                    <a
                      href="${pageUrls.search(view.feed, { q: `tags:${tag}`, prerelease: view.search.prerelease })}"
                      >${tag}</a
                    >
                  </li>`,
              )}
            </ul>`
          : ''
      }
    </div>
  </li>`;
}

function searchForm(view: HomeView): Html {
  const { q, prerelease, packageType } = view.search;
  return html`<form class="search-form" method="get" action="${pageUrls.feedHome(view.feed)}" role="search">
    <label class="visually-hidden" for="q">Search packages</label>
    <input
      id="q"
      type="search"
      name="q"
      value="${q}"
      placeholder="Search: words, id:Contoso, tags:json, owners:contoso"
    />
    <label
      ><input type="checkbox" name="prerelease" value="true" ${prerelease ? html`checked` : ''} /> Include
      prerelease</label
    >
    <label
      >Type
      <select name="packageType">
        <option value="">Any</option>
        ${knownPackageTypes.map(
          (type) =>
            html`<option value="${type}" ${type === packageType ? html`selected` : ''}>${type}</option>`,
        )}
      </select></label
    >
    <button type="submit">Search</button>
  </form>`;
}

function pager(view: HomeView): Html {
  const { page } = view.search;
  const pages = Math.max(1, Math.ceil(view.totalHits / view.pageSize));
  if (pages <= 1) return html``;
  const link = (to: number) => pageUrls.search(view.feed, { ...view.search, page: to });
  return html`<nav class="pager" aria-label="Pages">
    ${page > 1 ? html`<a rel="prev" href="${link(page - 1)}">← Previous</a>` : html`<span></span>`}
    <span>Page ${page} of ${pages}</span>
    ${page < pages ? html`<a rel="next" href="${link(page + 1)}">Next →</a>` : html`<span></span>`}
  </nav>`;
}

function emptyFeed(view: HomeView): Html {
  return html`<section class="empty">
    <h2>This feed has no packages yet</h2>
    <p>Push one with the .NET CLI and a key that may push to this feed:</p>
    <pre class="config"><code>${view.pushCommand}</code></pre>
    <p>
      <a href="${pageUrls.gettingStarted(view.feed)}">Getting started</a> shows the NuGet.Config for this feed
      and how to get a key.
    </p>
  </section>`;
}

export function homePage(context: PageContext, view: HomeView): { title: string; main: Html } {
  const { q } = view.search;
  const searched = q !== '' || view.search.packageType !== undefined;
  let body: Html;
  if (view.totalHits === 0 && !searched) body = emptyFeed(view);
  else if (view.results.length === 0) {
    body = html`<p class="empty">
      No package matches <strong>${q || view.search.packageType}</strong>${
        view.search.prerelease ? '' : ' among stable versions'
      }.
      Search by words, or by field: <code>id:</code>, <code>tags:</code>, <code>owners:</code>,
      <code>authors:</code>, <code>description:</code>.
    </p>`;
  } else {
    body = html`<p class="hint" aria-live="polite">
        ${formatCount(view.totalHits)} ${view.totalHits === 1 ? 'package' : 'packages'}
      </p>
      <ol class="results">
        ${view.results.map((result) => resultItem(view, context, result))}
      </ol>
      ${pager(view)}`;
  }
  return {
    title: q ? `${q} · ${view.feed}` : `Packages · ${view.feed}`,
    main: html`<h1>Packages <span class="visually-hidden">in ${view.feed}</span></h1>
      ${searchForm(view)} ${body}`,
  };
}
