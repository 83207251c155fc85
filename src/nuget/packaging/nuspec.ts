// The .nuspec manifest: every metadata element of
// https://learn.microsoft.com/nuget/reference/nuspec (../../../../shared/spec/reference/nuspec.md),
// read the way NuGet's NuspecReader reads it (values trimmed, elements in <metadata>'s default namespace,
// dependency groups win over a flat list). What the client parses strictly on restore or `dotnet add package`
// (NuspecCoreReaderBase, NuspecReader, NuspecUtility) is validated the same way here, so that no package this
// server accepts breaks a client; where nuget.org is stricter on upload (ManifestValidator, PackageMetadata:
// one element of each name, booleans, package type names, 64-character versions) its rule is followed too.
import { invalidInput, isNuggetError, type NuggetError } from '../../errors.ts';
import { frameworkParseFailure, isSystemVersion, normalizeTargetFramework } from '../frameworks/index.ts';
import {
  type NuGetVersion,
  parseVersion,
  parseVersionRange,
  toNormalizedString,
  tryParseVersion,
  type VersionRange,
} from '../versioning/index.ts';
import { packageIdProblem } from './package-id.ts';
import { childElements, firstChild, parseXmlTree, textOf, type XmlElement } from './xml-tree.ts';

export interface PackageDependency {
  readonly id: string;
  readonly range: VersionRange;
  /** The include/exclude tags as written (comma-separated in the nuspec), e.g. ['runtime', 'compile']. */
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

export interface DependencyGroup {
  /** Normalized target framework; '' means any framework (no targetFramework attribute, or a flat list). */
  readonly targetFramework: string;
  readonly rawTargetFramework: string;
  readonly dependencies: readonly PackageDependency[];
}

export interface PackageType {
  readonly name: string;
  readonly version: string | undefined;
}

export interface FrameworkAssembly {
  readonly assemblyName: string;
  /** As written: it may be a comma-separated list ("net40-client, net40") or '' for every framework. */
  readonly targetFramework: string;
}

export interface FrameworkReferenceGroup {
  readonly targetFramework: string;
  readonly rawTargetFramework: string;
  readonly references: readonly string[];
}

export interface ReferenceGroup {
  readonly targetFramework: string;
  readonly rawTargetFramework: string;
  readonly files: readonly string[];
}

export interface ContentFilesEntry {
  readonly include: string;
  readonly exclude?: string;
  readonly buildAction?: string;
  readonly copyToOutput?: boolean;
  readonly flatten?: boolean;
}

export interface NuspecLicense {
  readonly type: 'expression' | 'file';
  readonly value: string;
  readonly version?: string;
}

export interface NuspecRepository {
  readonly type?: string;
  readonly url?: string;
  readonly branch?: string;
  readonly commit?: string;
}

export interface Nuspec {
  readonly id: string;
  readonly version: NuGetVersion;
  readonly title?: string;
  readonly authors: string;
  readonly owners?: string;
  readonly description: string;
  readonly summary?: string;
  readonly releaseNotes?: string;
  readonly copyright?: string;
  readonly language?: string;
  /** Split on whitespace and commas, empties dropped. */
  readonly tags: readonly string[];
  readonly projectUrl?: string;
  readonly iconUrl?: string;
  readonly icon?: string;
  readonly readme?: string;
  readonly license?: NuspecLicense;
  readonly licenseUrl?: string;
  readonly requireLicenseAcceptance: boolean;
  readonly developmentDependency: boolean;
  readonly serviceable: boolean;
  readonly minClientVersion?: string;
  readonly repository?: NuspecRepository;
  readonly packageTypes: readonly PackageType[];
  /** A flat <dependency> list becomes one group with targetFramework ''; empty groups are kept. */
  readonly dependencyGroups: readonly DependencyGroup[];
  readonly frameworkAssemblies: readonly FrameworkAssembly[];
  readonly frameworkReferenceGroups: readonly FrameworkReferenceGroup[];
  /** <references>: a flat list becomes one group with targetFramework ''. */
  readonly referenceGroups: readonly ReferenceGroup[];
  readonly contentFiles: readonly ContentFilesEntry[];
}

export const maxNuspecBytes = 1024 * 1024;
/** nuget.org's limit (NuGet.Services.Entities Constants.MaxPackageVersionLength), on the version as written and normalized. */
export const maxVersionLength = 64;
/** Real nuspecs nest 5 levels (package/metadata/dependencies/group/dependency); 32 leaves room. */
export const maxNuspecDepth = 32;

const fail = (code: string, message: string, cause?: unknown): NuggetError =>
  invalidInput(code, message, cause === undefined ? undefined : { cause });

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The trimmed text of the first <local> child, or undefined when absent or empty. */
function optionalText(metadata: XmlElement, local: string): string | undefined {
  const element = firstChild(metadata, local);
  if (element === undefined) return undefined;
  const value = textOf(element).trim();
  return value === '' ? undefined : value;
}

function requiredText(metadata: XmlElement, local: string): string {
  const value = optionalText(metadata, local);
  if (value === undefined) {
    const present = firstChild(metadata, local) !== undefined;
    throw fail('nuspec_missing_element', `nuspec ${present ? 'has an empty' : 'is missing'} <${local}>`);
  }
  return value;
}

/** The attribute as written: NuGet reads most attributes without trimming them. */
const rawAttribute = (element: XmlElement, name: string): string | undefined => element.attributes.get(name);

function attribute(element: XmlElement, name: string): string | undefined {
  const value = element.attributes.get(name)?.trim();
  return value === undefined || value === '' ? undefined : value;
}

const isTrue = (value: string | undefined): boolean => value?.toLowerCase() === 'true';

/**
 * A boolean element: absent is false; present it must be true or false (any case, trimmed). The client's
 * GetDevelopmentDependency is bool.Parse (an empty or other value fails `dotnet add package`), and nuget.org
 * refuses other values of all three (PackageMetadata.BooleanMetadataElements).
 */
function booleanElement(metadata: XmlElement, local: string): boolean {
  const element = firstChild(metadata, local);
  if (element === undefined) return false;
  const value = textOf(element).trim();
  if (!/^(true|false)$/i.test(value)) {
    throw fail('nuspec_invalid_boolean', `nuspec <${local}> is '${value}'; it must be true or false`);
  }
  return isTrue(value);
}

const splitList = (value: string | undefined, separator: RegExp): string[] =>
  value === undefined ? [] : value.split(separator).filter((part) => part !== '');

/** Refuses a targetFramework that NuGetFramework.Parse throws for: the client parses each one on restore. */
function checkClientFramework(raw: string, where: string): void {
  const failure = frameworkParseFailure(raw);
  if (failure !== undefined) {
    throw fail(
      'nuspec_invalid_target_framework',
      `nuspec ${where} has a targetFramework '${raw}' that NuGet cannot parse: ${failure}`,
    );
  }
}

/** The normalized framework of a group whose targetFramework is `raw` as written (absent: ''). */
function targetFramework(raw: string | undefined, where: string): string {
  if (raw === undefined || raw === '') return '';
  checkClientFramework(raw, where);
  return normalizeTargetFramework(raw.trim());
}

function readDependency(element: XmlElement, where: string): PackageDependency {
  // The client takes the id as written: ' A' is another id than 'A' (and not a valid one).
  const id = rawAttribute(element, 'id');
  if (id === undefined || id === '')
    throw fail('nuspec_invalid_dependency_id', `nuspec has a <dependency> ${where} with no id`);
  const problem = packageIdProblem(id);
  if (problem !== undefined) {
    throw fail(
      'nuspec_invalid_dependency_id',
      `nuspec <dependency id="${id}"> ${where} is invalid: ${problem}`,
    );
  }
  const rangeText = attribute(element, 'version') ?? '';
  let range: VersionRange;
  try {
    range = parseVersionRange(rangeText);
  } catch (error) {
    throw fail(
      'nuspec_invalid_dependency_range',
      `nuspec <dependency id="${id}" version="${rangeText}"> ${where} has an invalid version range: ${reasonOf(error)}`,
      error,
    );
  }
  return {
    id,
    range,
    include: splitList(element.attributes.get('include')?.trim(), /\s*,\s*/),
    exclude: splitList(element.attributes.get('exclude')?.trim(), /\s*,\s*/),
  };
}

/** nuget.org refuses a group that names one dependency twice (ManifestValidator, Manifest_DuplicateDependency). */
function withoutDuplicates(dependencies: PackageDependency[], where: string): PackageDependency[] {
  const seen = new Set<string>();
  for (const dependency of dependencies) {
    const key = dependency.id.toLowerCase();
    if (seen.has(key)) {
      throw fail(
        'nuspec_duplicate_dependency',
        `nuspec names dependency '${dependency.id}' twice ${where}; list each package once per group`,
      );
    }
    seen.add(key);
  }
  return dependencies;
}

function readDependencyGroups(metadata: XmlElement): DependencyGroup[] {
  const dependencies = firstChild(metadata, 'dependencies');
  if (dependencies === undefined) return [];
  const groups = childElements(dependencies, 'group');
  if (groups.length > 0) {
    // As NuspecReader does: once there are groups, a flat list beside them is ignored
    // (the docs say the two "cannot be intermixed").
    return groups.map((group) => {
      const raw = rawAttribute(group, 'targetFramework');
      const rawTargetFramework = raw?.trim() ?? '';
      const where =
        rawTargetFramework === ''
          ? 'in the group without targetFramework'
          : `in group '${rawTargetFramework}'`;
      return {
        targetFramework: targetFramework(raw, `<dependencies> <group>`),
        rawTargetFramework,
        dependencies: withoutDuplicates(
          childElements(group, 'dependency').map((element) => readDependency(element, where)),
          where,
        ),
      };
    });
  }
  const flat = childElements(dependencies, 'dependency');
  if (flat.length === 0) return [];
  return [
    {
      targetFramework: '',
      rawTargetFramework: '',
      dependencies: withoutDuplicates(
        flat.map((element) => readDependency(element, 'in <dependencies>')),
        'in <dependencies>',
      ),
    },
  ];
}

function readLicense(metadata: XmlElement): NuspecLicense | undefined {
  const element = firstChild(metadata, 'license');
  if (element === undefined) return undefined;
  const value = textOf(element).trim();
  const type = attribute(element, 'type')?.toLowerCase();
  if (type !== 'expression' && type !== 'file') {
    throw fail(
      'nuspec_invalid_license',
      `nuspec <license> has type '${element.attributes.get('type') ?? ''}'; use type="expression" or type="file"`,
    );
  }
  if (value === '') throw fail('nuspec_invalid_license', `nuspec <license type="${type}"> is empty`);
  const version = attribute(element, 'version');
  // NuspecReader reports a version that is not a System.Version as an error, which nuget.org refuses.
  if (version !== undefined && !isSystemVersion(version)) {
    throw fail('nuspec_invalid_license', `nuspec <license version="${version}"> is not a version like 1.0.0`);
  }
  return version === undefined ? { type, value } : { type, value, version };
}

function readRepository(metadata: XmlElement): NuspecRepository | undefined {
  const element = firstChild(metadata, 'repository');
  if (element === undefined) return undefined;
  const repository: { type?: string; url?: string; branch?: string; commit?: string } = {};
  for (const name of ['type', 'url', 'branch', 'commit'] as const) {
    const value = attribute(element, name);
    if (value !== undefined) repository[name] = value;
  }
  return repository;
}

function readPackageTypes(metadata: XmlElement): PackageType[] {
  const element = firstChild(metadata, 'packageTypes');
  if (element === undefined) return [];
  return childElements(element, 'packageType').map((packageType) => {
    const name = attribute(packageType, 'name');
    if (name === undefined)
      throw fail('nuspec_invalid_package_type', 'nuspec has a <packageType> with no name');
    // nuget.org refuses a name that is not a valid package id (PackageMetadata.FromNuspecReader).
    const problem = packageIdProblem(name);
    if (problem !== undefined) {
      throw fail('nuspec_invalid_package_type', `nuspec <packageType name="${name}"> is invalid: ${problem}`);
    }
    // The client parses the version with System.Version.TryParse, untrimmed, and throws (NuspecUtility).
    const version = rawAttribute(packageType, 'version');
    if (version !== undefined && !isSystemVersion(version)) {
      throw fail(
        'nuspec_invalid_package_type',
        `nuspec <packageType name="${name}" version="${version}"> has a version that is not like 1.0`,
      );
    }
    return { name, version: version?.trim() || undefined };
  });
}

function readFrameworkAssemblies(metadata: XmlElement): FrameworkAssembly[] {
  const element = firstChild(metadata, 'frameworkAssemblies');
  if (element === undefined) return [];
  return childElements(element, 'frameworkAssembly').map((assembly) => {
    const assemblyName = attribute(assembly, 'assemblyName');
    if (assemblyName === undefined) {
      throw fail(
        'nuspec_invalid_framework_assembly',
        'nuspec has a <frameworkAssembly> with no assemblyName',
      );
    }
    const frameworks = attribute(assembly, 'targetFramework') ?? '';
    for (const framework of frameworks.split(',').filter((part) => part !== '')) {
      checkClientFramework(framework.trim(), '<frameworkAssembly>');
    }
    return { assemblyName, targetFramework: frameworks };
  });
}

function readFrameworkReferenceGroups(metadata: XmlElement): FrameworkReferenceGroup[] {
  const element = firstChild(metadata, 'frameworkReferences');
  if (element === undefined) return [];
  return childElements(element, 'group').map((group) => {
    const raw = rawAttribute(group, 'targetFramework');
    // NuspecUtility passes the attribute to NuGetFramework.Parse as it is: a missing one throws.
    if (raw === undefined) {
      throw fail(
        'nuspec_invalid_target_framework',
        'nuspec has a <frameworkReferences> <group> without targetFramework; NuGet needs one',
      );
    }
    const rawTargetFramework = raw.trim();
    const references = childElements(group, 'frameworkReference').map((reference) => {
      const name = attribute(reference, 'name');
      if (name === undefined) {
        throw fail('nuspec_invalid_framework_reference', 'nuspec has a <frameworkReference> with no name');
      }
      return name;
    });
    return {
      targetFramework: targetFramework(raw, '<frameworkReferences> <group>'),
      rawTargetFramework,
      references,
    };
  });
}

function readReferenceFiles(parent: XmlElement): string[] {
  return childElements(parent, 'reference').map((reference) => {
    const file = attribute(reference, 'file');
    if (file === undefined) throw fail('nuspec_invalid_reference', 'nuspec has a <reference> with no file');
    return file;
  });
}

function readReferenceGroups(metadata: XmlElement): ReferenceGroup[] {
  const element = firstChild(metadata, 'references');
  if (element === undefined) return [];
  const groups = childElements(element, 'group');
  if (groups.length > 0) {
    return groups.map((group) => {
      const raw = rawAttribute(group, 'targetFramework');
      const rawTargetFramework = raw?.trim() ?? '';
      return {
        targetFramework: targetFramework(raw, '<references> <group>'),
        rawTargetFramework,
        files: readReferenceFiles(group),
      };
    });
  }
  const files = readReferenceFiles(element);
  return files.length === 0 ? [] : [{ targetFramework: '', rawTargetFramework: '', files }];
}

function readContentFiles(metadata: XmlElement): ContentFilesEntry[] {
  const element = firstChild(metadata, 'contentFiles');
  if (element === undefined) return [];
  return childElements(element, 'files').map((files) => {
    const include = attribute(files, 'include');
    if (include === undefined) {
      throw fail('nuspec_invalid_content_files', 'nuspec has a <contentFiles> <files> with no include');
    }
    const entry: {
      include: string;
      exclude?: string;
      buildAction?: string;
      copyToOutput?: boolean;
      flatten?: boolean;
    } = { include };
    const exclude = attribute(files, 'exclude');
    if (exclude !== undefined) entry.exclude = exclude;
    const buildAction = attribute(files, 'buildAction');
    if (buildAction !== undefined) entry.buildAction = buildAction;
    // NuspecReader.AttributeAsNullableBool: the value as written must be true or false (any case), or restore
    // throws while it reads the package's content files.
    for (const name of ['copyToOutput', 'flatten'] as const) {
      const value = rawAttribute(files, name);
      if (value === undefined) continue;
      if (!/^(true|false)$/i.test(value)) {
        throw fail(
          'nuspec_invalid_content_files',
          `nuspec <contentFiles> <files include="${include}" ${name}="${value}"> must be true or false`,
        );
      }
      entry[name] = isTrue(value);
    }
    return entry;
  });
}

/**
 * The elements of `element` that NuGet sees: those in namespace `ns`, at every level (NuspecReader looks each
 * one up by name in the default namespace of <metadata>). Elements in other namespaces are left out.
 */
function inNamespace(element: XmlElement, ns: string): XmlElement {
  return {
    ...element,
    content: element.content.flatMap((item): (XmlElement | string)[] =>
      typeof item === 'string' ? [item] : item.uri === ns ? [inNamespace(item, ns)] : [],
    ),
  };
}

/** nuget.org refuses a nuspec that repeats a metadata element (Manifest_DuplicateMetadataElements). */
function checkNoDuplicates(metadata: XmlElement): void {
  const seen = new Set<string>();
  for (const child of childElements(metadata)) {
    if (seen.has(child.local)) {
      throw fail(
        'nuspec_duplicate_element',
        `nuspec has more than one <${child.local}>; readers disagree on which one counts, so give it once`,
      );
    }
    seen.add(child.local);
  }
}

/** A required element that is only present in another namespace: NuGet would not find it. */
function checkRequiredNamespace(metadata: XmlElement, view: XmlElement, local: string): void {
  const element = firstChild(metadata, local);
  if (element !== undefined && firstChild(view, local) === undefined) {
    throw fail(
      'nuspec_missing_element',
      `nuspec has <${local}> in namespace '${element.uri}', but NuGet reads the elements of <metadata> only in ` +
        `its default namespace '${metadata.defaultNamespace}'`,
    );
  }
}

function readId(metadata: XmlElement): string {
  const id = requiredText(metadata, 'id');
  // NuspecCoreReaderBase.GetId does not trim: the client would see another id than this server.
  const element = firstChild(metadata, 'id') as XmlElement;
  if (textOf(element) !== id) {
    throw fail('nuspec_invalid_id', `nuspec <id> '${id}' has white space around it; write the id alone`);
  }
  const idProblem = packageIdProblem(id);
  if (idProblem !== undefined) throw fail('nuspec_invalid_id', `nuspec <id> is invalid: ${idProblem}`);
  return id;
}

function readVersion(metadata: XmlElement): NuGetVersion {
  const versionText = requiredText(metadata, 'version');
  let version: NuGetVersion;
  try {
    version = parseVersion(versionText);
  } catch (error) {
    if (!isNuggetError(error)) throw error;
    throw fail(
      'nuspec_invalid_version',
      `nuspec <version> '${versionText}' is not a valid NuGet version: ${reasonOf(error)}`,
      error,
    );
  }
  // Versions name files and URLs on every client; nuget.org stores at most 64 characters of each form.
  const longest = Math.max(versionText.length, toNormalizedString(version).length);
  if (longest > maxVersionLength) {
    throw fail(
      'nuspec_invalid_version',
      `nuspec <version> '${versionText.slice(0, 80)}${versionText.length > 80 ? '…' : ''}' is ${longest} characters ` +
        `long; versions may have at most ${maxVersionLength}`,
    );
  }
  return version;
}

/** NuspecCoreReaderBase.GetMinClientVersion: NuGetVersion.Parse of the attribute when present, even empty. */
function readMinClientVersion(metadata: XmlElement): string | undefined {
  const value = rawAttribute(metadata, 'minClientVersion');
  if (value === undefined) return undefined;
  if (tryParseVersion(value) === undefined) {
    throw fail(
      'nuspec_invalid_min_client_version',
      `nuspec <metadata minClientVersion="${value}"> is not a version; write the lowest NuGet version the ` +
        'package needs, like 5.10, or leave the attribute out',
    );
  }
  return value.trim();
}

/**
 * Parses and validates a nuspec. Throws NuggetError InvalidInput with a stable code per failure:
 * nuspec_too_large, nuspec_invalid_encoding, nuspec_doctype, nuspec_too_deep, nuspec_malformed,
 * nuspec_not_package, nuspec_missing_metadata, nuspec_missing_element, nuspec_invalid_id,
 * nuspec_invalid_version, nuspec_invalid_dependency_id, nuspec_invalid_dependency_range,
 * nuspec_invalid_target_framework, nuspec_invalid_license, nuspec_invalid_package_type,
 * nuspec_invalid_framework_assembly, nuspec_invalid_framework_reference, nuspec_invalid_reference,
 * nuspec_invalid_content_files, nuspec_duplicate_element, nuspec_duplicate_dependency, nuspec_invalid_boolean,
 * nuspec_invalid_min_client_version.
 */
export function parseNuspec(xml: string | Uint8Array): Nuspec {
  const root = parseXmlTree(xml, {
    maxBytes: maxNuspecBytes,
    maxDepth: maxNuspecDepth,
    what: 'nuspec',
    codePrefix: 'nuspec',
  });
  if (root.local !== 'package') {
    throw fail('nuspec_not_package', `the nuspec's root element is <${root.local}>; it must be <package>`);
  }
  const declared = firstChild(root, 'metadata');
  if (declared === undefined)
    throw fail('nuspec_missing_metadata', 'nuspec is missing <metadata> under <package>');
  checkNoDuplicates(declared);
  const metadata = inNamespace(declared, declared.defaultNamespace);
  for (const local of ['id', 'version', 'description', 'authors'])
    checkRequiredNamespace(declared, metadata, local);

  const id = readId(metadata);
  const version = readVersion(metadata);
  const description = requiredText(metadata, 'description');
  const authors = requiredText(metadata, 'authors');

  const nuspec: { -readonly [K in keyof Nuspec]: Nuspec[K] } = {
    id,
    version,
    authors,
    description,
    tags: splitList(optionalText(metadata, 'tags'), /[\s,]+/),
    requireLicenseAcceptance: booleanElement(metadata, 'requireLicenseAcceptance'),
    developmentDependency: booleanElement(metadata, 'developmentDependency'),
    serviceable: booleanElement(metadata, 'serviceable'),
    packageTypes: readPackageTypes(metadata),
    dependencyGroups: readDependencyGroups(metadata),
    // NuspecReader looks these up in the root's default namespace, not in <metadata>'s.
    frameworkAssemblies: readFrameworkAssemblies(inNamespace(declared, root.defaultNamespace)),
    frameworkReferenceGroups: readFrameworkReferenceGroups(metadata),
    referenceGroups: readReferenceGroups(metadata),
    contentFiles: readContentFiles(metadata),
  };
  const optional = [
    'title',
    'owners',
    'summary',
    'releaseNotes',
    'copyright',
    'language',
    'projectUrl',
    'iconUrl',
    'icon',
    'readme',
    'licenseUrl',
  ] as const;
  for (const name of optional) {
    const value = optionalText(metadata, name);
    if (value !== undefined) nuspec[name] = value;
  }
  const license = readLicense(metadata);
  if (license !== undefined) nuspec.license = license;
  const repository = readRepository(metadata);
  if (repository !== undefined) nuspec.repository = repository;
  const minClientVersion = readMinClientVersion(declared);
  if (minClientVersion !== undefined) nuspec.minClientVersion = minClientVersion;
  return nuspec;
}
