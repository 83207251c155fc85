// NuGet version ranges as a nuspec <dependency version="..."> states them.
//
// Spec: ../../../../shared/spec/reference/Package-Versioning.md, section "Version ranges"
// (https://learn.microsoft.com/nuget/concepts/package-versioning#version-ranges). Details the
// table leaves open (whitespace, "(, )", empty ranges) follow NuGet.Client's VersionRange.TryParse
// with floating versions off, and the normalized form is VersionRange.ToNormalizedString().

import { invalidInput, type NuggetError } from '../../errors.ts';
import {
  compareVersions,
  isSemVer2Version,
  type NuGetVersion,
  parseVersionOrReason,
  toNormalizedString,
} from './nuget-version.ts';

export interface VersionRange {
  readonly minVersion: NuGetVersion | undefined;
  /** Always false when there is no minVersion. */
  readonly isMinInclusive: boolean;
  readonly maxVersion: NuGetVersion | undefined;
  /** Always false when there is no maxVersion. */
  readonly isMaxInclusive: boolean;
  /** The trimmed input. */
  readonly original: string;
}

/** Every version, prerelease or not: what a dependency without a version means. */
export const anyVersionRange: VersionRange = Object.freeze({
  minVersion: undefined,
  isMinInclusive: false,
  maxVersion: undefined,
  isMaxInclusive: false,
  original: '(, )',
});

function invalidRange(reason: string): NuggetError {
  return invalidInput('invalid_version_range', reason);
}

/** Parses a range, or returns why it is not one. */
export function parseVersionRangeOrReason(text: string): VersionRange | string {
  const trimmed = text.trim();
  // A dependency with no version (or an empty one) accepts any version.
  if (trimmed === '') return anyVersionRange;
  const quoted = `'${trimmed}'`;

  // Floating versions ('1.*', '1.0.0-beta*') belong to PackageReference, not to a package's nuspec.
  if (trimmed.includes('*')) {
    return `${quoted} is a floating version; a nuspec dependency needs a version or a range like '[1.0.0, 2.0.0)'`;
  }

  const first = trimmed[0];
  if (first !== '[' && first !== '(') {
    // '1.0' alone means "1.0 or higher" (x ≥ 1.0).
    if (trimmed.includes(',')) {
      return `${quoted} has two versions but no brackets; write it like '[1.0, 2.0)'`;
    }
    if (/[\])]$/.test(trimmed)) return `${quoted} ends with a bracket but does not start with '[' or '('`;
    const version = parseVersionOrReason(trimmed);
    if (typeof version === 'string') return `${quoted} is not a valid version range: ${version}`;
    return {
      minVersion: version,
      isMinInclusive: true,
      maxVersion: undefined,
      isMaxInclusive: false,
      original: trimmed,
    };
  }

  const last = trimmed.at(-1);
  if (trimmed.length < 2 || (last !== ']' && last !== ')')) {
    return `${quoted} starts with '${first}' but does not end with ']' or ')'`;
  }
  const minInclusive = first === '[';
  const maxInclusive = last === ']';
  const parts = trimmed.slice(1, -1).split(',');
  if (parts.length > 2) return `${quoted} has more than two versions; a range is [min, max]`;
  // NuGet rejects '(,)' and '[]' but accepts '(, )' (its own normalized "any version"): only
  // truly empty parts count as "no bounds at all" here.
  if (parts.every((part) => part === '')) {
    return `${quoted} has neither a minimum nor a maximum version`;
  }
  // '[1.0]' is the exact version 1.0; '(1.0)', '[1.0)' and '(1.0]' are invalid (spec table, last row).
  if (parts.length === 1 && !(minInclusive && maxInclusive)) {
    return `${quoted} names one version without '[' and ']'; an exact version is written '[1.0]'`;
  }
  const minText = parts[0] ?? '';
  const maxText = parts.length === 2 ? (parts[1] ?? '') : minText;

  const minVersion = parseBound(minText);
  if (typeof minVersion === 'string') return `${quoted} has an invalid minimum version: ${minVersion}`;
  const maxVersion = parseBound(maxText);
  if (typeof maxVersion === 'string') return `${quoted} has an invalid maximum version: ${maxVersion}`;

  if (minVersion !== undefined && maxVersion !== undefined) {
    const order = compareVersions(minVersion, maxVersion);
    if (order > 0) return `${quoted} has a minimum version above its maximum version`;
    // '[1.0, 1.0)' and '(1.0, 1.0]' contain nothing and NuGet calls them invalid. ('(1.0, 1.0)' is
    // just as empty, but NuGet accepts it, so we do too.)
    if (order === 0 && minInclusive !== maxInclusive) {
      return `${quoted} has equal minimum and maximum versions with only one of them inclusive; use '[${minText.trim()}]' for an exact version`;
    }
  }

  return {
    minVersion,
    // Without a bound there is nothing to include; keep the flag false so equal ranges look equal.
    isMinInclusive: minVersion !== undefined && minInclusive,
    maxVersion,
    isMaxInclusive: maxVersion !== undefined && maxInclusive,
    original: trimmed,
  };
}

/** A whitespace-only bound is an open end, as in '(, 1.0]' and '[1.0, ]'. */
function parseBound(text: string): NuGetVersion | undefined | string {
  return text.trim() === '' ? undefined : parseVersionOrReason(text);
}

/**
 * Parses every nuspec range form ('1.0', '[1.0]', '(1.0,)', '(,1.0]', '[1.0,2.0)', ...); '' means any
 * version. Throws NuggetError InvalidInput `invalid_version_range` saying why otherwise.
 */
export function parseVersionRange(text: string): VersionRange {
  const result = parseVersionRangeOrReason(text);
  if (typeof result === 'string') throw invalidRange(result);
  return result;
}

export function tryParseVersionRange(text: string): VersionRange | undefined {
  const result = parseVersionRangeOrReason(text);
  return typeof result === 'string' ? undefined : result;
}

/**
 * NuGet's normalized range (VersionRange.ToNormalizedString(), format "N"), as registration
 * documents carry it: '[1.0.0, )', '[1.0.0, 2.0.0)', '(, 1.0.0]', '(, )', and an exact version as
 * '[1.0.0, 1.0.0]'. Versions are normalized, so metadata is dropped.
 */
export function formatVersionRange(r: VersionRange): string {
  const open = r.minVersion !== undefined && r.isMinInclusive ? '[' : '(';
  const close = r.maxVersion !== undefined && r.isMaxInclusive ? ']' : ')';
  const min = r.minVersion === undefined ? '' : toNormalizedString(r.minVersion);
  const max = r.maxVersion === undefined ? '' : toNormalizedString(r.maxVersion);
  return `${open}${min}, ${max}${close}`;
}

/** Whether v lies in r, by NuGet's version order (metadata ignored, prereleases not excluded). */
export function rangeSatisfies(r: VersionRange, v: NuGetVersion): boolean {
  if (r.minVersion !== undefined) {
    const order = compareVersions(r.minVersion, v);
    if (r.isMinInclusive ? order > 0 : order >= 0) return false;
  }
  if (r.maxVersion !== undefined) {
    const order = compareVersions(v, r.maxVersion);
    if (r.isMaxInclusive ? order > 0 : order >= 0) return false;
  }
  return true;
}

/**
 * "Semantic Versioning 2.0.0": a dependency range makes a package SemVer 2 when its minimum or
 * maximum version is SemVer 2, for example '[1.0.0-alpha.1, )'.
 */
export function isSemVer2Range(r: VersionRange): boolean {
  return (
    (r.minVersion !== undefined && isSemVer2Version(r.minVersion)) ||
    (r.maxVersion !== undefined && isSemVer2Version(r.maxVersion))
  );
}
