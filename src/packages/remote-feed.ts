// The port `nugget replicate` reads another V3 feed through (the adapter is storage/remote/http-remote-feed.ts).

/** A nupkg downloaded to a temporary file; the caller removes it (or publishing moves it). */
export interface DownloadedPackage {
  readonly path: string;
  readonly size: number;
  /** Base64 SHA-512 of the file, as the catalog's packageHash prints it. */
  readonly sha512: string;
}

export interface RemoteFeed {
  /** A JSON document, or undefined on 404. Throws {@link RemoteFeedError} when the source fails for good. */
  getJson(url: string): Promise<unknown>;
  /** Downloads to a temporary file; undefined on 404. Throws {@link RemoteFeedError} like getJson. */
  download(url: string): Promise<DownloadedPackage | undefined>;
  /**
   * The source names this URL as its own (its service index, a resource the index lists): the credentials given
   * for the source may go to its origin. They go nowhere else: not to hosts that a catalog document or a redirect
   * names (a nupkg redirected to blob storage, a hostile leaf URL).
   */
  trust?(url: string): void;
}

/**
 * The source failed and retrying will not help: it refused the request (a 4xx other than 404, 408 and 429), sent
 * something that is not what the protocol says, or kept failing after every retry. The message is one line a
 * person can act on.
 */
export class RemoteFeedError extends Error {
  readonly url: string;
  /** The HTTP status of the last answer, when there was one. */
  readonly status: number | undefined;
  constructor(url: string, message: string, options?: ErrorOptions & { status?: number }) {
    super(message, options);
    this.name = 'RemoteFeedError';
    this.url = url;
    this.status = options?.status;
  }
}
