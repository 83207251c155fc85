import type { DownloadCounter } from '../packages/download-counter.ts';
import type { DeleteBehavior } from '../packages/manage-package.ts';
import type {
  AdvisoryStore,
  BlobStore,
  CatalogStore,
  Clock,
  PackageStore,
  SearchIndex,
  SymbolStore,
} from '../packages/ports.ts';

/** What the HTTP layer needs; built in compose.ts. */
export interface Feed {
  readonly packages: PackageStore;
  readonly search: SearchIndex;
  readonly blobs: BlobStore;
  readonly catalog: CatalogStore;
  readonly advisories: AdvisoryStore;
  readonly symbols: SymbolStore;
  readonly clock: Clock;
  readonly downloads: DownloadCounter;
  readonly options: FeedOptions;
}

export interface FeedOptions {
  readonly apiKey?: string | undefined;
  readonly publicUrl?: string | undefined;
  readonly trustProxy: boolean;
  readonly maxPackageSize: number;
  readonly deleteBehavior: DeleteBehavior;
  readonly tempDir: string;
  readonly packageDetailsUrl?: string | undefined;
  readonly reportAbuseUrl?: string | undefined;
}
