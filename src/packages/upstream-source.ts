// The port an upstream feed reads another V3 feed through (docs/upstreams.md); the adapter is
// storage/remote/http-upstream-source.ts. It speaks domain values only: what it returns carries no URL of the
// upstream that a client could see (packages/upstream-entry.ts turns the upstream's documents into them).
import type { PackageVersion } from '../protocol/package-version.ts';
import type { PackageVulnerability } from '../protocol/vulnerability-info.ts';
import type { BreakerState } from './circuit-breaker.ts';
import type { SearchQuery } from './ports.ts';
import type { DownloadedPackage } from './remote-feed.ts';

/** One version as the upstream describes it; `version` has no blob (blobPrefix '') until it is cached. */
export interface UpstreamEntry {
  readonly version: PackageVersion;
  readonly vulnerabilities: readonly PackageVulnerability[];
}

export interface UpstreamSearchHit {
  readonly lowerId: string;
  /** The versions the upstream lists, lowest first; the last carries the metadata. */
  readonly entries: readonly UpstreamEntry[];
}

/** The upstream could not answer now: down, slow, refusing, breaker open, or an answer nugget cannot use. */
export class UpstreamUnavailable extends Error {
  /** Not asked at all: its circuit breaker is open (not a new failure of the upstream). */
  readonly breakerOpen: boolean;
  constructor(message: string, options?: ErrorOptions & { breakerOpen?: boolean }) {
    super(message, options);
    this.name = 'UpstreamUnavailable';
    this.breakerOpen = options?.breakerOpen ?? false;
  }
}

export interface UpstreamSource {
  /** Every version of the id; undefined when the upstream has no such id. Throws UpstreamUnavailable. */
  registration(lowerId: string): Promise<UpstreamEntry[] | undefined>;
  search(query: SearchQuery): Promise<{ totalHits: number; hits: UpstreamSearchHit[] }>;
  autocomplete(query: SearchQuery): Promise<{ totalHits: number; ids: string[] }>;
  /** The nupkg in a temporary file (the caller removes or moves it); undefined when the upstream has none. */
  download(lowerId: string, lowerVersion: string): Promise<DownloadedPackage | undefined>;
  /** The upstream's VulnerabilityInfo index URL, when its service index lists one (for mirroring it). */
  vulnerabilityInfoUrl(): Promise<string | undefined>;
  readonly breaker: BreakerState;
  close(): Promise<void>;
}
