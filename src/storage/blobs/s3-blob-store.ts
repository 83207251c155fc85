// Blobs in an S3-compatible bucket (issue 6). This is the only module that imports the AWS SDK: compose.ts
// lazy-imports it when `--storage s3://…` is configured, so the default install never loads it.
// Bodies are streamed both ways: a 250 MB package never sits in memory (lib-storage holds at most
// queueSize × partSize bytes of an upload).
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  CopyObjectCommand,
  S3Client,
  type S3ClientConfig,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { insufficientStorage, isServerFault, type NuggetError, unavailable } from '../../errors.ts';
import type { BlobListing, BlobRange, BlobStore, StoredBlob } from '../../packages/ports.ts';
import type { S3StorageOptions } from './s3-storage-url.ts';

export interface S3BlobStoreOptions extends S3StorageOptions {
  /** Absent means the SDK's standard credential chain (environment, shared files, web identity, instance role). */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
}

// DeleteObjects takes at most 1000 keys, and ListObjectsV2 returns at most 1000 per page.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
const maxKeysPerRequest = 1000;
// lib-storage's defaults (5 MiB parts, 4 in flight): about 20 MiB of buffers per upload at most.
const partSize = 5 * 1024 * 1024;
const queueSize = 4;

export class S3BlobStore implements BlobStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  /** Cleared when the server answers DeleteObjects with "not implemented"; then keys go one by one. */
  #batchDelete = true;

  constructor(options: S3BlobStoreOptions) {
    const config: S3ClientConfig = {};
    if (options.region !== undefined) config.region = options.region;
    if (options.endpoint !== undefined) {
      config.endpoint = options.endpoint;
      // Since SDK 3.729 every upload carries a CRC32 checksum, for streams as an aws-chunked trailer, which
      // many S3-compatible servers reject. Against a custom endpoint, send checksums only where the API
      // requires them (DeleteObjects), as the SDK did before. Against AWS itself the default stays.
      config.requestChecksumCalculation = 'WHEN_REQUIRED';
      config.responseChecksumValidation = 'WHEN_REQUIRED';
    }
    if (options.forcePathStyle !== undefined) config.forcePathStyle = options.forcePathStyle;
    if (options.credentials !== undefined) config.credentials = { ...options.credentials };
    this.#client = new S3Client(config);
    this.#bucket = options.bucket;
    this.#prefix = options.prefix.replace(/^\/+|\/+$/g, '');
  }

  /** The object key for a blob key: the store's prefix, then the key. */
  #objectKey(key: string): string {
    // Keys are built by the feed, never taken from a URL; still, '.' and '..' segments would be collapsed by
    // HTTP layers on the way to the server and could land outside the prefix.
    if (
      key === '' ||
      key.startsWith('/') ||
      key.split('/').some((s) => s === '.' || s === '..' || s === '')
    ) {
      throw new Error(`blob key is not a clean relative path: '${key}'`);
    }
    return this.#prefix === '' ? key : `${this.#prefix}/${key}`;
  }

  /** Streams the file as a multipart upload, then removes it (the port lets a store move the source). */
  async putFile(key: string, sourcePath: string): Promise<void> {
    await faults(() => this.#upload(key, sourcePath));
    await rm(sourcePath, { force: true });
  }

  async #upload(key: string, sourcePath: string): Promise<void> {
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.#bucket, Key: this.#objectKey(key), Body: createReadStream(sourcePath) },
      partSize,
      queueSize,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await faults(() =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: this.#objectKey(key),
          Body: bytes,
          ContentLength: bytes.byteLength,
        }),
      ),
    );
  }

  async copy(fromKey: string, toKey: string): Promise<boolean> {
    // Server-side: the bytes stay in the object store (the bucket holds two objects; a bucket with
    // deduplication stores one). Single-request CopyObject handles objects up to 5 GB, above any package limit.
    try {
      await this.#client.send(
        new CopyObjectCommand({
          Bucket: this.#bucket,
          Key: this.#objectKey(toKey),
          CopySource: `${this.#bucket}/${this.#objectKey(fromKey)
            .split('/')
            .map(encodeURIComponent)
            .join('/')}`,
        }),
      );
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async open(key: string, range?: BlobRange): Promise<StoredBlob | undefined> {
    let response: GetObjectCommandOutput;
    try {
      response = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: this.#objectKey(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw s3Fault(error) ?? error;
    }
    const body = response.Body;
    // In Node the SDK's body is the HTTP response itself (an IncomingMessage), so it streams.
    if (!(body instanceof Readable)) throw new Error(`S3 GetObject for '${key}' returned no readable body`);
    if (response.ContentLength === undefined) {
      body.destroy();
      throw new Error(`S3 GetObject for '${key}' returned no Content-Length`);
    }
    if (!range) return { stream: body, size: response.ContentLength };
    // A ranged answer says which bytes it holds and the size of the whole object: `bytes 0-99/1234`. Some
    // S3-compatible servers answer more than was asked (s3rver 3.7 reads `bytes=0-0` as "from 0 to the end"):
    // the stream is then cut to the range, and any other difference is an error, never wrong bytes.
    const answered = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.ContentRange ?? '');
    const [start, end, total] = (answered ?? []).slice(1).map(Number);
    if (start !== range.start || end === undefined || end < range.end || !Number.isSafeInteger(total)) {
      body.destroy();
      throw new Error(
        `S3 GetObject for '${key}' with Range bytes=${range.start}-${range.end} answered Content-Range ` +
          `'${response.ContentRange ?? ''}'`,
      );
    }
    const length = range.end - range.start + 1;
    const stream = end === range.end ? body : Readable.from(firstBytes(body, length), { objectMode: false });
    return { stream, size: total! };
  }

  /**
   * Removes the blob at `prefix` and every blob under `prefix/`, like removing a folder in the file-system
   * store: `a/p1` does not take `a/p10` with it.
   */
  async deletePrefix(prefix: string): Promise<void> {
    await faults(() => this.#deletePrefix(prefix));
  }

  async #deletePrefix(prefix: string): Promise<void> {
    const folder = this.#objectKey(prefix.replace(/\/+$/, ''));
    let continuationToken: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: folder,
          MaxKeys: maxKeysPerRequest,
          ContinuationToken: continuationToken,
        }),
      );
      const keys = (page.Contents ?? [])
        .map((object) => object.Key)
        .filter((key): key is string => key === folder || (key?.startsWith(`${folder}/`) ?? false));
      if (keys.length > 0) await this.#deleteKeys(keys);
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  /** Every object at `prefix` or under `prefix/`, page by page (ListObjectsV2 returns at most 1000 per request). */
  async *list(prefix: string): AsyncIterable<BlobListing> {
    try {
      yield* this.#list(prefix);
    } catch (error) {
      throw s3Fault(error) ?? error;
    }
  }

  async *#list(prefix: string): AsyncIterable<BlobListing> {
    const folder = this.#objectKey(prefix.replace(/\/+$/, ''));
    const storePrefix = this.#prefix === '' ? '' : `${this.#prefix}/`;
    let continuationToken: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: folder,
          MaxKeys: maxKeysPerRequest,
          ContinuationToken: continuationToken,
        }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key;
        if (key === undefined || (key !== folder && !key.startsWith(`${folder}/`))) continue;
        yield {
          key: key.slice(storePrefix.length),
          size: object.Size ?? 0,
          modified: object.LastModified ?? new Date(0),
        };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  /**
   * A presigned GET for a blob, for redirecting downloads to the bucket or a CDN in front of it (off by
   * default). Anyone holding the URL can read the blob until it expires. The URL is a function of the key and
   * `signedAt`: callers that round `signedAt` get the same URL for a while, which a CDN can cache.
   */
  async presignedUrl(key: string, expiresSeconds: number, signedAt?: Date): Promise<string> {
    if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > 604_800) {
      // SigV4 presigned URLs live at most 7 days.
      throw new RangeError(`expiresSeconds must be a whole number from 1 to 604800, not ${expiresSeconds}`);
    }
    return getSignedUrl(
      this.#client,
      new GetObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }),
      { expiresIn: expiresSeconds, ...(signedAt ? { signingDate: signedAt } : {}) },
    );
  }

  /** Closes the client's connection pool. */
  close(): void {
    this.#client.destroy();
  }

  async #deleteKeys(keys: readonly string[]): Promise<void> {
    if (this.#batchDelete) {
      try {
        const result = await this.#client.send(
          new DeleteObjectsCommand({
            Bucket: this.#bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        const failures = (result.Errors ?? []).filter((failure) => failure.Code !== 'NoSuchKey');
        if (failures.length > 0) {
          const first = failures[0];
          throw new Error(
            `S3 could not delete ${failures.length} of ${keys.length} blobs, e.g. '${first?.Key}': ` +
              `${first?.Code} ${first?.Message}`,
          );
        }
        return;
      } catch (error) {
        if (!isNotImplemented(error)) throw error;
        // Some S3-compatible servers (and gateways in front of them) lack the batch API.
        this.#batchDelete = false;
      }
    }
    for (const Key of keys) {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key }));
    }
  }
}

async function faults<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw s3Fault(error) ?? error;
  }
}

const retrySeconds = 5;

// Node's codes for a connection to the endpoint that could not be made or was cut.
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * An S3 failure that is the server's (or its object store's), as an error kind; undefined otherwise.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
 */
export function s3Fault(error: unknown): NuggetError | undefined {
  if (isServerFault(error)) return error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, code } = error as { name?: unknown; code?: unknown };
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  // MinIO and others answer a full disk with their own codes (XMinioStorageFull, InsufficientStorage, 507).
  if (
    status === 507 ||
    (typeof name === 'string' && /StorageFull|InsufficientStorage|QuotaExceeded/.test(name))
  ) {
    return insufficientStorage(
      'storage_full',
      'The object store has no space left for this: nothing was changed; an operator must free space (or raise ' +
        'the quota) of the bucket, then retry.',
      { cause: error },
    );
  }
  if (
    name === 'SlowDown' ||
    name === 'ServiceUnavailable' ||
    name === 'InternalError' ||
    name === 'RequestTimeout' ||
    name === 'TimeoutError' ||
    name === 'RequestTimeTooSkewed' ||
    (status !== undefined && status >= 500) ||
    (typeof code === 'string' && networkCodes.has(code))
  ) {
    return unavailable(
      'storage_unavailable',
      'The object store that holds the packages is not answering or asks to slow down: retry shortly. If it ' +
        'persists, an operator must check that the storage endpoint is up and reachable.',
      { cause: error, retryAfterSeconds: retrySeconds },
    );
  }
  if (
    ['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken'].includes(
      name as string,
    ) ||
    name === 'CredentialsProviderError'
  ) {
    return unavailable(
      'storage_access_denied',
      `The object store refuses the server's credentials (${String(name)}): an operator must check the ` +
        "storage credentials and the bucket's permissions.",
      { cause: error },
    );
  }
  if (name === 'NoSuchBucket') {
    return unavailable(
      'storage_bucket_missing',
      'The bucket configured with --storage does not exist: an operator must create it or fix --storage.',
      { cause: error },
    );
  }
  return undefined;
}

function isMissing(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  // A missing bucket is also a 404, but that is a configuration error, not an absent blob.
  if (error.name === 'NoSuchBucket') return false;
  return error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404;
}

function isNotImplemented(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  const status = error.$metadata.httpStatusCode;
  return error.name === 'NotImplemented' || status === 501 || status === 405;
}

/** The first `length` bytes of a stream; the rest is never read (ending early destroys the source). */
async function* firstBytes(source: Readable, length: number): AsyncGenerator<Buffer> {
  let left = length;
  for await (const chunk of source) {
    const bytes = chunk as Buffer;
    if (bytes.length >= left) {
      yield bytes.subarray(0, left);
      return;
    }
    left -= bytes.length;
    yield bytes;
  }
}
