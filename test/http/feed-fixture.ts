// An in-process feed for HTTP tests (docs/architecture.md rule 11: http tier, driven through `app.inject()`).
// Each feed gets a fresh temp data dir that close() removes. `push` builds the body exactly as the NuGet client
// does (../../../shared/notes/client-behaviour.md §1.5): multipart/form-data with a QUOTED boundary, one part
// named `package` with unquoted tokens and `filename*`, CRLF line endings, sent chunked without Content-Length.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Logger } from 'pino';
import { composeNugget, type Nugget } from '../../src/compose.ts';
import { configSchema } from '../../src/config/config.ts';
import type { HttpServices } from '../../src/http/http-services.ts';
import type { DownloadCounter } from '../../src/packages/download-counter.ts';
import type { Clock, FeedStores } from '../../src/packages/ports.ts';
import type { OpenFeed } from '../../src/packages/feed-directory.ts';
import type { GarbageCollectionDeps } from '../../src/packages/collect-garbage.ts';
import type { ServerTimeouts } from '../../src/http/server-timeouts.ts';
import { buildNupkg, type NupkgSpec } from '../fixtures/build-nupkg.ts';

export type Response = LightMyRequestResponse;
export type Headers = Record<string, string>;

export const testApiKey = 'test-api-key-0123456789';

export interface FeedSettings {
  /** The feed's API key; `null` starts a feed with no key at all (read-only). Default {@link testApiKey}. */
  apiKey?: string | null;
  publicUrl?: string;
  trustProxy?: boolean;
  maxPackageSize?: number;
  deleteBehavior?: 'unlist' | 'delete';
  logger?: Logger;
  /** The server's clock (default the system's): tests move it to see keys expire. */
  clock?: Clock;
  /** Shorter connection timeouts than the defaults of src/http/server-timeouts.ts. */
  serverTimeouts?: Partial<Omit<ServerTimeouts, 'bodyIdleMs'>>;
  /** Any other configuration values, as `configSchema` takes them. */
  config?: Record<string, unknown>;
  /** Run the webhook delivery worker, looking at the queue at least every `pollMs` (default: not run). */
  deliverWebhooks?: { pollMs: number };
}

export interface PushOptions {
  /** The feed pushed to, by name (`/feeds/{feed}/v3/package`); default `/v3/package` (the default feed). */
  feed?: string;
  /** X-NuGet-ApiKey to send; default the feed's key; `null` sends none. */
  key?: string | null;
  /** Send the nupkg as the whole body with `Content-Type: application/octet-stream` instead of multipart. */
  raw?: boolean;
  /** Quote the boundary as the NuGet client does (default true). */
  boundaryQuoted?: boolean;
  /** Send the body chunked, without Content-Length, as the NuGet client does (default true). */
  chunked?: boolean;
  headers?: Headers;
  /**
   * Send over a real socket instead of inject(). Needed when the server stops reading a raw body early (413):
   * it destroys the request stream, which makes inject() reject or hang where a real client gets the answer.
   */
  overSocket?: boolean;
}

/** The server's services with the default feed's stores: what most tests reach into. */
export type DefaultFeedView = HttpServices & FeedStores & { readonly downloads: DownloadCounter };

export interface TestFeed {
  readonly app: FastifyInstance;
  readonly feed: DefaultFeedView;
  readonly services: HttpServices;
  /** The default feed with its settings and stores. */
  readonly defaultFeed: OpenFeed;
  /** What `nugget gc` is given: every feed's stores, this server's blobs, clock and temp folder. */
  gcDeps(overrides?: Partial<GarbageCollectionDeps>): GarbageCollectionDeps;
  readonly nugget: Nugget;
  readonly dataDir: string;
  readonly apiKey: string | undefined;
  /** Pushes nupkg bytes the way `dotnet nuget push` does. */
  push(nupkg: Buffer, options?: PushOptions): Promise<Response>;
  /** Pushes .snupkg bytes to SymbolPackagePublish the way `dotnet nuget push` does (multipart, chunked). */
  pushSymbols(snupkg: Buffer, options?: { key?: string | null; feed?: string }): Promise<Response>;
  /** Builds a package from `spec`, pushes it and fails the test unless the feed answers 201. */
  publish(spec: NupkgSpec): Promise<Buffer>;
  get(url: string, headers?: Headers): Promise<Response>;
  /** GET that must answer 200 with JSON; the parsed body (gunzipped if the server compressed it). */
  json<T = JsonObject>(url: string, headers?: Headers): Promise<T>;
  request(
    method: string,
    url: string,
    options?: { headers?: Headers; body?: Buffer | string },
  ): Promise<Response>;
  /**
   * A request over a real socket with the path sent byte for byte: inject() parses URLs with WHATWG rules,
   * which resolve `..` and `%2e%2e` before the server sees them, and a hostile client would not.
   */
  rawRequest(
    method: string,
    rawPath: string,
    options?: { headers?: Headers; body?: Buffer },
  ): Promise<RawResponse>;
  /** Files under `<dataDir>/<relative>`, recursively, as relative paths. */
  filesUnder(relative: string): Promise<string[]>;
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON documents are checked field by field with assert.
export type JsonObject = Record<string, any>;

export interface RawResponse {
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export async function startFeed(settings: FeedSettings = {}): Promise<TestFeed> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nugget-http-'));
  const apiKey = settings.apiKey === null ? undefined : (settings.apiKey ?? testApiKey);
  const config = configSchema.parse({
    dataDir,
    apiKey,
    publicUrl: settings.publicUrl,
    trustProxy: settings.trustProxy ?? false,
    maxPackageSize: settings.maxPackageSize,
    deleteBehavior: settings.deleteBehavior,
    logLevel: 'silent',
    ...settings.config,
  });
  // downloadFlushMs 0: no timer; tests flush explicitly with feed.downloads.flush().
  const nugget = await composeNugget(config, {
    downloadFlushMs: 0,
    ...(settings.logger ? { logger: settings.logger } : {}),
    ...(settings.clock ? { clock: settings.clock } : {}),
    ...(settings.serverTimeouts ? { serverTimeouts: settings.serverTimeouts } : {}),
    ...(settings.deliverWebhooks ? { deliverWebhooks: settings.deliverWebhooks } : {}),
  });
  const { app, services } = nugget;
  const defaultFeed = await nugget.openFeed();
  const feed: DefaultFeedView = { ...services, ...defaultFeed.stores, downloads: defaultFeed.downloads };

  const request: TestFeed['request'] = (method, url, options = {}) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: options.headers ?? {},
      ...(options.body === undefined ? {} : { payload: options.body }),
    });

  const push: TestFeed['push'] = async (nupkg, options = {}) => {
    const key = options.key === undefined ? apiKey : options.key;
    const headers: Headers = {
      ...(key === null || key === undefined ? {} : { 'x-nuget-apikey': key }),
    };
    let body: Buffer;
    if (options.raw) {
      headers['content-type'] = 'application/octet-stream';
      body = nupkg;
    } else {
      const boundary = randomUUID();
      const quoted = options.boundaryQuoted ?? true;
      headers['content-type'] = `multipart/form-data; boundary=${quoted ? `"${boundary}"` : boundary}`;
      body = multipartBody(nupkg, boundary);
    }
    Object.assign(headers, options.headers);
    const pushUrl = options.feed ? `/feeds/${options.feed}/v3/package` : '/v3/package';
    if (options.overSocket) {
      if (options.chunked ?? true) headers['transfer-encoding'] = 'chunked';
      const raw = await rawRequest('PUT', pushUrl, { headers, body });
      return fakeInjectResponse(raw);
    }
    if (options.chunked ?? true) {
      headers['transfer-encoding'] = 'chunked';
      return app.inject({
        method: 'PUT',
        url: pushUrl,
        headers,
        payload: chunks(body, 4096),
      });
    }
    return app.inject({
      method: 'PUT',
      url: pushUrl,
      headers,
      payload: body,
    });
  };

  let listening: Promise<number> | undefined;
  const port = () => {
    listening ??= app.listen({ host: '127.0.0.1', port: 0 }).then(() => {
      const address = app.server.address();
      assert.ok(address && typeof address === 'object', 'the test server has no TCP address');
      return address.port;
    });
    return listening;
  };
  const rawRequest: TestFeed['rawRequest'] = async (method, rawPath, options = {}) => {
    const serverPort = await port();
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: serverPort,
          method,
          path: rawPath,
          headers: options.headers ?? {},
          agent: false,
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (chunk: Buffer) => parts.push(chunk));
          res.on('end', () =>
            resolve({
              statusCode: res.statusCode ?? 0,
              statusMessage: res.statusMessage ?? '',
              headers: res.headers,
              body: Buffer.concat(parts),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(options.body);
    });
  };

  const get: TestFeed['get'] = (url, headers = {}) => app.inject({ method: 'GET', url, headers });

  return {
    app,
    feed,
    services,
    defaultFeed,
    gcDeps: (overrides = {}) => ({
      feeds: async () => (await nugget.feeds.list()).map((f) => nugget.feeds.storesOf(f.name).stores),
      blobs: services.blobs,
      clock: services.clock,
      tempDir: services.options.tempDir,
      ...overrides,
    }),
    nugget,
    dataDir,
    apiKey,
    push,
    async pushSymbols(snupkg, options = {}) {
      const key = options.key === undefined ? apiKey : options.key;
      const boundary = randomUUID();
      return app.inject({
        method: 'PUT',
        // The client appends '/' to the SymbolPackagePublish @id (client-behaviour.md §1.5).
        url: `${options.feed ? `/feeds/${options.feed}` : ''}/v3/symbol-package/`,
        headers: {
          ...(key === null || key === undefined ? {} : { 'x-nuget-apikey': key }),
          'content-type': `multipart/form-data; boundary="${boundary}"`,
          'transfer-encoding': 'chunked',
        },
        payload: chunks(multipartBody(snupkg, boundary), 4096),
      });
    },
    async publish(spec) {
      const nupkg = await buildNupkg(spec);
      const response = await push(nupkg);
      assert.equal(response.statusCode, 201, `push ${spec.id} ${spec.version}: ${response.body}`);
      return nupkg;
    },
    get,
    async json(url, headers = {}) {
      const response = await get(url, headers);
      assert.equal(response.statusCode, 200, `GET ${url}: ${response.statusCode} ${response.body}`);
      return parseJson(response);
    },
    request,
    rawRequest,
    async filesUnder(relative) {
      try {
        const entries = await readdir(path.join(dataDir, relative), {
          recursive: true,
          withFileTypes: true,
        });
        return entries
          .filter((e) => e.isFile())
          .map((e) => path.relative(path.join(dataDir, relative), path.join(e.parentPath, e.name)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    },
    async close() {
      try {
        await nugget.close();
      } finally {
        await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
      }
    },
  };
}

/** Enough of an inject() response for the assertions in these tests, from a real socket's answer. */
function fakeInjectResponse(raw: RawResponse): Response {
  return {
    statusCode: raw.statusCode,
    statusMessage: raw.statusMessage,
    headers: raw.headers,
    rawPayload: raw.body,
    body: raw.body.toString('utf8'),
    payload: raw.body.toString('utf8'),
    json: () => JSON.parse(raw.body.toString('utf8')),
  } as unknown as Response;
}

/** The multipart body System.Net.Http's MultipartFormDataContent writes for the NuGet client's push. */
export function multipartBody(nupkg: Buffer, boundary: string): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${boundary}\r\n` +
        'Content-Type: application/octet-stream\r\n' +
        "Content-Disposition: form-data; name=package; filename=package.nupkg; filename*=utf-8''package.nupkg\r\n" +
        '\r\n',
    ),
    nupkg,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

/** A stream that hands out `bytes` in pieces, so the server sees a body arrive in several chunks. */
export function chunks(bytes: Buffer, size: number): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
  return Readable.from(pieces);
}

/** The JSON body of a response, gunzipped when the server sent `Content-Encoding: gzip`. */
export function parseJson<T = JsonObject>(response: Response): T {
  const raw =
    response.headers['content-encoding'] === 'gzip' ? gunzipSync(response.rawPayload) : response.rawPayload;
  return JSON.parse(raw.toString('utf8')) as T;
}

/**
 * Asserts a 4xx answer with the feed's JSON error shape `{error: {code, message}}` and, because the NuGet
 * client prints it, the message in the reason phrase. Returns the error for further checks.
 */
export function assertClientError(
  response: Response,
  status: number | readonly number[],
  what = '',
): { code: string; message: string } {
  const allowed = typeof status === 'number' ? [status] : status;
  assert.ok(
    allowed.includes(response.statusCode),
    `${what.slice(0, 200)} expected ${allowed.join(' or ')}, got ${response.statusCode}: ${response.body.slice(0, 300)}`,
  );
  assert.match(String(response.headers['content-type']), /^application\/json/, `${what} content-type`);
  const body = parseJson(response);
  const shown = response.body.slice(0, 300);
  assert.equal(typeof body['error']?.code, 'string', `${what} error.code in ${shown}`);
  assert.equal(typeof body['error']?.message, 'string', `${what} error.message in ${shown}`);
  assert.ok(body['error'].message.length > 0, `${what} error.message is empty`);
  return body['error'];
}

/** The path and query of an absolute URL the feed printed, for inject(). */
export const pathOf = (url: string): string => {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
};

/** The service index's resources as `@type -> @id[]`. */
export function resourcesByType(index: JsonObject): Map<string, string[]> {
  const byType = new Map<string, string[]>();
  for (const resource of index['resources'] as JsonObject[]) {
    const types: string[] = Array.isArray(resource['@type']) ? resource['@type'] : [resource['@type']];
    for (const type of types) byType.set(type, [...(byType.get(type) ?? []), resource['@id']]);
  }
  return byType;
}

/** The one `@id` of a resource type in the service index; fails the test if it is absent. */
export function resourceId(index: JsonObject, type: string): string {
  const ids = resourcesByType(index).get(type);
  assert.ok(ids && ids.length > 0, `the service index has no ${type}`);
  return ids[0] as string;
}

/** Every string in a JSON document that sits under a key other than `@type`, with its JSON path. */
export function urlValues(document: unknown, at = '$'): { at: string; value: string }[] {
  if (typeof document === 'string')
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(document) ? [{ at, value: document }] : [];
  if (Array.isArray(document)) return document.flatMap((item, i) => urlValues(item, `${at}[${i}]`));
  if (document && typeof document === 'object') {
    return Object.entries(document).flatMap(([key, value]) =>
      key === '@type' ? [] : urlValues(value, `${at}.${key}`),
    );
  }
  return [];
}

/**
 * Asserts that HEAD answers like GET: same status, content-type, content-length and content-encoding, and no
 * body (overview.md: every resource URL supports GET and HEAD).
 */
export async function assertHeadLikeGet(feed: TestFeed, url: string, headers: Headers = {}): Promise<void> {
  const got = await feed.request('GET', url, { headers });
  const head = await feed.request('HEAD', url, { headers });
  assert.equal(head.statusCode, got.statusCode, `HEAD ${url} status`);
  for (const name of ['content-type', 'content-length', 'content-encoding']) {
    assert.equal(head.headers[name], got.headers[name], `HEAD ${url} ${name}`);
  }
  assert.equal(head.rawPayload.length, 0, `HEAD ${url} sent a body`);
}

/** The origin resource URLs carry in these tests: inject() sends `Host: localhost:80` unless told otherwise. */
export const origin = 'http://localhost:80';
