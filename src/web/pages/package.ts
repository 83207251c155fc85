// A package's page: the version shown (the one asked for, else the latest listed stable, else the latest listed),
// its readme, install snippets, deprecation and vulnerability banners that say what to move to, every version the
// reader may see, dependencies per target framework, license, links, release notes, owners, symbols and
// downloads over time. Facts come from the same records the registration documents are built from
// (registration-base-url-resource.md).
import type { PackageVersion } from '../../protocol/package-version.ts';
import { licenseUrl } from '../../protocol/registration.ts';
import { metadataUrl } from '../../protocol/metadata-url.ts';
import type { ResourceUrls } from '../../protocol/resource-urls.ts';
import {
  type PackageVulnerability,
  severityNames,
  type VulnerabilityAdvisory,
  vulnerabilitiesOf,
} from '../../protocol/vulnerability-info.ts';
import { badgesOf, upstreamOf } from '../badges.ts';
import { formatCount, namesOf, timeElement } from '../format.ts';
import { type Html, html } from '../html.ts';
import { iconOf } from '../icon.ts';
import { installSnippets } from '../install-snippets.ts';
import type { PageContext } from '../layout.ts';
import { pageUrls } from '../page-urls.ts';

export interface PackageView {
  readonly feed: string;
  /** The feed's API URLs as the browser reaches them (paths). */
  readonly urls: ResourceUrls;
  /** The feed's service index as clients configure it (absolute). */
  readonly serviceIndex: string;
  readonly shown: PackageVersion;
  /** Whether the URL named the version (a version page) or the package (its default version). */
  readonly versionPage: boolean;
  /** Every version the reader may see, highest first. */
  readonly versions: readonly PackageVersion[];
  readonly advisories: readonly VulnerabilityAdvisory[];
  readonly readme?: Html | undefined;
  readonly hasSymbols: boolean;
  /** versionsTable() of `versions`. */
  readonly versionsTable: Html;
  /** The downloads chart(s), when there are counts to draw. */
  readonly downloads?: Html | undefined;
}

/** The version a package page shows: the latest listed stable, else the latest listed, else the latest. */
export function defaultVersion(versionsHighestFirst: readonly PackageVersion[]): PackageVersion | undefined {
  return (
    versionsHighestFirst.find((v) => v.listed && !v.isPrerelease) ??
    versionsHighestFirst.find((v) => v.listed) ??
    versionsHighestFirst[0]
  );
}

function deprecationBanner(view: PackageView): Html {
  const d = view.shown.deprecation;
  if (!d) return html``;
  const reasons = d.reasons.map((r) =>
    r === 'CriticalBugs' ? 'it has critical bugs' : r === 'Legacy' ? 'it is legacy' : 'of other reasons',
  );
  const alternate = d.alternatePackage;
  return html`<section class="banner deprecated" role="note" aria-label="Deprecated">
    <p>
      <strong>This version is deprecated</strong> because ${reasons.join(' and ') || 'the author says so'}.
    </p>
    ${d.message ? html`<p>${d.message}</p>` : ''}
    ${
      alternate
        ? html`<p>
            Use <a href="${pageUrls.package(view.feed, alternate.id)}">${alternate.id}</a>${
              alternate.range && alternate.range !== '*' ? html` ${alternate.range}` : ''
            }
            instead.
          </p>`
        : ''
    }
  </section>`;
}

/** The lowest version above `shown` that is listed, not deprecated and not vulnerable: what to move to. */
function safeUpgrade(
  view: PackageView,
  vulnerable: (v: PackageVersion) => boolean,
): PackageVersion | undefined {
  const index = view.versions.findIndex((v) => v.lowerVersion === view.shown.lowerVersion);
  const newer = index < 0 ? [] : view.versions.slice(0, index);
  const candidates = newer.filter((v) => v.listed && !v.deprecation && !vulnerable(v));
  const stable = candidates.filter((v) => !v.isPrerelease);
  return (stable.length > 0 ? stable : candidates).at(-1);
}

function vulnerabilityBanner(view: PackageView, found: readonly PackageVulnerability[]): Html {
  if (found.length === 0) return html``;
  const upgrade = safeUpgrade(view, (v) => vulnerabilitiesOf(view.advisories, v).length > 0);
  return html`<section class="banner vulnerable" role="note" aria-label="Vulnerable">
    <p>
      <strong
        >This version has
        ${found.length === 1 ? 'a known vulnerability' : `${found.length} known vulnerabilities`}</strong
      >:
    </p>
    <ul>
      ${found.map((v) => {
        const url = metadataUrl(v.advisoryUrl);
        return html`<li>
          ${severityNames[v.severity]} severity:
          ${url ? html`<a href="${url}" rel="nofollow noopener noreferrer">${url}</a>` : v.advisoryUrl}
        </li>`;
      })}
    </ul>
    <p>
      ${
        upgrade
          ? html`Update to
              <a href="${pageUrls.package(view.feed, upgrade.id, upgrade.fullVersion)}"
                >${upgrade.fullVersion}</a
              >, which has none.`
          : 'No version of this package is free of known vulnerabilities: look for an alternative.'
      }
    </p>
  </section>`;
}

function installBox(view: PackageView): Html {
  const snippets = installSnippets(view.shown, view.serviceIndex);
  return html`<section class="install" aria-label="Install">
    <ul class="tabs" role="tablist">
      ${snippets.map(
        (s) =>
          html`<li role="presentation">
            <a
              role="tab"
              id="tab-${s.key}"
              href="#install-${s.key}"
              data-tab="install-${s.key}"
              aria-controls="install-${s.key}"
              >${s.label}</a
            >
          </li>`,
      )}
    </ul>
    ${snippets.map(
      (s) =>
        html`<div class="snippet" id="install-${s.key}" role="tabpanel" aria-labelledby="tab-${s.key}">
          <h3>${s.label}</h3>
          <pre><code id="code-${s.key}">${s.text}</code></pre>
          <button
            type="button"
            class="copy"
            data-copy="code-${s.key}"
            aria-label="Copy the ${s.label} snippet"
          >
            Copy
          </button>
        </div>`,
    )}
  </section>`;
}

/**
 * The table of versions. It names no version as the current one, so one rendering serves every version page of
 * the id (web-routes.ts keeps it while the id's versions are unchanged).
 */
export function versionsTable(
  feed: string,
  versions: readonly PackageVersion[],
  advisories: readonly VulnerabilityAdvisory[],
): Html {
  return html`<div class="table-scroll">
    <table class="data versions">
      <caption class="visually-hidden">
        Versions
      </caption>
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col" class="number">Downloads</th>
          <th scope="col">Published</th>
          <th scope="col"><span class="visually-hidden">Marks</span></th>
        </tr>
      </thead>
      <tbody>
        ${versions.map((v) => {
          return html`<tr${v.listed ? '' : html` class="unlisted"`}>
            <td>
              <a href="${pageUrls.package(feed, v.id, v.fullVersion)}">${v.fullVersion}</a>
            </td>
            <td class="number">${formatCount(v.downloads)}</td>
            <td>${timeElement(v.published, 'date')}</td>
            <td>
              ${badgesOf({
                deprecated: v.deprecation !== undefined,
                vulnerabilities: vulnerabilitiesOf(advisories, v),
                unlisted: !v.listed,
                upstream: upstreamOf(v),
              })}
            </td>
          </tr>`;
        })}
      </tbody>
    </table>
  </div>`;
}

function dependencies(view: PackageView): Html {
  const groups = view.shown.metadata.dependencyGroups;
  if (groups.every((g) => g.dependencies.length === 0)) {
    return html`<p>No dependencies.</p>`;
  }
  return html`${groups.map(
    (g) =>
      html`<h3>${g.targetFramework || 'Any framework'}</h3>
        ${
          g.dependencies.length === 0
            ? html`<p>No dependencies.</p>`
            : html`<ul>
                ${g.dependencies.map(
                  (d) =>
                    html`<li>
                      <a href="${pageUrls.package(view.feed, d.id)}">${d.id}</a> <code>${d.range}</code>
                    </li>`,
                )}
              </ul>`
        }`,
  )}`;
}

function license(view: PackageView): Html {
  const m = view.shown.metadata;
  if (m.licenseExpression) {
    return html`<a
      href="${`https://licenses.nuget.org/${encodeURIComponent(m.licenseExpression)}`}"
      rel="nofollow noopener noreferrer"
      >${m.licenseExpression}</a
    >`;
  }
  const url = licenseUrl(view.urls, view.shown);
  if (!url) return html`Not stated`;
  return html`<a href="${url}" rel="nofollow noopener noreferrer"
    >${m.licenseFile ? `License file (${m.licenseFile})` : 'License'}</a
  >`;
}

function sidebar(view: PackageView, context: PageContext): Html {
  const v = view.shown;
  const m = v.metadata;
  const project = metadataUrl(m.projectUrl);
  const repository = metadataUrl(m.repository?.url);
  const owners = namesOf(m.owners);
  const authors = namesOf(m.authors);
  const frameworks = m.dependencyGroups.map((g) => g.targetFramework).filter(Boolean);
  const total = view.versions.reduce((sum, x) => sum + x.downloads, 0);
  return html`<aside>
    <section>
      <h2>Downloads</h2>
      <p>${formatCount(total)} in total, ${formatCount(v.downloads)} of ${v.fullVersion}</p>
    </section>
    <section>
      <h2>Published</h2>
      <p>${timeElement(v.published)}</p>
    </section>
    <section>
      <h2>License</h2>
      <p>${license(view)}${m.requireLicenseAcceptance ? ' (to be accepted before install)' : ''}</p>
    </section>
    ${
      project || repository
        ? html`<section>
            <h2>Links</h2>
            <ul>
              ${project ? html`<li><a href="${project}" rel="nofollow noopener noreferrer">Project website</a></li>` : ''}
              ${
                repository
                  ? html`<li>
                      <a href="${repository}" rel="nofollow noopener noreferrer">Source repository</a>${
                        m.repository?.commit ? html` at <code>${m.repository.commit.slice(0, 12)}</code>` : ''
                      }
                    </li>`
                  : ''
              }
            </ul>
          </section>`
        : ''
    }
    ${
      owners.length > 0
        ? html`<section>
            <h2>Owners</h2>
            <p>${owners.join(', ')}</p>
          </section>`
        : ''
    }
    <section>
      <h2>Authors</h2>
      <p>${authors.join(', ') || 'Not stated'}</p>
    </section>
    <section>
      <h2>Frameworks</h2>
      <p>
        ${
          frameworks.length > 0
            ? html`${frameworks.join(', ')} <span class="hint">(from its dependency groups)</span>`
            : 'Any: the package names no target framework.'
        }
      </p>
    </section>
    <section>
      <h2>Symbols</h2>
      <p>
        ${view.hasSymbols ? html`Available from <code>${context.feed ? view.urls.symbolServer : ''}</code>` : 'None pushed'}
      </p>
    </section>
    ${
      m.tags.length > 0
        ? html`<section>
            <h2>Tags</h2>
            <ul class="tags">
              ${m.tags.map((tag) => html`<li><a href="${pageUrls.search(view.feed, { q: `tags:${tag}` })}">${tag}</a></li>`)}
            </ul>
          </section>`
        : ''
    }
    ${
      m.copyright
        ? html`<section>
            <h2>Copyright</h2>
            <p>${m.copyright}</p>
          </section>`
        : ''
    }
  </aside>`;
}

export function packagePage(context: PageContext, view: PackageView): { title: string; main: Html } {
  const v = view.shown;
  const m = v.metadata;
  const found = vulnerabilitiesOf(view.advisories, v);
  const main = html`<div class="package-head">
      <img class="icon" src="${iconOf(view.urls, context.assets, v)}" alt="" width="64" height="64" />
      <div>
        <h1>
          ${m.title && m.title !== v.id ? html`${m.title} <span class="hint">(${v.id})</span>` : v.id}
          <span class="version">${v.fullVersion}</span>
        </h1>
        <p>
          ${badgesOf({
            deprecated: v.deprecation !== undefined,
            vulnerabilities: found,
            unlisted: !v.listed,
            upstream: upstreamOf(v),
          })}
          ${v.isPrerelease ? html`<span class="badge prerelease">Prerelease</span>` : ''}
        </p>
      </div>
    </div>
    ${
      v.listed
        ? ''
        : html`<section class="banner unlisted" role="note" aria-label="Unlisted">
            <p>This version is unlisted: search does not show it, but restores that name it still work.</p>
          </section>`
    }
    ${deprecationBanner(view)} ${vulnerabilityBanner(view, found)}
    <div class="package-layout">
      <div>
        <p>${m.description}</p>
        ${installBox(view)}
        <h2 id="readme">Readme</h2>
        ${view.readme ? html`<article class="readme">${view.readme}</article>` : html`<p class="hint">This package has no readme.</p>`}
        ${
          m.releaseNotes
            ? html`<h2>Release notes</h2>
                <div class="release-notes">${m.releaseNotes}</div>`
            : ''
        }
        <section class="dependencies">
          <h2>Dependencies</h2>
          ${dependencies(view)}
        </section>
        ${
          view.downloads
            ? html`<h2>Downloads over time</h2>
                ${view.downloads}`
            : ''
        }
        <h2>Versions</h2>
        ${view.versionsTable}
      </div>
      ${sidebar(view, context)}
    </div>`;
  return { title: `${v.id} ${v.fullVersion}`, main };
}
