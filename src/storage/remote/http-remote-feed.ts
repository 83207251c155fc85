// Reads another V3 feed over HTTP(S) for `nugget replicate`: JSON documents and nupkg downloads to a file.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { gunzipSync } from 'node:zlib';
import type { RemoteFeed } from '../../packages/replicate-feed.ts';

export interface HttpRemoteFeedOptions {
  readonly tempDir: string;
  /** Extra request headers, e.g. Authorization for a private source. */
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
}

export class HttpRemoteFeed implements RemoteFeed {
  readonly #options: HttpRemoteFeedOptions;

  constructor(options: HttpRemoteFeedOptions) {
    this.#options = options;
  }

  async #get(url: string): Promise<Response | undefined> {
    const response = await fetch(url, {
      headers: { 'user-agent': 'nugget-replicate', 'accept-encoding': 'gzip', ...this.#options.headers },
      signal: AbortSignal.timeout(this.#options.timeoutMs ?? 120_000),
    });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status} ${response.statusText}`);
    return response;
  }

  async getJson(url: string): Promise<unknown> {
    const response = await this.#get(url);
    if (!response) return undefined;
    const bytes = Buffer.from(await response.arrayBuffer());
    // fetch undoes Content-Encoding itself; a body that is still gzip was stored compressed (some static feeds).
    const text =
      bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
    return JSON.parse(text) as unknown;
  }

  async download(url: string): Promise<{ path: string; size: number; sha512: string } | undefined> {
    const response = await this.#get(url);
    if (!response?.body) return undefined;
    await mkdir(this.#options.tempDir, { recursive: true });
    const path = join(this.#options.tempDir, `replicate-${randomUUID()}.nupkg`);
    const hash = createHash('sha512');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(response.body as WebReadableStream), meter, createWriteStream(path));
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    return { path, size, sha512: hash.digest('base64') };
  }
}
