// Target framework monikers as NuGet reads them in nuspec `<group targetFramework="...">` attributes
// and in lib/ref folder names, and the strings NuGet writes back for them.
// Spec: ../../../../shared/spec/reference/target-frameworks.md
// The rules follow NuGet.Client's NuGet.Frameworks (NuGetFrameworkFactory.Parse, GetShortFolderName,
// DotNetFrameworkName) and NuGet.Packaging's GetFrameworkString, so the real client reads what we
// write as the same framework.

import { invalidInput } from '../../errors.ts';
import {
  decimalPointFrameworks,
  equivalentFrameworks,
  FrameworkIdentifiers,
  type FrameworkKey,
  identifierShortNames,
  identifierSynonyms,
  portableOptionalFrameworks,
  portableProfiles,
  profileShortNames,
  profilesWithOptionalFrameworks,
  SpecialIdentifiers,
  singleDigitVersionFrameworks,
} from './framework-mappings.ts';

export interface NuGetFramework {
  /** NuGet's long identifier: '.NETCoreApp', '.NETStandard', '.NETFramework', '.NETPortable', 'native', 'Any', 'Unsupported', ... */
  readonly framework: string;
  /** Four-part 'M.m.b.r', e.g. '8.0.0.0'. */
  readonly version: string;
  /** '' or e.g. 'Client', 'CompactFramework', or the portable profile 'Profile259'. */
  readonly profile: string;
  /** '' or e.g. 'windows' (net5.0 and later only). */
  readonly platform: string;
  /** '' when there is no platform, else four-part ('0.0.0.0' for 'net8.0-windows'). */
  readonly platformVersion: string;
}

type Version4 = readonly [number, number, number, number];

const EMPTY_VERSION: Version4 = [0, 0, 0, 0];
const MAX_VERSION_PART = 2 ** 31 - 1; // System.Version parts are Int32

function toVersion4(parts: readonly number[]): Version4 {
  return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, parts[3] ?? 0];
}

function formatVersion4(v: Version4): string {
  return v.join('.');
}

/** Reads a four-part version from a NuGetFramework field; '' and missing parts are 0. */
function readVersion4(text: string): Version4 {
  if (text === '') return EMPTY_VERSION;
  return toVersion4(text.split('.').map((part) => Number.parseInt(part, 10) || 0));
}

const isZero = (v: Version4): boolean => v.every((part) => part === 0);
const versionsEqual = (a: Version4, b: Version4): boolean => a.every((part, i) => part === b[i]);
const sameText = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

function createFramework(
  framework: string,
  version: Version4,
  profile = '',
  platform = '',
  platformVersion: Version4 = EMPTY_VERSION,
): NuGetFramework {
  // Only net5.0 and later carry a platform; NuGet drops it for everything else.
  const keptPlatform = isNet5EraParts(framework, version) ? platform : '';
  return Object.freeze({
    framework,
    version: formatVersion4(version),
    profile,
    platform: keptPlatform,
    platformVersion: keptPlatform === '' ? '' : formatVersion4(platformVersion),
  });
}

/** A wildcard matching all frameworks: what an absent or empty targetFramework means. */
export const AnyFramework: NuGetFramework = createFramework(SpecialIdentifiers.Any, EMPTY_VERSION);
/** A framework with no specific target (content-only packages). */
export const AgnosticFramework: NuGetFramework = createFramework(SpecialIdentifiers.Agnostic, EMPTY_VERSION);
/** An unknown or invalid framework; NuGet treats it as compatible only with Any and Agnostic. */
export const UnsupportedFramework: NuGetFramework = createFramework(
  SpecialIdentifiers.Unsupported,
  EMPTY_VERSION,
);

const DotNet50 = createFramework(FrameworkIdentifiers.NetPlatform, [5, 0, 0, 0]);
const DotNet = createFramework(FrameworkIdentifiers.NetPlatform, EMPTY_VERSION);

// ---------------------------------------------------------------------------------------------
// Lookups built once from the tables (all case-insensitive, as NuGet's are).

function lowerKeyed(entries: readonly (readonly [string, string])[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const [key, value] of entries) {
    if (!map.has(key.toLowerCase())) map.set(key.toLowerCase(), value);
  }
  return map;
}

// Synonyms and short names first, then the long identifiers themselves (normalizing their case).
const identifierByName = lowerKeyed([
  ...identifierSynonyms,
  ...identifierShortNames.map(([long, short]) => [short, long] as const),
  ...identifierShortNames.map(([long]) => [long, long] as const),
]);
const shortNameByIdentifier = lowerKeyed([
  ...identifierShortNames,
  ...identifierShortNames.map(([, short]) => [short, short] as const),
]);
const profileByShortName = lowerKeyed([
  ...profileShortNames,
  ...profileShortNames.map(([, long]) => [long, long] as const),
]);
const shortNameByProfile = lowerKeyed([
  ...profileShortNames.map(([short, long]) => [long, short] as const),
  ...profileShortNames.map(([short]) => [short, short] as const),
]);

function keyOf(f: NuGetFramework): string {
  return [f.framework, f.version, f.profile, f.platform, f.platformVersion || '0.0.0.0']
    .join('|')
    .toLowerCase();
}

function fromKey(k: FrameworkKey): NuGetFramework {
  return createFramework(k.framework, toVersion4(k.version), k.profile ?? '');
}

// NuGet closes the equivalence pairs transitively; each class is named by one member's key.
const equivalenceRoot = new Map<string, string>();
function findRoot(key: string): string {
  let root = key;
  for (let up = equivalenceRoot.get(root); up !== undefined && up !== root; up = equivalenceRoot.get(root)) {
    root = up;
  }
  return root;
}
for (const [a, b] of equivalentFrameworks) {
  const keyA = keyOf(fromKey(a));
  const keyB = keyOf(fromKey(b));
  if (!equivalenceRoot.has(keyA)) equivalenceRoot.set(keyA, keyA);
  if (!equivalenceRoot.has(keyB)) equivalenceRoot.set(keyB, keyB);
  const rootA = findRoot(keyA);
  const rootB = findRoot(keyB);
  if (rootA !== rootB) equivalenceRoot.set(rootB, rootA);
}

/** The same string for frameworks NuGet treats as equivalent ('win', 'win8', 'netcore45'). */
function equivalenceKey(f: NuGetFramework): string {
  const key = keyOf(f);
  return equivalenceRoot.has(key) ? findRoot(key) : key;
}

const requiredFrameworksByProfile = new Map<number, NuGetFramework[]>(
  [...portableProfiles].map(([profile, keys]) => [profile, keys.map(fromKey)]),
);
const optionalPortableFrameworks = portableOptionalFrameworks.map(fromKey);

// ---------------------------------------------------------------------------------------------
// Predicates and comparison

function isNet5EraParts(framework: string, version: Version4): boolean {
  return version[0] >= 5 && sameText(framework, FrameworkIdentifiers.NetCoreApp);
}

/** net5.0 and later: '.NETCoreApp' 5.0+, written 'net5.0', and the only frameworks with a platform. */
export function isNet5Era(f: NuGetFramework): boolean {
  return isNet5EraParts(f.framework, readVersion4(f.version));
}

/** False for Any, Agnostic and Unsupported. */
export function isSpecificFramework(f: NuGetFramework): boolean {
  return !Object.values(SpecialIdentifiers).some((id) => sameText(f.framework, id));
}

export function isAnyFramework(f: NuGetFramework): boolean {
  return sameText(f.framework, SpecialIdentifiers.Any);
}

export function isUnsupportedFramework(f: NuGetFramework): boolean {
  return sameText(f.framework, SpecialIdentifiers.Unsupported);
}

function isPortable(f: NuGetFramework): boolean {
  return sameText(f.framework, FrameworkIdentifiers.Portable) && readVersion4(f.version)[0] < 5;
}

/**
 * NuGet's full framework comparison: identifier, profile and platform ignoring case, versions by value.
 * (NuGet never calls two Unsupported frameworks equal; here they are, so round-trips can be checked.)
 */
export function frameworkEquals(a: NuGetFramework, b: NuGetFramework): boolean {
  return (
    sameText(a.framework, b.framework) &&
    versionsEqual(readVersion4(a.version), readVersion4(b.version)) &&
    sameText(a.profile, b.profile) &&
    sameText(a.platform, b.platform) &&
    versionsEqual(readVersion4(a.platformVersion), readVersion4(b.platformVersion))
  );
}

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Parses a target framework the way NuGet's `NuGetFramework.Parse` does: a folder name ('net8.0',
 * 'netstandard2.0', '.NETStandard2.0', 'portable-net45+win8', 'net8.0-windows7.0') or, when the text
 * has a comma, a .NET framework name ('.NETFramework,Version=v4.6.2').
 * Never throws: where NuGet would throw (a bad version after 'Version=', a portable framework with a
 * profile of its own) the answer is Unsupported, as it is for anything unknown.
 */
export function parseFramework(text: string): NuGetFramework {
  return (text.includes(',') ? parseFrameworkName(text) : parseFolderName(text)) ?? UnsupportedFramework;
}

function parseSpecial(text: string): NuGetFramework | undefined {
  if (sameText(text, SpecialIdentifiers.Any)) return AnyFramework;
  if (sameText(text, SpecialIdentifiers.Agnostic)) return AgnosticFramework;
  if (sameText(text, SpecialIdentifiers.Unsupported)) return UnsupportedFramework;
  return undefined;
}

/** System.Version's rule: two to four dot-separated non-negative Int32 parts. */
function parseDotNetVersion(text: string): Version4 | undefined {
  if (!/^\d+(\.\d+){1,3}$/.test(text)) return undefined;
  const parts = text.split('.').map(Number);
  return parts.every((part) => part <= MAX_VERSION_PART) ? toVersion4(parts) : undefined;
}

/** A folder-name version: dotted ('4.6.2', '10.0') or digits, one per part ('462' is 4.6.2, '5' is 5.0). */
function parseFolderVersion(text: string): Version4 | undefined {
  if (text.includes('.')) return parseDotNetVersion(text);
  const digits = text.length < 2 ? text + '0' : text;
  return parseDotNetVersion(digits.slice(0, 4).split('').join('.'));
}

function parsePlatformVersion(text: string): Version4 | undefined {
  return parseDotNetVersion(text.includes('.') ? text : text + '.0');
}

function lookupIdentifier(name: string): string | undefined {
  return identifierByName.get(name.toLowerCase());
}

/** '.NETFramework,Version=v4.6.2' and '.NETPortable,Version=v0.0,Profile=Profile7'. */
function parseFrameworkName(text: string): NuGetFramework | undefined {
  const parts = text
    .split(',')
    .filter((part) => part !== '')
    .map((part) => part.trim());
  const first = parts[0];
  if (first === undefined) return undefined;
  const special = parseSpecial(first);
  if (special) return special;

  // NuGet keeps an identifier it does not know ('Foo,Version=v1.0' is framework 'Foo').
  const framework = lookupIdentifier(first) ?? first;
  // ...but could not write a folder name for one without letters or digits, so neither do we.
  if (!/[\p{L}\p{Nd}]/u.test(framework)) return undefined;

  const named = (name: string): string | undefined => {
    const matches = parts.filter((part) => part.toLowerCase().startsWith(name.toLowerCase()));
    return matches.length === 1 ? matches[0] : undefined;
  };
  let version: Version4 = EMPTY_VERSION;
  const versionPart = named('Version=');
  if (versionPart !== undefined) {
    let versionText = (versionPart.split('=')[1] ?? '').replace(/^v+/, '');
    if (!versionText.includes('.')) versionText += '.0';
    const parsed = parseDotNetVersion(versionText);
    if (!parsed) return undefined;
    version = parsed;
  }
  const profilePart = named('Profile=');
  const profile = profilePart === undefined ? '' : (profilePart.split('=')[1] ?? '');

  if (isNet5EraParts(framework, version)) return createFramework(framework, version);
  if (sameText(framework, FrameworkIdentifiers.Portable)) {
    // NuGet's Parse keeps any profile here, but its ParseComponents (used for project TFMs) resolves it
    // to a known profile number or answers Unsupported; we do the latter so every portable framework
    // we return has a folder name.
    if (profile.includes('-')) return undefined;
    return portableFramework(framework, version, profile);
  }
  return createFramework(framework, version, profile);
}

/** Folder-name parts: identifier (letters and dots), version (digits and dots), '-' profile. */
function rawParse(text: string): { identifier: string; version?: string; profile: string } | undefined {
  const identifier = /^[A-Za-z.]+/.exec(text)?.[0];
  if (identifier === undefined) return undefined;
  const version = /^[0-9.]+/.exec(text.slice(identifier.length))?.[0];
  const rest = text.slice(identifier.length + (version?.length ?? 0));
  if (rest === '')
    return version === undefined ? { identifier, profile: '' } : { identifier, version, profile: '' };
  // An empty profile, or one with characters other than letters, digits, '.', '+' and '-', is invalid.
  if (!/^-[A-Za-z0-9.+-]+$/.test(rest)) return undefined;
  const profile = rest.slice(1);
  return version === undefined ? { identifier, profile } : { identifier, version, profile };
}

/** Bare numbers NuGet still reads as .NET Framework versions (exact matches only). */
const deprecatedFolderNames: ReadonlyMap<string, Version4> = new Map<string, Version4>([
  ['45', [4, 5, 0, 0]],
  ['4.5', [4, 5, 0, 0]],
  ['40', [4, 0, 0, 0]],
  ['4.0', [4, 0, 0, 0]],
  ['4', [4, 0, 0, 0]],
  ['35', [3, 5, 0, 0]],
  ['3.5', [3, 5, 0, 0]],
  ['20', [2, 0, 0, 0]],
  ['2', [2, 0, 0, 0]],
  ['2.0', [2, 0, 0, 0]],
]);

/** Uri.UnescapeDataString: decodes what it can and leaves invalid escapes as they are. */
function unescapeDataString(text: string): string {
  return text.replace(/(%[0-9A-Fa-f]{2})+/g, (escaped) => {
    try {
      return decodeURIComponent(escaped);
    } catch {
      return escaped;
    }
  });
}

function parseFolderName(input: string): NuGetFramework | undefined {
  const folderName = input.includes('%') ? unescapeDataString(input) : input;
  const special = parseSpecial(folderName);
  if (special) return special;
  // NuGet's table of common frameworks agrees with the general rules except here: bare 'dotnet' is 5.0.
  if (folderName.toLowerCase() === 'dotnet') return DotNet50;

  const raw = rawParse(folderName);
  if (!raw) {
    const deprecated = deprecatedFolderNames.get(folderName);
    return deprecated ? createFramework(FrameworkIdentifiers.Net, deprecated) : undefined;
  }
  let framework = lookupIdentifier(raw.identifier);
  if (framework === undefined) return undefined;
  const version = raw.version === undefined ? EMPTY_VERSION : parseFolderVersion(raw.version);
  if (!version) return undefined;

  if (
    version[0] >= 5 &&
    (sameText(framework, FrameworkIdentifiers.Net) || sameText(framework, FrameworkIdentifiers.NetCoreApp))
  ) {
    // 'net5.0' and later are .NETCoreApp; what follows the '-' is a platform and its version.
    framework = FrameworkIdentifiers.NetCoreApp;
    if (raw.profile === '') return createFramework(framework, version);
    const platform = /^[A-Za-z.]*/.exec(raw.profile)?.[0] ?? '';
    if (platform === '') return createFramework(framework, version, '', raw.profile);
    const platformVersionText = raw.profile.slice(platform.length);
    const platformVersion =
      platformVersionText === '' ? EMPTY_VERSION : parsePlatformVersion(platformVersionText);
    return platformVersion ? createFramework(framework, version, '', platform, platformVersion) : undefined;
  }

  if (sameText(framework, FrameworkIdentifiers.Portable))
    return portableFramework(framework, version, raw.profile);
  const profile = profileByShortName.get(raw.profile.toLowerCase()) ?? raw.profile;
  return createFramework(framework, version, profile);
}

// .NET's white space for number parsing (NumberStyles.AllowLeadingWhite/AllowTrailingWhite): U+0009-U+000D, U+0020.
const systemVersionPart = /^[\t\n\v\f\r ]*[+-]?(\d+)[\t\n\v\f\r ]*$/;

/**
 * System.Version.TryParse, which NuGet uses for package type versions, license versions and the Version= of a
 * framework name: two to four '.'-separated parts, each an Int32 from 0 (white space and a sign allowed).
 */
export function isSystemVersion(text: string): boolean {
  const parts = text.split('.');
  if (parts.length < 2 || parts.length > 4) return false;
  return parts.every((part) => {
    const match = systemVersionPart.exec(part);
    if (!match) return false;
    const value = Number(match[1]);
    return part.includes('-') ? value === 0 : value <= MAX_VERSION_PART;
  });
}

/**
 * Why NuGet's NuGetFramework.Parse throws for `text`, or undefined when it parses (perhaps as Unsupported, which
 * clients tolerate). The client parses the targetFramework of every nuspec group on restore, so a package with
 * such a group cannot be restored. It throws for: a framework name (with a comma) without any name, or whose
 * Version= is not a System.Version, or a portable one whose Profile= has a '-'; and for a portable folder name
 * that lists a framework with a profile of its own ('portable-net45-client') (NuGetFrameworkFactory.cs,
 * FrameworkNameProvider.TryGetPortableFrameworks).
 */
export function frameworkParseFailure(text: string): string | undefined {
  if (text.includes(',')) {
    const parts = text
      .split(',')
      .filter((part) => part !== '')
      .map((part) => part.trim());
    const first = parts[0];
    if (first === undefined) return 'it has no framework name, only commas';
    if (parseSpecial(first)) return undefined;
    const framework = lookupIdentifier(first) ?? first;
    const named = (name: string): string | undefined => {
      const matches = parts.filter((part) => part.toLowerCase().startsWith(name.toLowerCase()));
      return matches.length === 1 ? matches[0] : undefined;
    };
    const versionPart = named('Version=');
    if (versionPart !== undefined) {
      let version = (versionPart.split('=')[1] ?? '').replace(/^v+/, '');
      if (!version.includes('.')) version += '.0';
      if (!isSystemVersion(version)) return `its Version= '${version}' is not a version like v4.7.2`;
    }
    const profile = named('Profile=')?.split('=')[1] ?? '';
    if (sameText(framework, FrameworkIdentifiers.Portable) && profile.includes('-')) {
      return `its portable Profile= '${profile}' lists a framework with a profile of its own`;
    }
    return undefined;
  }
  const folderName = text.includes('%') ? unescapeDataString(text) : text;
  const raw = rawParse(folderName);
  if (raw === undefined || raw.profile === '' || parseSpecial(folderName)) return undefined;
  const framework = lookupIdentifier(raw.identifier);
  if (framework === undefined || !sameText(framework, FrameworkIdentifiers.Portable)) return undefined;
  if (raw.version !== undefined && !parseFolderVersion(raw.version)) return undefined;
  for (const name of raw.profile.split('+').filter((part) => part !== '')) {
    const inner = frameworkParseFailure(name);
    if (inner !== undefined) return inner;
    if (parseFramework(name).profile !== '') {
      return `the portable framework lists '${name}', which has a profile of its own`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Portable class libraries

/**
 * The frameworks a portable profile lists ('net45+win8'), as NuGet reads a folder name or a
 * Profile= value. A profile number is not looked up here ('Profile259' lists one Unsupported
 * framework), so NuGet keeps such a profile as written. Undefined for an empty list, or when a listed
 * framework has a profile of its own (NuGet throws for that).
 */
function parsePortableFrameworkList(profile: string): NuGetFramework[] | undefined {
  const frameworks = profile
    .split('+')
    .filter((name) => name !== '')
    .map(parseFramework);
  if (frameworks.some((f) => f.profile !== '')) return undefined;
  return frameworks.length > 0 ? frameworks : undefined;
}

/**
 * The frameworks a portable profile stands for when NuGet writes its folder name: a known profile
 * number ('Profile259', without the optional Xamarin frameworks) or a '+' list.
 */
function portableProfileFrameworks(profile: string): NuGetFramework[] | undefined {
  const numbered = /^profile(.*)$/i.exec(profile);
  if (!numbered) return parsePortableFrameworkList(profile);
  const profileNumber = parseProfileNumber(numbered[1] ?? '');
  return profileNumber === undefined ? undefined : requiredFrameworksByProfile.get(profileNumber);
}

/** int.TryParse: optional sign and surrounding white space, Int32 range. */
function parseProfileNumber(text: string): number | undefined {
  if (!/^\s*[+-]?\d+\s*$/.test(text)) return undefined;
  const n = Number(text.trim());
  return n >= -(2 ** 31) && n <= MAX_VERSION_PART ? n : undefined;
}

/** A portable framework with its profile resolved to 'ProfileN' when the frameworks match one. */
function portableFramework(
  framework: string,
  version: Version4,
  profile: string,
): NuGetFramework | undefined {
  const frameworks = parsePortableFrameworkList(profile);
  if (!frameworks) return undefined;
  const profileNumber = findPortableProfile(frameworks);
  return createFramework(
    framework,
    version,
    profileNumber === undefined ? profile : `Profile${profileNumber}`,
  );
}

/**
 * NuGet's TryGetPortableProfile: drop frameworks equivalent to one already listed ('win+win8'), drop
 * the profile's optional Xamarin frameworks, then the rest must be the profile's frameworks, each
 * matched by itself or an equivalent ('portable-net45+win+wpa+wp8' is Profile259).
 */
function findPortableProfile(frameworks: readonly NuGetFramework[]): number | undefined {
  const seen = new Set<string>();
  const distinct: NuGetFramework[] = [];
  for (const f of frameworks) {
    const key = equivalenceKey(f);
    if (seen.has(key)) continue;
    seen.add(key);
    distinct.push(f);
  }
  for (const [profileNumber, required] of requiredFrameworksByProfile) {
    if (required.length > distinct.length) continue;
    const optional = profilesWithOptionalFrameworks.has(profileNumber) ? optionalPortableFrameworks : [];
    const reduced = distinct.filter(
      (f) =>
        !optional.some(
          (o) =>
            sameText(o.framework, f.framework) &&
            sameText(o.profile, f.profile) &&
            compareVersion4(readVersion4(f.version), readVersion4(o.version)) >= 0,
        ),
    );
    if (reduced.length !== required.length) continue;
    const requiredKeys = new Set(required.map(equivalenceKey));
    if (reduced.every((f) => requiredKeys.has(equivalenceKey(f)))) return profileNumber;
  }
  return undefined;
}

function compareVersion4(a: Version4, b: Version4): number {
  for (let i = 0; i < 4; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** NuGet's GetVersionString: '45', '462', '8', '2.0', '10.0', '10.0.19041'. Empty for 0.0. */
function folderVersionString(framework: string, version: Version4): string {
  if (isZero(version)) return '';
  const [major, minor, build, revision] = version;
  // Trailing zeros past the minor part go; one part only for the legacy single-digit frameworks.
  let partCount = revision !== 0 ? 4 : build !== 0 ? 3 : minor !== 0 ? 2 : 1;
  if (partCount === 1 && !singleDigitVersionFrameworks.has(framework.toLowerCase())) partCount = 2;
  const parts = [major, minor, build, revision];
  // A dot between parts for the frameworks that need one, or when a part has two digits or more.
  if (decimalPointFrameworks.has(framework.toLowerCase()) || parts.some((part) => part > 9)) {
    return parts.slice(0, Math.max(partCount, 2)).join('.');
  }
  return parts.slice(0, partCount).join('');
}

/** System.Version as NuGet displays it in a .NET name: 'M.m', then '.b' and '.r' only when non-zero. */
function displayVersion(version: Version4): string {
  const [major, minor, build, revision] = version;
  let text = `${major}.${minor}`;
  if (build > 0 || revision > 0) text += `.${build}`;
  if (revision > 0) text += `.${revision}`;
  return text;
}

// NuGet writes the short name of '.NETPlatform' 5.0 as 'dotnet', and the .NET name of
// '.NETPlatform' 0.0 as version 5.0 (DefaultFrameworkMappings' name replacements).
const shortNameReplacement = (f: NuGetFramework): NuGetFramework =>
  frameworkEquals(f, DotNet50) ? DotNet : f;
const fullNameReplacement = (f: NuGetFramework): NuGetFramework =>
  frameworkEquals(f, DotNet) ? DotNet50 : f;

const upperOrdinal = (a: string, b: string): number => {
  const x = a.toUpperCase();
  const y = b.toUpperCase();
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * The short folder name NuGet writes: 'net8.0', 'net8.0-windows7.0', 'netstandard2.0', 'net462',
 * 'netcoreapp3.1', 'portable-net45+win8', 'native', 'any', 'unsupported'. Always lower case.
 * Throws InvalidInput where NuGet throws too: a portable framework whose profile is neither a known
 * profile number nor a list ('portable-Profile1' parses, but has no folder name), or a hand-made
 * framework whose identifier has no letters or digits.
 */
export function toShortFolderName(f: NuGetFramework): string {
  if (!isSpecificFramework(f)) return f.framework.toLowerCase();
  const replaced = shortNameReplacement(f);
  const net5Era = isNet5Era(f);
  const shortIdentifier =
    shortNameByIdentifier.get((net5Era ? FrameworkIdentifiers.Net : f.framework).toLowerCase()) ??
    replaced.framework.replace(/[^\p{L}\p{Nd}]/gu, '');
  if (shortIdentifier === '') {
    throw invalidInput(
      'framework_identifier_invalid',
      `Target framework '${f.framework}' has no short name.`,
    );
  }

  let name = shortIdentifier;
  if (!isZero(readVersion4(f.version))) {
    name += folderVersionString(replaced.framework, readVersion4(replaced.version));
  }

  if (isPortable(f)) {
    const frameworks = replaced.profile === '' ? undefined : portableProfileFrameworks(replaced.profile);
    if (!frameworks) {
      throw invalidInput(
        'portable_profile_unknown',
        `Portable framework '${toDotNetFrameworkName(f)}' has no known frameworks; use a profile such as 'Profile259' or 'net45+win8'.`,
      );
    }
    const distinct = frameworks.filter((a, i) => frameworks.findIndex((b) => frameworkEquals(a, b)) === i);
    name += '-' + distinct.map(toShortFolderName).sort(upperOrdinal).join('+');
  } else if (net5Era) {
    if (replaced.platform !== '') {
      name += '-' + replaced.platform.toLowerCase();
      name += folderVersionString(replaced.framework, readVersion4(replaced.platformVersion));
    }
  } else if (replaced.profile !== '') {
    const shortProfile = shortNameByProfile.get(replaced.profile.toLowerCase()) ?? replaced.profile;
    if (shortProfile !== '') name += '-' + shortProfile;
  }
  return name.toLowerCase();
}

/**
 * The .NET framework name (TargetFrameworkMoniker): '.NETCoreApp,Version=v8.0',
 * '.NETStandard,Version=v2.0', '.NETPortable,Version=v0.0,Profile=Profile7', 'Any,Version=v0.0'.
 * It has no platform; see toDotNetPlatformName.
 */
export function toDotNetFrameworkName(f: NuGetFramework): string {
  const replaced = fullNameReplacement(f);
  if (!isSpecificFramework(f)) return `${replaced.framework},Version=v0.0`;
  const profile = replaced.profile === '' ? '' : `,Profile=${replaced.profile}`;
  return `${f.framework},Version=v${displayVersion(readVersion4(replaced.version))}${profile}`;
}

/** The TargetPlatformMoniker: 'windows,Version=7.0' for 'net8.0-windows7.0'; '' without a platform. */
export function toDotNetPlatformName(f: NuGetFramework): string {
  return f.platform === '' ? '' : `${f.platform},Version=${displayVersion(readVersion4(f.platformVersion))}`;
}

/**
 * What NuGet's pack writes in a nuspec `<group targetFramework>` (NuGet.Packaging's
 * GetFrameworkString): the short folder name for net5.0 and later ('net8.0-windows7.0'), otherwise
 * the identifier and version of the .NET name ('.NETStandard2.0', '.NETFramework4.6.2'),
 * then '-' and the profile if there is one ('.NETPortable0.0-Profile259').
 */
export function toFrameworkString(f: NuGetFramework): string {
  if (isNet5Era(f)) return toShortFolderName(f);
  const replaced = fullNameReplacement(f);
  const name =
    f.framework + displayVersion(isSpecificFramework(f) ? readVersion4(replaced.version) : EMPTY_VERSION);
  return replaced.profile === '' ? name : `${name}-${replaced.profile}`;
}

// ---------------------------------------------------------------------------------------------
// The registration / catalog form

/**
 * The `targetFramework` our registration and catalog documents emit for a dependency group.
 *
 * Decision: NuGet pack's nuspec form (toFrameworkString): '.NETStandard2.0', '.NETFramework4.6.2',
 * 'net8.0', 'net8.0-windows7.0', '.NETPortable0.0-Profile259'. Evidence:
 * - nuget.org copies the nuspec attribute verbatim: NuGetGallery src/Catalog/xslt/nuspec.xslt writes
 *   `@targetFramework` into the catalog leaf unchanged, and the registration leaf is built from that
 *   graph. The docs' catalog sample has "targetFramework": ".NETFramework4.6"
 *   (../../../../shared/spec/nuget-api/_data/catalog-package-details.json).
 * - What nuspecs hold is what NuGet pack writes, NuGet.Packaging's GetFrameworkString (shown above),
 *   so this is the form clients see for nearly every package on nuget.org.
 * - The client reads it back with NuGetFramework.Parse (NuGet.Protocol NuGetFrameworkConverter and
 *   ResolverMetadataClient), which takes both this form and folder names. We only emit a string whose
 *   parse gives the same framework; where the pack form would not (a framework NuGet only knows by
 *   its .NET name, e.g. 'Foo,Version=v1.0'), the .NET name or short folder name is used instead.
 * - Absent, empty or 'any' gives '': the group applies to every framework
 *   (../../../../shared/spec/nuget-api/registration-base-url-resource.md, "Package dependency group").
 *   Callers must then OMIT the property rather than write "": NuGetFrameworkConverter maps "" to Any,
 *   but ResolverMetadataClient calls NuGetFramework.Parse("") which is Unsupported.
 * - A string we cannot read (Unsupported) is kept as written, as nuget.org does: a newer client may
 *   know a framework our tables do not.
 */
export function normalizeTargetFramework(text: string): string {
  if (text === '') return '';
  const framework = parseFramework(text);
  if (isAnyFramework(framework)) return '';
  if (!isSpecificFramework(framework)) return text;
  for (const candidate of [toFrameworkString, toDotNetFrameworkName, toShortFolderName]) {
    const written = writeOrUndefined(candidate, framework);
    if (written !== undefined && frameworkEquals(parseFramework(written), framework)) return written;
  }
  return text;
}

/** toShortFolderName throws for the few frameworks NuGet cannot name either ('portable-Profile1'). */
function writeOrUndefined(write: (f: NuGetFramework) => string, f: NuGetFramework): string | undefined {
  try {
    return write(f);
  } catch {
    return undefined;
  }
}
