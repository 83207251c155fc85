// The only file of the web UI that spells a page's URL. Every page of a feed is under `/feeds/{name}/`, beside
// the feed's API under `/feeds/{name}/v3/` (docs/web-ui.md); `/` leads to the default feed's home.
const seg = encodeURIComponent;

export interface SearchParameters {
  readonly q?: string | undefined;
  readonly prerelease?: boolean | undefined;
  readonly packageType?: string | undefined;
  readonly page?: number | undefined;
}

export const pageUrls = {
  feedHome: (feed: string): string => `/feeds/${seg(feed)}/`,
  search(feed: string, parameters: SearchParameters): string {
    const query = new URLSearchParams();
    query.set('q', parameters.q ?? '');
    query.set('prerelease', String(parameters.prerelease ?? true));
    if (parameters.packageType) query.set('packageType', parameters.packageType);
    if (parameters.page && parameters.page > 1) query.set('page', String(parameters.page));
    return `/feeds/${seg(feed)}/?${query.toString()}`;
  },
  package: (feed: string, id: string, version?: string): string =>
    `/feeds/${seg(feed)}/packages/${seg(id)}/${version === undefined ? '' : `${seg(version)}/`}`,
  gettingStarted: (feed: string): string => `/feeds/${seg(feed)}/getting-started`,
  /** Sign-in lives beside the admin pages (sign-in-routes.ts). */
  signIn: (returnTo: string): string => `/ui/sign-in?next=${seg(returnTo)}`,
};
