// The .nuspec manifest: every metadata element of
// https://learn.microsoft.com/nuget/reference/nuspec (../../../../shared/spec/reference/nuspec.md),
// read the way NuGet's NuspecReader reads it (values trimmed, first element wins, booleans are
// "true" ignoring case, dependency groups win over a flat list).
import { invalidInput, isNuggetError, type NuggetError } from '../../errors.ts';
import { normalizeTargetFramework } from '../frameworks/index.ts';
import {
  type NuGetVersion,
  parseVersion,
  parseVersionRange,
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

function attribute(element: XmlElement, name: string): string | undefined {
  const value = element.attributes.get(name)?.trim();
  return value === undefined || value === '' ? undefined : value;
}

// NuspecReader compares with bool.TrueString ignoring case: anything else, or nothing, is false.
const isTrue = (value: string | undefined): boolean => value?.toLowerCase() === 'true';

const splitList = (value: string | undefined, separator: RegExp): string[] =>
  value === undefined ? [] : value.split(separator).filter((part) => part !== '');

function targetFramework(raw: string, where: string): string {
  if (raw === '') return '';
  try {
    return normalizeTargetFramework(raw);
  } catch (error) {
    throw fail(
      'nuspec_invalid_target_framework',
      `nuspec ${where} has an invalid targetFramework '${raw}': ${reasonOf(error)}`,
      error,
    );
  }
}

function readDependency(element: XmlElement, where: string): PackageDependency {
  const id = attribute(element, 'id');
  if (id === undefined)
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

function readDependencyGroups(metadata: XmlElement): DependencyGroup[] {
  const dependencies = firstChild(metadata, 'dependencies');
  if (dependencies === undefined) return [];
  const groups = childElements(dependencies, 'group');
  if (groups.length > 0) {
    // As NuspecReader does: once there are groups, a flat list beside them is ignored
    // (the docs say the two "cannot be intermixed").
    return groups.map((group) => {
      const rawTargetFramework = attribute(group, 'targetFramework') ?? '';
      const where =
        rawTargetFramework === ''
          ? 'in the group without targetFramework'
          : `in group '${rawTargetFramework}'`;
      return {
        targetFramework: targetFramework(rawTargetFramework, `<dependencies> <group>`),
        rawTargetFramework,
        dependencies: childElements(group, 'dependency').map((element) => readDependency(element, where)),
      };
    });
  }
  const flat = childElements(dependencies, 'dependency');
  if (flat.length === 0) return [];
  return [
    {
      targetFramework: '',
      rawTargetFramework: '',
      dependencies: flat.map((element) => readDependency(element, 'in <dependencies>')),
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
    return { name, version: attribute(packageType, 'version') };
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
    return { assemblyName, targetFramework: attribute(assembly, 'targetFramework') ?? '' };
  });
}

function readFrameworkReferenceGroups(metadata: XmlElement): FrameworkReferenceGroup[] {
  const element = firstChild(metadata, 'frameworkReferences');
  if (element === undefined) return [];
  return childElements(element, 'group').map((group) => {
    const rawTargetFramework = attribute(group, 'targetFramework') ?? '';
    const references = childElements(group, 'frameworkReference').map((reference) => {
      const name = attribute(reference, 'name');
      if (name === undefined) {
        throw fail('nuspec_invalid_framework_reference', 'nuspec has a <frameworkReference> with no name');
      }
      return name;
    });
    return {
      targetFramework: targetFramework(rawTargetFramework, '<frameworkReferences> <group>'),
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
      const rawTargetFramework = attribute(group, 'targetFramework') ?? '';
      return {
        targetFramework: targetFramework(rawTargetFramework, '<references> <group>'),
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
    const copyToOutput = attribute(files, 'copyToOutput');
    if (copyToOutput !== undefined) entry.copyToOutput = isTrue(copyToOutput);
    const flatten = attribute(files, 'flatten');
    if (flatten !== undefined) entry.flatten = isTrue(flatten);
    return entry;
  });
}

/**
 * Parses and validates a nuspec. Throws NuggetError InvalidInput with a stable code per failure:
 * nuspec_too_large, nuspec_invalid_encoding, nuspec_doctype, nuspec_too_deep, nuspec_malformed,
 * nuspec_not_package, nuspec_missing_metadata, nuspec_missing_element, nuspec_invalid_id,
 * nuspec_invalid_version, nuspec_invalid_dependency_id, nuspec_invalid_dependency_range,
 * nuspec_invalid_target_framework, nuspec_invalid_license, nuspec_invalid_package_type,
 * nuspec_invalid_framework_assembly, nuspec_invalid_framework_reference, nuspec_invalid_reference,
 * nuspec_invalid_content_files.
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
  const metadata = firstChild(root, 'metadata');
  if (metadata === undefined)
    throw fail('nuspec_missing_metadata', 'nuspec is missing <metadata> under <package>');

  const id = requiredText(metadata, 'id');
  const idProblem = packageIdProblem(id);
  if (idProblem !== undefined) throw fail('nuspec_invalid_id', `nuspec <id> is invalid: ${idProblem}`);

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
  const description = requiredText(metadata, 'description');
  const authors = requiredText(metadata, 'authors');

  const nuspec: { -readonly [K in keyof Nuspec]: Nuspec[K] } = {
    id,
    version,
    authors,
    description,
    tags: splitList(optionalText(metadata, 'tags'), /[\s,]+/),
    requireLicenseAcceptance: isTrue(optionalText(metadata, 'requireLicenseAcceptance')),
    developmentDependency: isTrue(optionalText(metadata, 'developmentDependency')),
    serviceable: isTrue(optionalText(metadata, 'serviceable')),
    packageTypes: readPackageTypes(metadata),
    dependencyGroups: readDependencyGroups(metadata),
    frameworkAssemblies: readFrameworkAssemblies(metadata),
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
  const minClientVersion = attribute(metadata, 'minClientVersion');
  if (minClientVersion !== undefined) nuspec.minClientVersion = minClientVersion;
  return nuspec;
}
