// Importing known vulnerabilities: the advisory file an admin hands us (docs/vulnerabilities.md), or another
// feed's VulnerabilityInfo resource (../shared/spec/nuget-api/vulnerability-info.md). The parsing and the plan of
// what an import changes are pure; the store applies the plan in one transaction with its catalog entries.
import { invalidInput } from '../errors.ts';
import { packageIdProblem, toLowerId } from '../nuget/packaging/index.ts';
import {
  formatVersionRange,
  parseVersionOrReason,
  parseVersionRangeOrReason,
  type VersionRange,
} from '../nuget/versioning/index.ts';
import type { PackageVersion } from '../protocol/package-version.ts';
import {
  type AdvisorySeverity,
  severityNames,
  type VulnerabilityAdvisory,
  vulnerabilitiesOf,
} from '../protocol/vulnerability-info.ts';
import type { AdvisoryImportSummary, AdvisoryInput, AdvisoryStore } from './ports.ts';

/** Generous, but a file this large is a mistake rather than a feed's advisories. */
export const maxAdvisories = 200_000;
const maxUrlLength = 2000;

const bad = (at: string, message: string) => invalidInput('invalid_advisory', `${at}: ${message}`);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** 0-3, or GitHub's names: low, moderate (or medium), high, critical; case-insensitive. */
export function parseSeverity(value: unknown, at: string): AdvisorySeverity {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 3)
    return value as AdvisorySeverity;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (/^[0-3]$/.test(text)) return Number(text) as AdvisorySeverity;
    if (text === 'medium') return 1;
    const found = (Object.entries(severityNames) as [string, string][]).find(([, name]) => name === text);
    if (found) return Number(found[0]) as AdvisorySeverity;
  }
  throw bad(at, `severity must be low, moderate, high, critical or 0-3, not ${JSON.stringify(value)}`);
}

function parseUrl(value: unknown, at: string): string {
  if (
    typeof value !== 'string' ||
    value.length > maxUrlLength ||
    !/^https?:\/\/[^\s\p{Cc}]+$/iu.test(value.trim())
  ) {
    throw bad(at, `url must be an absolute http(s) URL, not ${JSON.stringify(value)?.slice(0, 100)}`);
  }
  return value.trim();
}

function parsePackageId(value: unknown, at: string): string {
  const problem = typeof value === 'string' ? packageIdProblem(value.trim()) : 'packageId is missing';
  if (problem) throw bad(at, problem);
  return toLowerId((value as string).trim());
}

function parseUpdated(value: unknown, at: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw bad(at, `updated must be an ISO 8601 time, not ${JSON.stringify(value)}`);
  return new Date(time).toISOString();
}

/** A NuGet range ('[1.0.0, 1.2.0)'; a bare '1.0.0' means 1.0.0 or higher), normalized. */
function parseNuGetRange(value: unknown, at: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw bad(at, 'versions must be a NuGet version range such as "[1.0.0, 1.2.0)"');
  const range = parseVersionRangeOrReason(value);
  if (typeof range === 'string') throw bad(at, range);
  return formatVersionRange(range);
}

/**
 * GitHub's `vulnerable_version_range` ('>= 1.0.0, < 1.2.0', '< 2.0', '= 1.0.1', '<= 1.4') as a normalized NuGet
 * range. https://docs.github.com/rest/security-advisories/global-advisories
 */
export function githubRangeToNuGet(text: string): string | undefined {
  let range: VersionRange = {
    minVersion: undefined,
    isMinInclusive: false,
    maxVersion: undefined,
    isMaxInclusive: false,
    original: text,
  };
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length > 2 || parts.some((part) => part === '')) return undefined;
  for (const part of parts) {
    const match = /^(>=|<=|>|<|=)?\s*(\S+)$/.exec(part);
    if (!match) return undefined;
    const version = parseVersionOrReason(match[2] ?? '');
    if (typeof version === 'string') return undefined;
    const op = match[1] ?? '=';
    if (op === '=' && parts.length === 1) {
      range = {
        ...range,
        minVersion: version,
        isMinInclusive: true,
        maxVersion: version,
        isMaxInclusive: true,
      };
    } else if (op === '>=' || op === '>') {
      if (range.minVersion) return undefined;
      range = { ...range, minVersion: version, isMinInclusive: op === '>=' };
    } else if (op === '<=' || op === '<') {
      if (range.maxVersion) return undefined;
      range = { ...range, maxVersion: version, isMaxInclusive: op === '<=' };
    } else {
      return undefined;
    }
  }
  return formatVersionRange(range);
}

function flatAdvisory(item: Json, at: string): AdvisoryInput {
  return {
    lowerId: parsePackageId(item['packageId'] ?? item['id'], at),
    url: parseUrl(item['url'], at),
    severity: parseSeverity(item['severity'], at),
    versions: parseNuGetRange(item['versions'], at),
    updated: parseUpdated(item['updated'], at),
  };
}

/** A GitHub global advisory: one entry per NuGet package it names; withdrawn advisories are left out. */
function githubAdvisories(item: Json, at: string): AdvisoryInput[] {
  if (item['withdrawn_at']) return [];
  const url = parseUrl(item['html_url'] ?? item['url'], at);
  const severity = parseSeverity(item['severity'], at);
  const updated = parseUpdated(item['updated_at'], at);
  const list = item['vulnerabilities'];
  if (!Array.isArray(list)) throw bad(at, 'vulnerabilities must be an array');
  return list.flatMap((vulnerability: unknown, index) => {
    const where = `${at}.vulnerabilities[${index}]`;
    if (!isObject(vulnerability) || !isObject(vulnerability['package']))
      throw bad(where, 'each vulnerability needs a package { ecosystem, name }');
    const pkg = vulnerability['package'];
    if (String(pkg['ecosystem']).toLowerCase() !== 'nuget') return [];
    const rangeText = vulnerability['vulnerable_version_range'];
    const versions = typeof rangeText === 'string' ? githubRangeToNuGet(rangeText) : undefined;
    if (!versions)
      throw bad(
        where,
        `vulnerable_version_range must read like ">= 1.0.0, < 1.2.0", not ${JSON.stringify(rangeText)}`,
      );
    return [{ lowerId: parsePackageId(pkg['name'], where), url, severity, versions, updated }];
  });
}

/**
 * Reads an advisory file: an array (or `{ "advisories": [...] }`) of flat entries `{ packageId, url, severity,
 * versions, updated? }` and/or GitHub global advisories (`html_url`, `severity`, `vulnerabilities[]`).
 * One (id, url) pair names one advisory: the same pair twice with different ranges is refused.
 */
export function parseAdvisoryFile(document: unknown): AdvisoryInput[] {
  const list = isObject(document) ? document['advisories'] : document;
  if (!Array.isArray(list)) {
    throw invalidInput(
      'invalid_advisory',
      'An advisory file is a JSON array (or { "advisories": [...] }) of advisories: see docs/vulnerabilities.md.',
    );
  }
  if (list.length > maxAdvisories)
    throw invalidInput('invalid_advisory', `An advisory file holds at most ${maxAdvisories} advisories.`);
  const advisories = list.flatMap((item: unknown, index) => {
    const at = `advisories[${index}]`;
    if (!isObject(item)) throw bad(at, 'each advisory must be a JSON object');
    return Array.isArray(item['vulnerabilities']) ? githubAdvisories(item, at) : [flatAdvisory(item, at)];
  });
  return withoutDuplicates(advisories);
}

function withoutDuplicates(advisories: readonly AdvisoryInput[]): AdvisoryInput[] {
  const byKey = new Map<string, AdvisoryInput>();
  for (const advisory of advisories) {
    const key = `${advisory.lowerId}\n${advisory.url}`;
    const seen = byKey.get(key);
    if (seen && (seen.versions !== advisory.versions || seen.severity !== advisory.severity)) {
      throw invalidInput(
        'duplicate_advisory',
        `Advisory ${advisory.url} is given twice for package '${advisory.lowerId}' (${seen.versions} and ` +
          `${advisory.versions}); this feed keeps one version range per advisory and package.`,
      );
    }
    byKey.set(key, advisory);
  }
  return [...byKey.values()];
}

export interface AdvisoryImportPlan {
  /** New or changed advisories, with their `updated`. */
  readonly upserts: readonly VulnerabilityAdvisory[];
  readonly removals: readonly VulnerabilityAdvisory[];
  /** Every advisory after the import. */
  readonly after: readonly VulnerabilityAdvisory[];
  /** Lower ids whose advisories change. */
  readonly changedIds: ReadonlySet<string>;
  readonly summary: Omit<AdvisoryImportSummary, 'catalogEntries'>;
}

/** What an import changes, given every stored advisory. An unchanged advisory keeps its `updated`. */
export function planAdvisoryImport(
  existing: readonly VulnerabilityAdvisory[],
  incoming: readonly AdvisoryInput[],
  options: { replace: boolean; now: string },
): AdvisoryImportPlan {
  const key = (a: { lowerId: string; url: string }) => `${a.lowerId}\n${a.url}`;
  const stored = new Map(existing.map((a) => [key(a), a]));
  const after = new Map(options.replace ? [] : stored);
  const upserts: VulnerabilityAdvisory[] = [];
  const changedIds = new Set<string>();
  let added = 0;
  let changed = 0;
  let unchanged = 0;
  for (const input of incoming) {
    const old = stored.get(key(input));
    if (old && old.severity === input.severity && old.versions === input.versions) {
      unchanged++;
      after.set(key(old), old);
      continue;
    }
    const advisory: VulnerabilityAdvisory = {
      lowerId: input.lowerId,
      url: input.url,
      severity: input.severity,
      versions: input.versions,
      updated: input.updated ?? options.now,
    };
    if (old) changed++;
    else added++;
    upserts.push(advisory);
    after.set(key(advisory), advisory);
    changedIds.add(advisory.lowerId);
  }
  const removals = existing.filter((a) => !after.has(key(a)));
  for (const removed of removals) changedIds.add(removed.lowerId);
  return {
    upserts,
    removals,
    after: [...after.values()],
    changedIds,
    summary: { added, changed, removed: removals.length, unchanged },
  };
}

/** The versions whose list of vulnerabilities differs between two sets of advisories (each needs a catalog entry). */
export function versionsWithChangedVulnerabilities<T extends Pick<PackageVersion, 'lowerId' | 'fullVersion'>>(
  versions: readonly T[],
  before: readonly VulnerabilityAdvisory[],
  after: readonly VulnerabilityAdvisory[],
): T[] {
  return versions.filter(
    (v) => JSON.stringify(vulnerabilitiesOf(before, v)) !== JSON.stringify(vulnerabilitiesOf(after, v)),
  );
}

export async function importVulnerabilities(
  deps: { advisories: AdvisoryStore },
  input: { document: unknown; replace: boolean },
): Promise<AdvisoryImportSummary> {
  return deps.advisories.importAdvisories(parseAdvisoryFile(input.document), { replace: input.replace });
}

export type FetchJson = (url: string) => Promise<unknown>;

/**
 * Reads every advisory another feed publishes through VulnerabilityInfo/6.7.0: its service index, the index of
 * pages (an array) and each page (an object keyed by lower id). Pages add up (spec, "Suggested partitioning").
 */
export async function readUpstreamAdvisories(
  fetchJson: FetchJson,
  serviceIndexUrl: string,
): Promise<AdvisoryInput[]> {
  const index = await fetchJson(serviceIndexUrl);
  const resources = isObject(index) && Array.isArray(index['resources']) ? index['resources'] : [];
  const resource = resources.find(
    (r: unknown) => isObject(r) && String(r['@type']).startsWith('VulnerabilityInfo/'),
  ) as Json | undefined;
  if (!resource || typeof resource['@id'] !== 'string') {
    throw invalidInput('no_vulnerability_info', `${serviceIndexUrl} lists no VulnerabilityInfo resource.`);
  }
  const pages = await fetchJson(resource['@id']);
  if (!Array.isArray(pages))
    throw invalidInput('invalid_advisory', `${resource['@id']} is not a VulnerabilityInfo index (an array).`);
  // Pages add up, and a later page overrides an earlier one for the same advisory and package (nuget.org's
  // `update` page holds what changed since its `base` page was written).
  const merged = new Map<string, AdvisoryInput>();
  for (const [index, page] of pages.entries()) {
    if (!isObject(page) || typeof page['@id'] !== 'string')
      throw bad(`${resource['@id']}[${index}]`, 'a page entry needs an @id');
    const updated = parseUpdated(page['@updated'], `${page['@id']} @updated`);
    const data = await fetchJson(page['@id']);
    if (!isObject(data))
      throw invalidInput('invalid_advisory', `${page['@id']} is not a VulnerabilityInfo page (an object).`);
    const advisories: AdvisoryInput[] = [];
    for (const [id, list] of Object.entries(data)) {
      if (!Array.isArray(list)) throw bad(`${page['@id']} ${id}`, 'each package must map to an array');
      list.forEach((entry: unknown, i) => {
        const at = `${page['@id']} ${id}[${i}]`;
        if (!isObject(entry)) throw bad(at, 'each vulnerability must be a JSON object');
        advisories.push({ ...flatAdvisory({ ...entry, packageId: id }, at), updated });
      });
    }
    for (const advisory of withoutDuplicates(advisories))
      merged.set(`${advisory.lowerId}\n${advisory.url}`, advisory);
  }
  return [...merged.values()];
}
