// Every response says `X-Content-Type-Options: nosniff`, so a browser never runs a readme, a nuspec or a JSON error
// as HTML or script; HTML responses (a web UI's, later) also carry a deny-by-default Content-Security-Policy, may
// not be framed and send no Referer. https://owasp.org/www-project-secure-headers/
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { htmlContentSecurityPolicy } from '../../src/http/security-headers.ts';
import { startFeed, type TestFeed } from './feed-fixture.ts';

const htmlOnly = ['content-security-policy', 'x-frame-options', 'referrer-policy'];

describe('security headers', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed();
    // No route serves HTML yet: this test-only page stands in for the web UI's.
    feed.app.get('/test-only/page', async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send('<!doctype html><title>t</title><p>page</p>'),
    );
    await feed.publish({
      id: 'Headers.Probe',
      version: '1.0.0',
      readme: { path: 'README.md', content: '# r' },
    });
  });
  after(() => feed.close());

  test('an HTML response: nosniff, a CSP that denies by default, no framing, no referrer', async () => {
    const response = await feed.get('/test-only/page');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    const csp = String(response.headers['content-security-policy']);
    assert.equal(csp, htmlContentSecurityPolicy);
    assert.match(csp, /^default-src 'none'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.equal(response.headers['x-frame-options'], 'DENY');
    assert.equal(response.headers['referrer-policy'], 'no-referrer');
  });

  const others: [what: string, method: string, url: string, status: number][] = [
    ['the service index (JSON)', 'GET', '/v3/index.json', 200],
    ['a version list', 'GET', '/v3/flatcontainer/headers.probe/index.json', 200],
    ['a .nupkg (a stream)', 'GET', '/v3/flatcontainer/headers.probe/1.0.0/headers.probe.1.0.0.nupkg', 200],
    ['a readme (markdown a browser might sniff)', 'GET', '/v3/flatcontainer/headers.probe/1.0.0/readme', 200],
    ['a 404 JSON error', 'GET', '/v3/no/such/thing', 404],
    ['a 400 JSON error', 'GET', '/v3/search?take=-1', 400],
    ['a 401 on push', 'PUT', '/v3/package', 401],
    ['a HEAD', 'HEAD', '/v3/index.json', 200],
  ];
  for (const [what, method, url, status] of others) {
    test(`${what}: nosniff, and none of the HTML-only headers`, async () => {
      const response = await feed.request(method, url);
      assert.equal(response.statusCode, status, response.body);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      for (const name of htmlOnly) assert.equal(response.headers[name], undefined, name);
    });
  }

  test('an error Fastify raises before routing (bad percent-encoding) also says nosniff', async () => {
    const response = await feed.rawRequest('GET', '/v3/flatcontainer/%zz/index.json');
    assert.equal(response.statusCode, 400);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
  });
});
