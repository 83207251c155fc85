// The marks a package or version carries in lists and on its page: deprecated, vulnerable, prerelease-only,
// unlisted, and (once upstream feeds land) cached from an upstream.
import type { PackageVersion } from '../protocol/package-version.ts';
import { severityNames, type PackageVulnerability } from '../protocol/vulnerability-info.ts';
import { type Html, html } from './html.ts';

export interface BadgeFacts {
  readonly deprecated: boolean;
  readonly vulnerabilities: readonly PackageVulnerability[];
  /** Every version shown is a prerelease: there is no stable one to install. */
  readonly prereleaseOnly?: boolean | undefined;
  readonly unlisted?: boolean | undefined;
  /**
   * Where the version was cached from, for a package an upstream feed brought (issue 14: provenance). The upstream
   * work fills it in from its own record of the version; until then no version has one.
   */
  readonly upstream?: string | undefined;
}

export function badgesOf(facts: BadgeFacts): Html {
  const worst = Math.max(-1, ...facts.vulnerabilities.map((v) => v.severity));
  return html`${facts.deprecated ? html`<span class="badge deprecated">Deprecated</span>` : ''}${
    worst >= 0
      ? html`<span class="badge vulnerable" title="${`${facts.vulnerabilities.length} known vulnerabilities`}"
          >Vulnerable (${severityNames[worst as 0 | 1 | 2 | 3]})</span
        >`
      : ''
  }${facts.prereleaseOnly ? html`<span class="badge prerelease">Prerelease only</span>` : ''}${
    facts.unlisted ? html`<span class="badge unlisted">Unlisted</span>` : ''
  }${
    facts.upstream
      ? html`<span class="badge upstream" title="${`cached from ${facts.upstream}`}"
          >Cached from upstream</span
        >`
      : ''
  }`;
}

/** The upstream a version was cached from, and when (its provenance: docs/upstreams.md); undefined when pushed here. */
export const upstreamOf = (version: PackageVersion): string | undefined =>
  version.provenance ? `${version.provenance.upstream} at ${version.provenance.cachedAt}` : undefined;
