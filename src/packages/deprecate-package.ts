// Deprecate and undeprecate package versions (nuget.org's "Deprecate packages", for a self-hosted feed).
// What a deprecation holds: ../shared/spec/nuget-api/registration-base-url-resource.md, "Package deprecation";
// why and how people use it: ../shared/spec/reference/Deprecate-packages.md.
import { invalidInput, notFound } from '../errors.ts';
import { packageIdProblem, toLowerId } from '../nuget/packaging/index.ts';
import {
  formatVersionRange,
  parseVersionOrReason,
  parseVersionRangeOrReason,
  rangeSatisfies,
  toNormalizedString,
  type VersionRange,
} from '../nuget/versioning/index.ts';
import type { PackageDeprecation, PackageVersion } from '../protocol/package-version.ts';
import type { PackageStore } from './ports.ts';
import { sortByVersion } from './version-order.ts';
import type { EventOrigin } from './webhook-event.ts';

/** The reasons the spec knows, in the case the client prints them. */
export const deprecationReasons = ['Legacy', 'CriticalBugs', 'Other'] as const;
export type DeprecationReason = (typeof deprecationReasons)[number];

/** Long enough for a paragraph and a link; the client prints it on one console line. */
export const maxDeprecationMessageLength = 1000;

const invalid = (message: string) => invalidInput('invalid_deprecation', message);

/** Case-insensitive ('legacy' is 'Legacy'), deduplicated, in the spec's order; unknown names are refused. */
export function parseDeprecationReasons(reasons: readonly unknown[]): DeprecationReason[] {
  if (reasons.length === 0) throw invalid(`Give at least one reason: ${deprecationReasons.join(', ')}.`);
  const chosen = new Set<DeprecationReason>();
  for (const reason of reasons) {
    const known =
      typeof reason === 'string'
        ? deprecationReasons.find((r) => r.toLowerCase() === reason.trim().toLowerCase())
        : undefined;
    if (!known) {
      throw invalid(
        `${JSON.stringify(reason)} is not a deprecation reason; use ${deprecationReasons.join(', ')}.`,
      );
    }
    chosen.add(known);
  }
  return deprecationReasons.filter((r) => chosen.has(r));
}

/** A range ('[2.0.0, )', normalized) or '*' for any version; the spec allows both. */
function parseAlternateRange(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '*' || trimmed === '') return '*';
  const range = parseVersionRangeOrReason(trimmed);
  if (typeof range === 'string') throw invalid(`The alternate package's range is not valid: ${range}.`);
  return formatVersionRange(range);
}

/** `Other.Package` or `Other.Package@[2.0.0, )`, as the CLI's --alternate takes it. */
export function parseAlternatePackage(text: string): { id: string; range: string } {
  const at = text.indexOf('@');
  return alternatePackage(at < 0 ? text : text.slice(0, at), at < 0 ? undefined : text.slice(at + 1));
}

function alternatePackage(id: unknown, range: unknown): { id: string; range: string } {
  const problem = typeof id === 'string' ? packageIdProblem(id.trim()) : 'the alternate package needs an id';
  if (problem) throw invalid(`The alternate package is not valid: ${problem}.`);
  if (range !== undefined && range !== null && typeof range !== 'string')
    throw invalid("The alternate package's range must be a string such as '[2.0.0, )' or '*'.");
  return { id: (id as string).trim(), range: parseAlternateRange(range ?? '*') };
}

/**
 * A deprecation from what an admin sent: `{ reasons, message?, alternatePackage?: { id, range? } }` (the HTTP
 * body), validated and normalized.
 */
export function parseDeprecation(input: unknown): PackageDeprecation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid(
      'A deprecation is a JSON object: { "reasons": ["Legacy"], "message": "...", "alternatePackage": { "id": "..." } }.',
    );
  }
  const body = input as Record<string, unknown>;
  const reasons = body['reasons'];
  if (!Array.isArray(reasons))
    throw invalid(`"reasons" must be an array of ${deprecationReasons.join(', ')}.`);
  const message = body['message'];
  if (message !== undefined && message !== null && typeof message !== 'string')
    throw invalid('"message" must be a string.');
  if (typeof message === 'string' && message.length > maxDeprecationMessageLength)
    throw invalid(`"message" is longer than ${maxDeprecationMessageLength} characters.`);
  const alternate = body['alternatePackage'];
  if (
    alternate !== undefined &&
    alternate !== null &&
    (typeof alternate !== 'object' || Array.isArray(alternate))
  )
    throw invalid('"alternatePackage" must be an object: { "id": "Other.Package", "range": "[2.0.0, )" }.');
  const alt = alternate as Record<string, unknown> | null | undefined;
  return {
    reasons: parseDeprecationReasons(reasons),
    ...(typeof message === 'string' && message.trim() !== '' ? { message: message.trim() } : {}),
    ...(alt ? { alternatePackage: alternatePackage(alt['id'], alt['range']) } : {}),
  };
}

/** Which versions of an id a command names: one version, a NuGet range ('[1.0.0, 2.0.0)'), or '*' for all. */
export type VersionSelector =
  | { readonly kind: 'version'; readonly lowerVersion: string }
  | { readonly kind: 'range'; readonly range: VersionRange | undefined };

export function parseVersionSelector(text: string): VersionSelector {
  const trimmed = text.trim();
  if (trimmed === '*') return { kind: 'range', range: undefined };
  if (trimmed.startsWith('[') || trimmed.startsWith('(')) {
    const range = parseVersionRangeOrReason(trimmed);
    if (typeof range === 'string') throw invalidInput('invalid_version_range', range);
    return { kind: 'range', range };
  }
  const version = parseVersionOrReason(trimmed);
  if (typeof version === 'string') throw invalidInput('invalid_version', version);
  return { kind: 'version', lowerVersion: toNormalizedString(version).toLowerCase() };
}

function selectVersions(versions: readonly PackageVersion[], selector: VersionSelector): PackageVersion[] {
  if (selector.kind === 'version') return versions.filter((v) => v.lowerVersion === selector.lowerVersion);
  const { range } = selector;
  if (!range) return [...versions];
  return versions.filter((v) => {
    const parsed = parseVersionOrReason(v.fullVersion);
    return typeof parsed !== 'string' && rangeSatisfies(range, parsed);
  });
}

/**
 * Sets (or with `deprecation` undefined, clears) the deprecation of the named versions. Versions whose
 * deprecation is already that one are left alone: only a real change appends to the catalog.
 * Returns the full versions changed and those already in that state; 404 when nothing matches.
 */
export async function deprecatePackage(
  deps: { packages: PackageStore },
  input: {
    id: string;
    versions: string;
    deprecation: PackageDeprecation | undefined;
    origin?: EventOrigin | undefined;
  },
): Promise<{ changed: string[]; unchanged: string[] }> {
  const lowerId = toLowerId(input.id.trim());
  const selector = parseVersionSelector(input.versions);
  const matching = sortByVersion(selectVersions(await deps.packages.findVersions(lowerId), selector));
  if (matching.length === 0) {
    throw notFound(
      'package_not_found',
      `There is no package ${input.id} ${input.versions.trim()} on this feed.`,
    );
  }
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const version of matching) {
    // The store compares under the id's write lock, so of two identical requests at once only one changes it.
    // A version removed meanwhile is simply not changed.
    const type = input.deprecation ? ('package.deprecated' as const) : ('package.undeprecated' as const);
    const event = input.origin && { ...input.origin, type };
    const outcome = await deps.packages.setDeprecation(lowerId, version.lowerVersion, input.deprecation, {
      event,
    });
    if (outcome === 'changed') changed.push(version.fullVersion);
    else if (outcome === 'unchanged') unchanged.push(version.fullVersion);
  }
  return { changed, unchanged };
}
