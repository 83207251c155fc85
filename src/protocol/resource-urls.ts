// The only file that spells a URL (docs/architecture.md rule 7). Every URL is absolute and built from the
// public base URL (configured, or the scheme and host the client reached), so an https index never lists an
// http resource (NU1302, ../shared/spec/reference/NU1302.md).

/** The three registration hives of ../shared/spec/nuget-api/registration-base-url-resource.md. */
export type RegistrationHive = 'semver1' | 'semver1-gz' | 'semver2-gz';

const hivePaths: Record<RegistrationHive, string> = {
  semver1: 'registration',
  'semver1-gz': 'registration-gz',
  'semver2-gz': 'registration-gz-semver2',
};

export const registrationHiveFromPath = (path: string): RegistrationHive | undefined =>
  (Object.keys(hivePaths) as RegistrationHive[]).find((hive) => hivePaths[hive] === path);

export const registrationHivePaths = Object.values(hivePaths);

const seg = encodeURIComponent;

export interface ResourceUrls {
  readonly serviceIndex: string;
  readonly packagePublish: string;
  readonly packageBaseAddress: string;
  readonly searchQuery: string;
  readonly autocomplete: string;
  readonly catalogIndex: string;
  /** The ReadmeUriTemplate: {lower_id} and {lower_version} are placeholders the client fills in. */
  readonly readmeTemplate: string;
  catalogPage(page: number): string;
  catalogLeaf(seq: number, lowerId: string, lowerVersion: string): string;
  readonly vulnerabilityIndex: string;
  vulnerabilityPage(name: string): string;
  readonly symbolPackagePublish: string;
  /** The symbol server root, for debuggers: files live at `{symbolServer}/{file}/{key}/{file}` (SSQP). */
  readonly symbolServer: string;
  symbolFile(fileName: string, symbolKey: string): string;
  registrationsBase(hive: RegistrationHive): string;
  registrationIndex(hive: RegistrationHive, lowerId: string): string;
  registrationPage(hive: RegistrationHive, lowerId: string, lower: string, upper: string): string;
  registrationLeaf(hive: RegistrationHive, lowerId: string, lowerVersion: string): string;
  versionList(lowerId: string): string;
  nupkg(lowerId: string, lowerVersion: string): string;
  nuspec(lowerId: string, lowerVersion: string): string;
  embeddedFile(lowerId: string, lowerVersion: string, kind: 'readme' | 'icon' | 'license'): string;
}

/**
 * Where a feed's URLs start (docs/feeds.md): `{base}/feeds/{name}` for a feed addressed by name, and `{base}` itself
 * for the default feed reached at `/v3/index.json` (feed undefined), whose documents then keep the `/v3/` URLs
 * every client and replica saw before feeds existed.
 */
export const feedBaseUrl = (baseUrl: string, feed: string | undefined): string => {
  const base = baseUrl.replace(/\/+$/, '');
  return feed === undefined ? base : `${base}/feeds/${seg(feed)}`;
};

/** The path every feed's URLs are under, for routing: `/feeds/{name}`. */
export const feedPathPattern = '/feeds/:feed';

/** `baseUrl` is scheme, host and any path prefix, without a trailing slash: 'https://nuget.example.com/feed'. */
export function resourceUrls(baseUrl: string): ResourceUrls {
  const v3 = `${baseUrl.replace(/\/+$/, '')}/v3`;
  const flat = `${v3}/flatcontainer/`;
  const hive = (h: RegistrationHive) => `${v3}/${hivePaths[h]}/`;
  return {
    serviceIndex: `${v3}/index.json`,
    packagePublish: `${v3}/package`,
    packageBaseAddress: flat,
    searchQuery: `${v3}/search`,
    autocomplete: `${v3}/autocomplete`,
    catalogIndex: `${v3}/catalog/index.json`,
    readmeTemplate: `${flat}{lower_id}/{lower_version}/readme`,
    catalogPage: (page) => `${v3}/catalog/page${page}.json`,
    catalogLeaf: (seq, lowerId, lowerVersion) =>
      `${v3}/catalog/data/${seq}/${seg(lowerId)}.${seg(lowerVersion)}.json`,
    vulnerabilityIndex: `${v3}/vulnerabilities/index.json`,
    vulnerabilityPage: (name) => `${v3}/vulnerabilities/${seg(name)}.json`,
    symbolPackagePublish: `${v3}/symbol-package`,
    symbolServer: `${v3}/symbols`,
    symbolFile: (fileName, symbolKey) => `${v3}/symbols/${seg(fileName)}/${seg(symbolKey)}/${seg(fileName)}`,
    registrationsBase: hive,
    registrationIndex: (h, lowerId) => `${hive(h)}${seg(lowerId)}/index.json`,
    registrationPage: (h, lowerId, lower, upper) =>
      `${hive(h)}${seg(lowerId)}/page/${seg(lower.toLowerCase())}/${seg(upper.toLowerCase())}.json`,
    registrationLeaf: (h, lowerId, lowerVersion) => `${hive(h)}${seg(lowerId)}/${seg(lowerVersion)}.json`,
    versionList: (lowerId) => `${flat}${seg(lowerId)}/index.json`,
    nupkg: (lowerId, lowerVersion) =>
      `${flat}${seg(lowerId)}/${seg(lowerVersion)}/${seg(lowerId)}.${seg(lowerVersion)}.nupkg`,
    nuspec: (lowerId, lowerVersion) => `${flat}${seg(lowerId)}/${seg(lowerVersion)}/${seg(lowerId)}.nuspec`,
    embeddedFile: (lowerId, lowerVersion, kind) => `${flat}${seg(lowerId)}/${seg(lowerVersion)}/${kind}`,
  };
}
