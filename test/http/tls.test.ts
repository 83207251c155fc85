// Built-in HTTPS (--tls-cert/--tls-key) and URLs behind a TLS-terminating proxy. An https service index must
// never lead to an http URL: the NuGet client fails with NU1302 "scenario 2" (../../../shared/notes/
// client-behaviour.md §2, ../../../shared/spec/reference/NU1302.md). So these tests crawl every document the feed
// links to, from the service index down (registrations, pages, leaves, search, catalog pages and leaves), and
// look for `http://` anywhere in each body, over a real TLS socket with a certificate made by the test.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { composeNugget } from '../../src/compose.ts';
import { ConfigError, configSchema } from '../../src/config/config.ts';
import { createTestCertificate, type TestCertificate } from '../fixtures/test-certificate.ts';
import { type JsonObject, startFeed, type TestFeed, urlValues } from './feed-fixture.ts';

interface Fetched {
  status: number;
  contentType: string;
  body: string;
}

/**
 * GETs every URL reachable from the service index that starts with `base` (templates with `{...}` left out), and
 * returns each body it fetched, by URL. Binary files (.nupkg, icons) are fetched but not read.
 */
async function crawl(base: string, get: (url: string) => Promise<Fetched>): Promise<Map<string, string>> {
  const queue = [`${base}/v3/index.json`, `${base}/v3/search?q=tls&prerelease=true&semVerLevel=2.0.0`];
  const seen = new Set(queue);
  const bodies = new Map<string, string>();
  while (queue.length > 0 && bodies.size < 300) {
    const url = queue.shift() as string;
    const response = await get(url);
    // Resource roots such as PackagePublish or the symbol server answer no GET of their own; documents must.
    if (/\.json$|\/search\?/.test(url)) {
      assert.equal(response.status, 200, `GET ${url}: ${response.status} ${response.body.slice(0, 200)}`);
    }
    if (!response.contentType.startsWith('application/json')) continue;
    bodies.set(url, response.body);
    for (const { value } of urlValues(JSON.parse(response.body))) {
      if (value.startsWith(base) && !value.includes('{') && !seen.has(value)) {
        seen.add(value);
        queue.push(value);
      }
    }
  }
  return bodies;
}

function assertNoHttpUrl(bodies: Map<string, string>): void {
  const kinds = ['/index.json', '/registration/', '/registration-gz/', '/registration-gz-semver2/', '/page/'];
  for (const kind of [...kinds, '/search', '/catalog/index.json', '/catalog/page0.json', '/catalog/data/']) {
    assert.ok(
      [...bodies.keys()].some((url) => url.includes(kind)),
      `the crawl reached no ${kind} document: ${[...bodies.keys()].join('\n')}`,
    );
  }
  for (const [url, body] of bodies) {
    // JSON-LD @context and @type values ('http://schema.nuget.org/catalog#Permalink') are vocabulary names, never
    // fetched: nuget.org prints the same ones. Anything else with http:// is a URL the client may follow.
    const withoutContext = JSON.stringify(JSON.parse(body), (name, value: unknown) =>
      name === '@context' || name === '@type' ? undefined : value,
    );
    assert.doesNotMatch(withoutContext, /http:\/\//i, `${url} has an http URL`);
  }
}

/** A package with enough versions for registration pages that are documents of their own, and a readme. */
async function publishProbes(feed: TestFeed): Promise<void> {
  await feed.publish({
    id: 'Tls.Probe',
    version: '1.0.0',
    readme: { path: 'README.md', content: '# tls' },
    licenseExpression: 'MIT',
    projectUrl: 'https://example.com/tls',
    dependencyGroups: [{ targetFramework: 'net8.0', dependencies: [{ id: 'Tls.Other', range: '1.0.0' }] }],
  });
  await feed.publish({ id: 'Tls.Probe', version: '2.0.0-beta.1+meta' });
  await feed.publish({ id: 'Tls.Other', version: '1.0.0' });
  // More than a registration page holds inline (64 leaves), so the index links to separate page documents.
  for (let minor = 0; minor < 130; minor++) await feed.publish({ id: 'Tls.Many', version: `1.${minor}.0` });
}

describe('built-in HTTPS (--tls-cert, --tls-key)', () => {
  let feed: TestFeed;
  let certificate: TestCertificate;
  let certDir: string;
  let base: string;
  let ca: Buffer;
  before(async () => {
    certDir = await mkdtemp(path.join(os.tmpdir(), 'nugget-tls-'));
    certificate = await createTestCertificate(certDir);
    ca = await readFile(certificate.caFile);
    feed = await startFeed({ config: { tlsCert: certificate.certFile, tlsKey: certificate.keyFile } });
    await publishProbes(feed);
    await feed.app.listen({ host: '127.0.0.1', port: 0 });
    const address = feed.app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `https://127.0.0.1:${address.port}`;
  });
  after(async () => {
    await feed?.close();
    await rm(certDir, { recursive: true, force: true });
  });

  /** A GET over TLS that trusts only the test CA (and so checks the chain and the name 127.0.0.1). */
  const get = (url: string): Promise<Fetched> =>
    new Promise((resolve, reject) => {
      const request = https.get(
        url,
        { ca, headers: { 'accept-encoding': 'gzip' }, agent: false },
        (response) => {
          const parts: Buffer[] = [];
          response.on('data', (chunk: Buffer) => parts.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const raw = Buffer.concat(parts);
            const body = response.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
            resolve({
              status: response.statusCode ?? 0,
              contentType: String(response.headers['content-type'] ?? ''),
              body: body.toString('utf8'),
            });
          });
        },
      );
      request.on('error', reject);
    });
  test('the service index over TLS lists only https URLs of the host the client reached', async () => {
    const response = await get(`${base}/v3/index.json`);
    assert.equal(response.status, 200);
    const index = JSON.parse(response.body) as JsonObject;
    const ids = (index['resources'] as JsonObject[]).map((resource) => resource['@id'] as string);
    assert.ok(ids.length > 10);
    for (const id of ids) assert.ok(id.startsWith(`${base}/v3/`), id);
  });

  test('no document reachable from the service index holds an http URL', async () => {
    const bodies = await crawl(base, get);
    assert.ok(bodies.size > 20, `crawled only ${bodies.size} documents`);
    assertNoHttpUrl(bodies);
  });

  test('the flat container answers over TLS', async () => {
    const response = await get(`${base}/v3/flatcontainer/tls.probe/index.json`);
    assert.deepEqual(JSON.parse(response.body)['versions'], ['1.0.0', '2.0.0-beta.1']);
  });
});

describe('behind a TLS-terminating proxy (--trust-proxy, plain http inside)', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed({ trustProxy: true });
    await publishProbes(feed);
  });
  after(() => feed.close());

  test('X-Forwarded-Proto: https -> no document reachable from the index holds an http URL', async () => {
    const headers = {
      host: 'backend:5000',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'nuget.example.com',
      'x-forwarded-prefix': '/feed',
    };
    const base = 'https://nuget.example.com/feed';
    const bodies = await crawl(base, async (url) => {
      const response = await feed.get(url.slice(base.length) || '/', headers);
      const raw =
        response.headers['content-encoding'] === 'gzip'
          ? gunzipSync(response.rawPayload)
          : response.rawPayload;
      return {
        status: response.statusCode,
        contentType: String(response.headers['content-type'] ?? ''),
        body: raw.toString('utf8'),
      };
    });
    assert.ok(bodies.size > 20, `crawled only ${bodies.size} documents`);
    assertNoHttpUrl(bodies);
  });
});

describe('TLS start-up errors', () => {
  let certificate: TestCertificate;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nugget-tls-errors-'));
    certificate = await createTestCertificate(path.join(dir, 'certs'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const start = (tls: { tlsCert: string; tlsKey: string }) =>
    composeNugget(configSchema.parse({ dataDir: path.join(dir, 'data'), logLevel: 'silent', ...tls }));

  test('an unreadable certificate file -> ConfigError naming --tls-cert and the path', async () => {
    const missing = path.join(dir, 'no-such.pem');
    await assert.rejects(start({ tlsCert: missing, tlsKey: certificate.keyFile }), (error: Error) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, /^Cannot read --tls-cert .*no-such\.pem: ENOENT/);
      return true;
    });
  });

  test('an unreadable key file -> ConfigError naming --tls-key', async () => {
    await assert.rejects(start({ tlsCert: certificate.certFile, tlsKey: dir }), /Cannot read --tls-key/);
  });

  test("a key that is not the certificate's -> ConfigError before the server starts", async () => {
    const other = await createTestCertificate(path.join(dir, 'other'));
    await assert.rejects(
      start({ tlsCert: certificate.certFile, tlsKey: other.keyFile }),
      (error: Error) =>
        error instanceof ConfigError && /are not a PEM certificate and its private key/.test(error.message),
    );
  });

  test('a file that is not PEM at all -> ConfigError', async () => {
    await assert.rejects(
      start({ tlsCert: certificate.keyFile, tlsKey: certificate.keyFile }),
      (error: Error) => error instanceof ConfigError && /--tls-cert/.test(error.message),
    );
  });
});
