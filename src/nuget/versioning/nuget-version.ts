// NuGet package versions: parse, normalize, compare.
//
// Spec: ../../../../shared/spec/reference/Package-Versioning.md
// (https://learn.microsoft.com/nuget/concepts/package-versioning), sections "Version basics",
// "Normalized version numbers", "Semantic Versioning 2.0.0" and "Where NuGetVersion diverges from
// Semantic Versioning". Where the page is silent, the rules follow NuGet.Client's NuGet.Versioning
// (NuGetVersion.TryParse, VersionComparer.Default), because a server must agree with the client
// about which versions exist and which are the same.

import { invalidInput, type NuggetError } from '../../errors.ts';

export interface NuGetVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly revision: number;
  /** The dot-separated prerelease labels, case kept; `[]` when this is not a prerelease. */
  readonly releaseLabels: readonly string[];
  /** The build metadata after '+', or `undefined` when there is none. */
  readonly metadata: string | undefined;
  /** The trimmed input. */
  readonly original: string;
}

/** System.Version parts are Int32, so NuGet rejects any part above this. */
export const maxVersionPart = 2147483647;

// Release labels and metadata parts: SemVer 2.0.0 identifiers, https://semver.org/spec/v2.0.0.html#spec-item-9
const identifierPattern = /^[0-9A-Za-z-]+$/;
const digitsPattern = /^[0-9]+$/;

/** Parses a version the way NuGet does, or returns why it is not one. */
export function parseVersionOrReason(text: string): NuGetVersion | string {
  // NuGet trims the input before parsing ("we are not strict here").
  const trimmed = text.trim();
  if (trimmed === '') return 'a version must not be empty';
  const quoted = `'${trimmed}'`;

  // Sections as NuGet splits them: the numbers end at the first '-' or '+'; after a '-' the
  // release labels end at the first '+'; everything after that '+' is metadata.
  const firstSeparator = trimmed.search(/[-+]/);
  const numbers = firstSeparator < 0 ? trimmed : trimmed.slice(0, firstSeparator);
  let labelsText: string | undefined;
  let metadata: string | undefined;
  if (firstSeparator >= 0) {
    const rest = trimmed.slice(firstSeparator + 1);
    if (trimmed[firstSeparator] === '+') {
      metadata = rest;
    } else {
      const plus = rest.indexOf('+');
      labelsText = plus < 0 ? rest : rest.slice(0, plus);
      metadata = plus < 0 ? undefined : rest.slice(plus + 1);
    }
  }

  if (numbers.trim() === '') {
    return `${quoted} must start with a number: versions look like Major[.Minor[.Patch[.Revision]]][-label][+metadata]`;
  }
  const numberParts = numbers.split('.');
  // NuGetVersion is a superset of System.Version: 1 to 4 numeric parts ("diverges" item 1 and 2).
  if (numberParts.length > 4) {
    return `${quoted} has ${numberParts.length} numeric parts; NuGet allows at most 4 (Major.Minor.Patch.Revision)`;
  }
  const values: number[] = [];
  for (const rawPart of numberParts) {
    // NuGet tolerates whitespace around each numeric part ("19 . 19"), but not inside one ("1 9").
    const part = rawPart.trim();
    if (part === '') return `${quoted} has an empty numeric part`;
    if (!digitsPattern.test(part))
      return `${quoted} has a numeric part '${part}' that is not a number${hint(part)}`;
    // Leading zeros are allowed ("1.01.1" is 1.1.1); Number() of a long digit string only rounds,
    // so the range check stays right.
    const value = Number(part);
    if (value > maxVersionPart) return `${quoted} has a part over ${maxVersionPart} ('${part}')`;
    values.push(value);
  }

  const releaseLabels: string[] = [];
  if (labelsText !== undefined) {
    for (const label of labelsText.split('.')) {
      if (label === '') return `${quoted} has an empty prerelease label`;
      if (!identifierPattern.test(label)) {
        return `${quoted} has a prerelease label '${label}' with a character other than 0-9, A-Z, a-z and '-'`;
      }
      // NuGetVersion.TryParse rejects leading zeros in numeric labels for every version, not only
      // SemVer 2 ones (IsValidPart(label, allowLeadingZeros: false)).
      if (label.length > 1 && label.startsWith('0') && digitsPattern.test(label)) {
        return `${quoted} has a numeric prerelease label '${label}' with a leading zero`;
      }
      releaseLabels.push(label);
    }
  }

  if (metadata !== undefined) {
    for (const part of metadata.split('.')) {
      if (part === '') return `${quoted} has an empty build metadata part after '+'`;
      // Leading zeros are fine in metadata (SemVer 2.0.0 item 10).
      if (!identifierPattern.test(part)) {
        return `${quoted} has build metadata '${part}' with a character other than 0-9, A-Z, a-z and '-'`;
      }
    }
  }

  return {
    major: values[0] ?? 0,
    minor: values[1] ?? 0,
    patch: values[2] ?? 0,
    revision: values[3] ?? 0,
    releaseLabels,
    metadata,
    original: trimmed,
  };
}

function hint(part: string): string {
  if (/^[vV][0-9]/.test(part)) return " (remove the 'v' prefix)";
  if (/^[0-9]+[A-Za-z]/.test(part)) return " (a prerelease label must follow a '-', like '1.0.0-beta')";
  return '';
}

function invalidVersion(reason: string): NuggetError {
  return invalidInput('invalid_version', reason);
}

/** Parses a NuGet version; throws NuggetError InvalidInput `invalid_version` saying why it is not one. */
export function parseVersion(text: string): NuGetVersion {
  const result = parseVersionOrReason(text);
  if (typeof result === 'string') throw invalidVersion(result);
  return result;
}

export function tryParseVersion(text: string): NuGetVersion | undefined {
  const result = parseVersionOrReason(text);
  return typeof result === 'string' ? undefined : result;
}

/**
 * The normalized version ("Normalized version numbers"): leading zeros gone, a zero 4th part
 * omitted, metadata dropped. Labels keep their case; lowercase it yourself for flat-container paths.
 */
export function toNormalizedString(v: NuGetVersion): string {
  let text = `${v.major}.${v.minor}.${v.patch}`;
  if (v.revision > 0) text += `.${v.revision}`;
  if (v.releaseLabels.length > 0) text += `-${v.releaseLabels.join('.')}`;
  return text;
}

/** The normalized version plus '+metadata' when there is metadata (NuGet's ToFullString()). */
export function toFullString(v: NuGetVersion): string {
  const normalized = toNormalizedString(v);
  return v.metadata === undefined ? normalized : `${normalized}+${v.metadata}`;
}

/** Parses then normalizes; throws like parseVersion. */
export function normalizeVersion(text: string): string {
  return toNormalizedString(parseVersion(text));
}

/**
 * NuGet's default version order: numeric parts (revision included), then a release above any
 * prerelease, then the labels per SemVer 2.0.0 item 11, except that strings compare
 * case-insensitively ("diverges" item 3). Metadata is ignored.
 */
export function compareVersions(a: NuGetVersion, b: NuGetVersion): number {
  const numeric = a.major - b.major || a.minor - b.minor || a.patch - b.patch || a.revision - b.revision;
  if (numeric !== 0) return Math.sign(numeric);
  const aLabels = a.releaseLabels;
  const bLabels = b.releaseLabels;
  // A release (no labels) is higher than any prerelease of the same numbers.
  if (aLabels.length === 0) return bLabels.length === 0 ? 0 : 1;
  if (bLabels.length === 0) return -1;
  const shared = Math.min(aLabels.length, bLabels.length);
  for (let i = 0; i < shared; i++) {
    const result = compareLabels(aLabels[i]!, bLabels[i]!);
    if (result !== 0) return result;
  }
  // With equal shared labels, the version with fewer labels is lower (1.0.0-rc < 1.0.0-rc.1).
  return Math.sign(aLabels.length - bLabels.length);
}

// NuGet treats a label as numeric when Int32.TryParse accepts it; only '-' can precede the digits
// since labels are [0-9A-Za-z-], so '-1' counts as the number -1 like it does in NuGet.
function numericLabelValue(label: string): number | undefined {
  if (!/^-?[0-9]+$/.test(label)) return undefined;
  const value = Number(label);
  return value > maxVersionPart || value < -maxVersionPart - 1 ? undefined : value;
}

function compareLabels(a: string, b: string): number {
  const aNumber = numericLabelValue(a);
  const bNumber = numericLabelValue(b);
  if (aNumber !== undefined && bNumber !== undefined) return Math.sign(aNumber - bNumber);
  // Numeric labels are lower than alphanumeric ones.
  if (aNumber !== undefined) return -1;
  if (bNumber !== undefined) return 1;
  // Ordinal ignoring case, as .NET's OrdinalIgnoreCase does it: compare the upper-cased text.
  const aUpper = a.toUpperCase();
  const bUpper = b.toUpperCase();
  return aUpper < bUpper ? -1 : aUpper > bUpper ? 1 : 0;
}

/** Same version in NuGet's eyes: '1.0' == '1.0.0.0', '1.0.0-BETA' == '1.0.0-beta', metadata ignored. */
export function versionsEqual(a: NuGetVersion, b: NuGetVersion): boolean {
  return compareVersions(a, b) === 0;
}

export function isPrerelease(v: NuGetVersion): boolean {
  return v.releaseLabels.length > 0;
}

/**
 * "Semantic Versioning 2.0.0": a version is SemVer 2 when its prerelease label is dot-separated
 * (more than one label) or it has build metadata.
 */
export function isSemVer2Version(v: NuGetVersion): boolean {
  return v.releaseLabels.length > 1 || v.metadata !== undefined;
}
