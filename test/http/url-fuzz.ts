// "Never a 5xx for input", over the whole URL space: every route's path segments and query parameters get hostile
// text (src/storage/contracts/hostile-text.ts), percent-encoded as a client would, plus malformed encodings (bad
// UTF-8, CESU-8 surrogates, overlong forms, broken escapes). Each answer must be a 2xx/3xx, or a 4xx in the feed's
// JSON error shape: the NuGet client retries a 5xx (../../../shared/notes/client-behaviour.md §3.1), and a 5xx
// that any anonymous client can cause is a fault. Run on SQLite here and on PostgreSQL from test/storage/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hostileTexts } from '../../src/storage/contracts/hostile-text.ts';
import { seededRandom } from '../../src/storage/contracts/seeded-random.ts';
import {
  assertClientError,
  type FeedSettings,
  type Response,
  startFeed,
  type TestFeed,
} from './feed-fixture.ts';

/** Percent-encodes every UTF-16 unit as UTF-8, and a lone surrogate as the (invalid) CESU-8 bytes a client may send. */
export function percentEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(text.slice(i, i + 2));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out +=
        `%${(0xe0 | (unit >> 12)).toString(16)}%${(0x80 | ((unit >> 6) & 0x3f)).toString(16)}%${(0x80 | (unit & 0x3f)).toString(16)}`.toUpperCase();
    } else {
      out += encodeURIComponent(text[i] as string).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      );
    }
  }
  return out;
}

/** Encodings no well-behaved client sends: invalid UTF-8, surrogates, overlong NUL, broken and double escapes. */
export const malformedEncodings = [
  '%FF',
  '%C0%80',
  '%ED%A0%80',
  '%ED%BF%BF',
  '%E0%80',
  '%F4%90%80%80',
  '%',
  '%%',
  '%2',
  '%G1',
  '%u0000',
  '%2500',
  '%252e%252e',
  '%2e%2e',
  '..%2F..%2F',
  '%2F',
  '%5C',
  'a%00',
  '%00.json',
];

/** A URL with `{}` where the hostile text goes (each `{}` gets the same text). */
interface UrlTemplate {
  readonly method: 'GET' | 'HEAD' | 'DELETE' | 'POST' | 'PUT';
  readonly url: string;
  /** Send the feed's API key (the admin routes answer 401 before they look at anything else). */
  readonly key?: boolean;
}

const templates: readonly UrlTemplate[] = [
  { method: 'GET', url: '/v3/search?q={}' },
  { method: 'GET', url: '/v3/search?q=json&skip={}&take={}' },
  { method: 'GET', url: '/v3/search?q={}&prerelease=true&semVerLevel={}' },
  { method: 'GET', url: '/v3/search?q=fuzz&packageType={}' },
  { method: 'GET', url: '/v3/search?q={}&q={}&skip=1&skip={}&take=2&take={}' },
  { method: 'GET', url: '/v3/search?prerelease={}' },
  { method: 'GET', url: '/v3/autocomplete?q={}' },
  { method: 'GET', url: '/v3/autocomplete?q={}&skip={}&take={}&semVerLevel={}&packageType={}' },
  { method: 'GET', url: '/v3/autocomplete?id={}' },
  { method: 'GET', url: '/v3/autocomplete?id={}&id=fuzz.target&prerelease={}' },
  { method: 'GET', url: '/v3/flatcontainer/{}/index.json' },
  { method: 'GET', url: '/v3/flatcontainer/fuzz.target/{}/fuzz.target.{}.nupkg' },
  { method: 'GET', url: '/v3/flatcontainer/{}/1.0.0/{}.1.0.0.nupkg' },
  { method: 'HEAD', url: '/v3/flatcontainer/fuzz.target/1.0.0/{}' },
  { method: 'GET', url: '/v3/flatcontainer/fuzz.target/{}/fuzz.target.nuspec' },
  { method: 'GET', url: '/v3/registration/{}/index.json' },
  { method: 'GET', url: '/v3/registration-gz-semver2/fuzz.target/{}.json' },
  { method: 'GET', url: '/v3/{}/fuzz.target/index.json' },
  { method: 'GET', url: '/v3/registration/fuzz.target/page/{}/{}.json' },
  { method: 'GET', url: '/v3/catalog/{}' },
  { method: 'GET', url: '/v3/catalog/page{}.json' },
  { method: 'GET', url: '/v3/catalog/data/{}/{}.json' },
  { method: 'GET', url: '/v3/vulnerabilities/{}' },
  { method: 'GET', url: '/v3/symbols/{}/{}/{}' },
  { method: 'GET', url: '/v3/symbols/fuzz.pdb/{}/fuzz.pdb' },
  { method: 'DELETE', url: '/v3/package/{}/{}' },
  { method: 'DELETE', url: '/v3/package/{}/{}', key: true },
  { method: 'POST', url: '/v3/package/fuzz.target/{}', key: true },
  { method: 'DELETE', url: '/v3/admin/deprecations/{}/{}', key: true },
  { method: 'GET', url: '/v3/admin/audit?since={}&limit={}', key: true },
  { method: 'GET', url: '/v3/admin/audit?limit=5&since={}', key: true },
  { method: 'GET', url: '/{}' },
  { method: 'GET', url: '/v3/{}' },
  { method: 'GET', url: '/v3/index.json?{}={}' },
];

/** Asserts the answer is not a server fault, and a refusal has the JSON error shape with a message. */
export function assertNoFault(response: Response, what: string): void {
  assert.ok(response.statusCode < 500, `${what}: ${response.statusCode} ${response.body.slice(0, 300)}`);
  // HEAD answers carry no body to check.
  if (response.statusCode >= 400 && response.rawPayload.length > 0) {
    assertClientError(response, response.statusCode, what);
  }
}

/**
 * The fuzz over the URL space for a feed started with `settings`: `count` generated texts per search parameter,
 * a seeded sample of `perTemplate` texts for every other template, and every malformed encoding everywhere.
 */
export function urlFuzzSuite(
  name: string,
  settings: FeedSettings,
  options: { count: number; perTemplate: number },
): void {
  describe(`never a 5xx for a hostile URL: ${name}`, () => {
    let feed: TestFeed;
    before(async () => {
      feed = await startFeed(settings);
      await feed.publish({
        id: 'Fuzz.Target',
        version: '1.0.0',
        description: 'Fuzz target: and or not near json',
        tags: ['json'],
      });
    });
    after(() => feed.close());

    const texts = hostileTexts({ seed: 101, count: options.count, maxLength: 1000 });
    const send = (template: UrlTemplate, encoded: string) => {
      const url = template.url.replaceAll('{}', encoded);
      const headers: Record<string, string> =
        template.key && feed.apiKey ? { 'x-nuget-apikey': feed.apiKey } : {};
      return feed.request(template.method, url, { headers });
    };

    test('search and autocomplete: every control character, quote form and query syntax in q', async () => {
      for (const [i, text] of texts.entries()) {
        for (const path of ['/v3/search', '/v3/autocomplete']) {
          const url = `${path}?q=${percentEncode(text)}`;
          const response = await feed.request('GET', url);
          const what = `#${i} GET ${url.slice(0, 200)}`;
          assertNoFault(response, what);
          // Printable text up to the length limit is a search, never a refusal: results come back.
          if (!/[\p{Cc}\p{Cs}]/u.test(text)) {
            assert.equal(response.statusCode, 200, `${what}: ${response.body.slice(0, 300)}`);
            assert.ok(Array.isArray(response.json().data), what);
          }
        }
      }
    });

    test('search and autocomplete find a package whatever syntax surrounds its id', async () => {
      for (const q of [
        '"Fuzz.Target"',
        'Fuzz.Target*',
        '(Fuzz.Target)',
        '-Fuzz.Target',
        '^Fuzz.Target',
        'NEAR (Fuzz.Target)',
        "'Fuzz.Target'",
        '\u201cFuzz.Target\u201d',
        'Fuzz.Target:*',
        '!Fuzz.Target',
        'Fuzz.Target & json',
        'Fuzz.Target | json',
        'Fuzz.Target AND json',
        'id:"Fuzz.Target"',
      ]) {
        const search = await feed.json(`/v3/search?q=${percentEncode(q)}`);
        assert.equal(search['data'][0]?.id, 'Fuzz.Target', `search ${JSON.stringify(q)}`);
        // Autocomplete reads all of q as one id prefix: only the marks before the id may stay.
        const before = q.slice(0, q.indexOf('Fuzz'));
        if (/[\p{L}\p{N}]/u.test(before)) continue;
        const complete = await feed.json(`/v3/autocomplete?q=${percentEncode(`${before}Fuzz.Tar`)}`);
        assert.deepEqual(
          complete['data'],
          ['Fuzz.Target'],
          `autocomplete ${JSON.stringify(`${before}Fuzz.Tar`)}`,
        );
      }
    });

    test('every route: hostile text in every path segment and query parameter', async () => {
      const random = seededRandom(202);
      for (const template of templates) {
        const sample = [...malformedEncodings];
        for (let i = 0; i < options.perTemplate; i++) {
          sample.push(percentEncode(texts[Math.floor(random() * texts.length)] as string));
        }
        for (const encoded of sample) {
          const response = await send(template, encoded);
          assertNoFault(response, `${template.method} ${template.url} with ${encoded.slice(0, 200)}`);
        }
      }
    });

    test('a control character anywhere in a URL is refused with 400, whatever the route', async () => {
      const controls = [...Array.from({ length: 0x20 }, (_, i) => i), 0x7f];
      for (const template of templates) {
        for (const code of controls) {
          const encoded = `a%${code.toString(16).padStart(2, '0').toUpperCase()}b`;
          const response = await send(template, encoded);
          const what = `${template.method} ${template.url} with ${encoded}`;
          assert.equal(response.statusCode, 400, `${what}: ${response.body.slice(0, 300)}`);
          if (template.method !== 'HEAD') {
            assert.equal(assertClientError(response, 400, what).code, 'url_control_character', what);
          }
        }
      }
    });

    test('skip, take, semVerLevel and packageType: huge, negative, non-numeric and repeated values', async () => {
      const numbers = [
        '-1',
        '-0',
        '0',
        '3000',
        '3001',
        '1000',
        '1001',
        '1e3',
        '0x10',
        '1.5',
        ' 1',
        '1 ',
        '+1',
        'NaN',
        'Infinity',
        '99999999999999999999999',
        '9'.repeat(400),
        '٣',
        '１',
        '',
      ];
      for (const path of ['/v3/search', '/v3/autocomplete']) {
        for (const value of numbers) {
          for (const name of ['skip', 'take']) {
            assertNoFault(
              await feed.request('GET', `${path}?q=json&${name}=${percentEncode(value)}`),
              `${path} ${name}=${value}`,
            );
          }
        }
        for (const value of [
          '2.0.0',
          '2',
          '1.0.0',
          '3',
          '-2',
          'abc',
          '2.0.0.0.0',
          '9'.repeat(400),
          '',
          '\u0000',
          '2\u0000',
        ]) {
          const response = await feed.request('GET', `${path}?q=json&semVerLevel=${percentEncode(value)}`);
          assertNoFault(response, `${path} semVerLevel=${value}`);
          if (!value.includes('\u0000'))
            assert.equal(response.statusCode, 200, `${path} semVerLevel=${value}`);
        }
        for (const value of [
          'dependency',
          'DotnetTool',
          'Dependency ',
          'a b',
          '"',
          "'",
          '%',
          '_',
          '\u0000',
          'x'.repeat(900),
        ]) {
          assertNoFault(
            await feed.request('GET', `${path}?q=json&packageType=${percentEncode(value)}`),
            `${path} packageType=${value}`,
          );
        }
        const repeated = `${path}?q=fuzz&q=json&skip=0&skip=1&take=1&take=2&prerelease=true&prerelease=false&semVerLevel=2.0.0&semVerLevel=1`;
        assert.equal((await feed.request('GET', repeated)).statusCode, 200, repeated);
      }
    });

    test('a query longer than the limit is refused with 400, not a fault', async () => {
      for (const path of ['/v3/search', '/v3/autocomplete']) {
        for (const q of ['a'.repeat(1001), '"'.repeat(5000), '\u{1f600}'.repeat(600), 'a '.repeat(4000)]) {
          const response = await feed.request('GET', `${path}?q=${percentEncode(q)}`);
          assertClientError(response, 400, `${path} q of ${q.length} characters`);
        }
      }
    });

    test('the same URLs over a real socket, byte for byte (through the raw-HTTP fast path where it is on)', async () => {
      // Warm the fast path's entries first, so that a malformed URL also meets a cache that holds answers.
      for (const url of [
        '/v3/search?q=fuzz',
        '/v3/flatcontainer/fuzz.target/index.json',
        '/v3/registration/fuzz.target/index.json',
      ]) {
        for (let i = 0; i < 2; i++) assert.equal((await feed.rawRequest('GET', url)).statusCode, 200, url);
      }
      for (const template of templates.filter((t) => t.method === 'GET')) {
        for (const encoded of malformedEncodings) {
          const url = template.url.replaceAll('{}', encoded);
          const raw = await feed.rawRequest('GET', url);
          assert.ok(
            raw.statusCode < 500,
            `GET ${url} over a socket: ${raw.statusCode} ${raw.body.toString().slice(0, 300)}`,
          );
        }
      }
    });
  });
}
