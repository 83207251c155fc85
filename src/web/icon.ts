// A package's icon on a page: the embedded icon as the feed serves it, else the nuspec's iconUrl (http or https
// only, metadata-url.ts), else nugget's own.
import type { PackageVersion } from '../protocol/package-version.ts';
import { iconUrl } from '../protocol/registration.ts';
import type { ResourceUrls } from '../protocol/resource-urls.ts';
import type { StaticAssets } from './static-assets.ts';

export const iconOf = (urls: ResourceUrls, assets: StaticAssets, version: PackageVersion): string =>
  iconUrl(urls, version) ?? assets.url('icon.svg');
