// What a build asks a feed for, read from the files a build starts from (for `nugget prefetch`): a project file's
// PackageReference, PackageDownload and GlobalPackageReference items (versions from the item, or from
// Directory.Packages.props under central package management), its target frameworks, a solution's projects
// (.sln and .slnx), and a packages.lock.json (the exact graph restore resolved, transitive packages included).
// Pure: the caller reads the files. References:
// https://learn.microsoft.com/nuget/consume-packages/package-references-in-project-files
// https://learn.microsoft.com/nuget/consume-packages/central-package-management
// https://learn.microsoft.com/nuget/consume-packages/package-references-in-project-files#locking-dependencies
import { invalidInput } from '../errors.ts';
import { childElements, parseXmlTree, textOf, type XmlElement } from '../nuget/packaging/xml-tree.ts';
import { formatVersionRange, parseVersionRangeOrReason } from '../nuget/versioning/index.ts';

/** One package a build needs: an id and the versions it accepts (a NuGet range, or `x.*` floating). */
export interface PackageRequest {
  readonly id: string;
  /** A normalized NuGet range (`[1.0.0, )`, `[2.0.0]`), or a floating version as written (`1.*`). */
  readonly range: string;
  /** Where it was found, for messages. */
  readonly from: string;
}

export interface ProjectReferences {
  /** Target frameworks as written (`net10.0`, `netstandard2.0`). */
  readonly frameworks: readonly string[];
  readonly requests: readonly PackageRequest[];
  /** References without a version anywhere (left out of `requests`). */
  readonly unversioned: readonly string[];
  /** Whether the project turns central package management on. */
  readonly centrallyManaged: boolean;
}

const xmlLimits = (what: string) => ({
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 64,
  what,
  codePrefix: 'project',
});

/** Every element below `root` (document order). */
function* descendants(root: XmlElement): Generator<XmlElement> {
  for (const child of childElements(root)) {
    yield child;
    yield* descendants(child);
  }
}

/** An item's metadata, as an attribute or as a child element (`<Version>1.0</Version>`). */
function metadata(item: XmlElement, name: string): string | undefined {
  const attribute = [...item.attributes].find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
  if (attribute !== undefined) return attribute.trim();
  const child = childElements(item).find((c) => c.local.toLowerCase() === name.toLowerCase());
  return child ? textOf(child).trim() : undefined;
}

/** The first value of a property anywhere in the project (unconditional or not: prefetch wants every branch). */
function properties(project: XmlElement, name: string): string[] {
  return [...descendants(project)]
    .filter((e) => e.local.toLowerCase() === name.toLowerCase())
    .map((e) => textOf(e).trim())
    .filter((value) => value !== '' && !value.includes('$('));
}

/**
 * A version as a project writes it, as a normalized NuGet range: `1.2.3` means `[1.2.3, )`, `[1.2.3]` exactly,
 * `1.*` floats (kept as written). Undefined when it is an MSBuild expression (`$(Version)`), which needs a build.
 */
export function requestedRange(text: string, from: string): string | undefined {
  const value = text.trim();
  if (value === '' || value.includes('$(')) return undefined;
  if (value.includes('*')) {
    if (!/^[0-9A-Za-z.*-]+$/.test(value))
      throw invalidInput('invalid_project', `${from}: '${value}' is not a version.`);
    return value;
  }
  const range = parseVersionRangeOrReason(value);
  if (typeof range === 'string') throw invalidInput('invalid_project', `${from}: ${range}`);
  return formatVersionRange(range);
}

/** Directory.Packages.props: PackageVersion items (central package management), by lower id. */
export function parseCentralVersions(xml: string, file: string): Map<string, string> {
  const root = parseXmlTree(xml, xmlLimits(file));
  const versions = new Map<string, string>();
  for (const item of descendants(root)) {
    if (item.local !== 'PackageVersion') continue;
    const id = metadata(item, 'Include') ?? metadata(item, 'Update');
    const version = metadata(item, 'Version');
    if (id && version) versions.set(id.toLowerCase(), version);
  }
  return versions;
}

/**
 * A project file (.csproj, .fsproj, .vbproj, or a .props/.targets that holds items). `central` gives the versions
 * of Directory.Packages.props when the project is centrally managed.
 */
export function parseProjectFile(
  xml: string,
  file: string,
  central: ReadonlyMap<string, string> = new Map(),
): ProjectReferences {
  const root = parseXmlTree(xml, xmlLimits(file));
  const frameworks = [
    ...properties(root, 'TargetFramework'),
    ...properties(root, 'TargetFrameworks').flatMap((list) => list.split(';')),
  ]
    .map((f) => f.trim())
    .filter(Boolean);
  const centrallyManaged = properties(root, 'ManagePackageVersionsCentrally').some((v) => v === 'true');
  const requests: PackageRequest[] = [];
  const unversioned: string[] = [];
  for (const item of descendants(root)) {
    if (!['PackageReference', 'PackageDownload', 'GlobalPackageReference'].includes(item.local)) continue;
    const id = metadata(item, 'Include') ?? metadata(item, 'Update');
    if (!id || id.includes('$(')) continue;
    const from = `${file}: ${item.local} ${id}`;
    const written =
      metadata(item, 'VersionOverride') ?? metadata(item, 'Version') ?? central.get(id.toLowerCase());
    const range = written === undefined ? undefined : requestedRange(written, from);
    if (range === undefined) unversioned.push(id);
    else requests.push({ id, range, from });
  }
  return { frameworks: [...new Set(frameworks)], requests, unversioned, centrallyManaged };
}

/** The project paths (as written, relative to the solution) of a .sln or .slnx file. */
export function parseSolution(text: string, file: string): string[] {
  if (/\.slnx$/i.test(file)) {
    const root = parseXmlTree(text, xmlLimits(file));
    return [...descendants(root)]
      .filter((e) => e.local === 'Project')
      .map((e) => metadata(e, 'Path') ?? '')
      .filter((p) => /\.(cs|fs|vb)proj$/i.test(p));
  }
  // Project("{type guid}") = "Name", "relative\path.csproj", "{project guid}"
  const projects: string[] = [];
  for (const match of text.matchAll(/^\s*Project\("[^"]*"\)\s*=\s*"[^"]*"\s*,\s*"([^"]+)"/gm)) {
    const relative = (match[1] ?? '').replaceAll('\\', '/');
    if (/\.(cs|fs|vb)proj$/i.test(relative)) projects.push(relative);
  }
  return projects;
}

/**
 * packages.lock.json: `{ "version": 1|2, "dependencies": { "<tfm>": { "<id>": { "type", "resolved", ... } } } }`.
 * Every resolved package, as an exact request; project references (`"type": "Project"`) are not packages.
 */
export function parseLockFile(text: string, file: string): ProjectReferences {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw invalidInput('invalid_project', `${file} is not JSON: ${(error as Error).message}`);
  }
  const dependencies = (document as { dependencies?: unknown } | null)?.dependencies;
  if (!dependencies || typeof dependencies !== 'object')
    throw invalidInput('invalid_project', `${file} has no "dependencies": is it a packages.lock.json?`);
  const requests = new Map<string, PackageRequest>();
  const frameworks: string[] = [];
  for (const [framework, packages] of Object.entries(dependencies as Record<string, unknown>)) {
    frameworks.push(framework.split('/')[0] ?? framework);
    for (const [id, entry] of Object.entries((packages ?? {}) as Record<string, Record<string, unknown>>)) {
      if (String(entry?.['type']).toLowerCase() === 'project') continue;
      const resolved = entry?.['resolved'];
      const from = `${file}: ${framework} ${id}`;
      const exact = typeof resolved === 'string' ? parseVersionRangeOrReason(`[${resolved}]`) : 'missing';
      if (typeof exact === 'string')
        throw invalidInput('invalid_project', `${from} has no valid "resolved" version.`);
      const range = formatVersionRange(exact);
      requests.set(`${id.toLowerCase()}@${range}`, { id, range, from });
    }
  }
  return {
    frameworks: [...new Set(frameworks)],
    requests: [...requests.values()],
    unversioned: [],
    centrallyManaged: false,
  };
}
