// PackagePublish/2.0.0: push (PUT), delete/unlist (DELETE), relist (POST).
// Spec: ../../../shared/spec/nuget-api/package-publish-resource.md; what the client sends and reads:
// ../../../shared/notes/client-behaviour.md §1.5 (push) and §1.6 (delete).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { buildNupkg, buildNuspecXml, zipEntries } from '../fixtures/build-nupkg.ts';
import { buildRawZip, minimalNuspec } from '../fixtures/raw-zip.ts';
import {
  assertClientError,
  chunks,
  multipartBody,
  parseJson,
  startFeed,
  type TestFeed,
  testApiKey,
} from './feed-fixture.ts';

describe('push', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed();
  });
  after(() => feed.close());

  const versionsOf = async (lowerId: string): Promise<string[] | undefined> => {
    const response = await feed.get(`/v3/flatcontainer/${lowerId}/index.json`);
    return response.statusCode === 200 ? parseJson(response)['versions'] : undefined;
  };

  test('the NuGet client body (quoted boundary, chunked, no Content-Length) -> 201', async () => {
    const nupkg = await buildNupkg({ id: 'Push.Client', version: '1.0.0' });
    const response = await feed.push(nupkg);
    assert.equal(response.statusCode, 201, response.body);
    assert.deepEqual(await versionsOf('push.client'), ['1.0.0']);
    assert.deepEqual(await feed.filesUnder('tmp'), [], 'the upload left no temporary file');
  });

  test('an unquoted boundary with Content-Length -> 201', async () => {
    const nupkg = await buildNupkg({ id: 'Push.Unquoted', version: '1.0.0' });
    const response = await feed.push(nupkg, {
      boundaryQuoted: false,
      chunked: false,
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.deepEqual(await versionsOf('push.unquoted'), ['1.0.0']);
  });

  test('a raw application/octet-stream body -> 201', async () => {
    const nupkg = await buildNupkg({ id: 'Push.Raw', version: '2.0.0' });
    assert.equal((await feed.push(nupkg, { raw: true })).statusCode, 201);
    assert.equal(
      (await feed.push(await buildNupkg({ id: 'Push.Raw', version: '2.0.1' }), { raw: true, chunked: false }))
        .statusCode,
      201,
    );
    assert.deepEqual(await versionsOf('push.raw'), ['2.0.0', '2.0.1']);
  });

  test('only the first file part counts; later parts are ignored (spec: "Subsequent items ... are ignored")', async () => {
    const first = await buildNupkg({ id: 'Push.First', version: '1.0.0' });
    const boundary = 'b0undary';
    const body = Buffer.concat([
      multipartBody(first, boundary).subarray(0, -`--${boundary}--\r\n`.length),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name=other; filename=other.bin\r\n` +
          'Content-Type: application/octet-stream\r\n\r\nnot a package\r\n' +
          `--${boundary}--\r\n`,
      ),
    ]);
    const response = await feed.request('PUT', '/v3/package', {
      headers: {
        'content-type': `multipart/form-data; boundary="${boundary}"`,
        'x-nuget-apikey': testApiKey,
      },
      body,
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.deepEqual(await versionsOf('push.first'), ['1.0.0']);
  });

  // What clients other than the NuGet client send (client-behaviour notes; paket 12 captured on Linux): the framing
  // varies, the package in it is valid.
  const framings: { name: string; boundary: string; header?: string; body: (nupkg: Buffer) => Buffer }[] = [
    {
      name: 'paket on Linux and macOS: unquoted boundary, a bare LF before and after the close delimiter',
      boundary: '---------------------------8df4feecebe9cec',
      body: (nupkg) =>
        Buffer.concat([
          Buffer.from(
            '-----------------------------8df4feecebe9cec\r\n' +
              'Content-Disposition: form-data; name="package"; filename="package"\r\n' +
              'Content-Type: application/octet-stream\r\n\r\n',
          ),
          nupkg,
          Buffer.from('\n-----------------------------8df4feecebe9cec--\n'),
        ]),
    },
    {
      name: 'LF-only line endings throughout',
      boundary: 'lf-only',
      body: (nupkg) =>
        Buffer.concat([
          Buffer.from('--lf-only\nContent-Disposition: form-data; name=package; filename=x.nupkg\n\n'),
          nupkg,
          Buffer.from('\n--lf-only--\n'),
        ]),
    },
    {
      name: 'no line end after the close delimiter, a preamble, a field first and a part after the package',
      boundary: 'b',
      body: (nupkg) =>
        Buffer.concat([
          Buffer.from('preamble\r\n--b\r\nContent-Disposition: form-data; name=note\r\n\r\nhi\r\n'),
          Buffer.from('--b\r\nContent-Disposition: form-data; name=package; filename=x.nupkg\r\n\r\n'),
          nupkg,
          Buffer.from(
            '\r\n--b\r\nContent-Disposition: form-data; name=more; filename=y\r\n\r\nmore\r\n--b--',
          ),
        ]),
    },
  ];
  framings.forEach((framing, i) => {
    test(`a push framed as ${framing.name} -> 201`, async () => {
      const id = `Push.Framing${i}`;
      // Over a real socket, as the client sends it.
      const response = await feed.rawRequest('PUT', '/v3/package', {
        headers: {
          'content-type': `multipart/form-data; boundary=${framing.boundary}`,
          'x-nuget-apikey': testApiKey,
        },
        body: framing.body(await buildNupkg({ id, version: '1.0.0' })),
      });
      assert.equal(response.statusCode, 201, response.body.toString());
      assert.deepEqual(await versionsOf(id.toLowerCase()), ['1.0.0']);
    });
  });

  test('no API key -> 401 with the reason in the status line; nothing stored', async () => {
    const response = await feed.push(await buildNupkg({ id: 'Push.NoKey', version: '1.0.0' }), { key: null });
    const error = assertClientError(response, 401);
    assert.equal(response.statusMessage, error.message);
    assert.equal(await versionsOf('push.nokey'), undefined);
  });

  test('a wrong API key -> 403; nothing stored', async () => {
    const response = await feed.push(await buildNupkg({ id: 'Push.WrongKey', version: '1.0.0' }), {
      key: 'not-the-key',
    });
    assertClientError(response, 403);
    assert.equal(await versionsOf('push.wrongkey'), undefined);
  });

  test('a key that only differs in length or case is still wrong -> 403', async () => {
    const nupkg = await buildNupkg({ id: 'Push.KeyCase', version: '1.0.0' });
    assertClientError(await feed.push(nupkg, { key: testApiKey.toUpperCase() }), 403);
    assertClientError(await feed.push(nupkg, { key: `${testApiKey}x` }), 403);
  });

  test('a duplicate -> 409, also with other id casing and a non-normalized version', async () => {
    await feed.publish({ id: 'Push.Dup', version: '1.0.0' });
    for (const [id, version] of [
      ['Push.Dup', '1.0.0'],
      ['PUSH.dup', '1.0.0'],
      ['push.dup', '1.0'],
      ['Push.Dup', '1.0.0.0'],
      ['Push.Dup', '1.0.0+build.5'],
    ] as const) {
      const response = await feed.push(await buildNupkg({ id, version }));
      const error = assertClientError(response, 409, `${id} ${version}`);
      assert.equal(error.code, 'package_exists');
      // The client prints "409 (<reason phrase>)": the phrase must say what happened.
      assert.match(response.statusMessage, /already exists/);
    }
    assert.deepEqual(await versionsOf('push.dup'), ['1.0.0']);
  });

  test('concurrent pushes of one version: exactly one 201, the rest 409, one stored copy', async () => {
    const pushes = await Promise.all(
      ['Push.Race', 'push.race', 'PUSH.RACE', 'Push.Race', 'push.RACE', 'Push.Race'].map(async (id) =>
        feed.push(await buildNupkg({ id, version: '1.0.0' })),
      ),
    );
    const statuses = pushes.map((response) => response.statusCode).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409], pushes.map((r) => r.body).join('\n'));
    const stored = (await feed.filesUnder('blobs')).filter((path) => path.endsWith('push.race.1.0.0.nupkg'));
    assert.equal(stored.length, 1, stored.join(', '));
    assert.deepEqual(await feed.filesUnder('tmp'), []);
  });

  test('a prerelease label differing only in case is the same version -> 409', async () => {
    await feed.publish({ id: 'Push.Label', version: '1.0.0-Beta' });
    assertClientError(await feed.push(await buildNupkg({ id: 'Push.Label', version: '1.0.0-beta' })), 409);
  });

  test('the bytes the client sent are the bytes served', async () => {
    const nupkg = await buildNupkg({
      id: 'Push.Bytes',
      version: '3.1.4',
      files: [{ path: 'data.bin', content: randomBytes(3000) }],
    });
    assert.equal((await feed.push(nupkg)).statusCode, 201);
    const download = await feed.get('/v3/flatcontainer/push.bytes/3.1.4/push.bytes.3.1.4.nupkg');
    assert.equal(download.statusCode, 200);
    assert.ok(download.rawPayload.equals(nupkg));
  });

  const invalidPushes: {
    name: string;
    body: () => Promise<Buffer>;
    raw?: boolean;
    code?: RegExp;
  }[] = [
    {
      name: 'not a zip',
      body: async () => Buffer.from('this is not a zip file at all, just text'),
    },
    { name: 'an empty file part', body: async () => Buffer.alloc(0) },
    { name: 'an empty raw body', body: async () => Buffer.alloc(0), raw: true },
    {
      name: 'a truncated zip',
      body: async () => (await buildNupkg({ id: 'Bad.Truncated', version: '1.0.0' })).subarray(0, 200),
    },
    {
      name: 'a zip with no nuspec',
      body: () => zipEntries([{ name: 'lib/netstandard2.0/a.dll', content: 'x' }]),
    },
    {
      name: 'a nuspec missing <id>',
      body: () =>
        buildNupkg({
          id: 'Bad.NoId',
          version: '1.0.0',
          nuspecXml: buildNuspecXml({
            id: 'Bad.NoId',
            version: '1.0.0',
          }).replace(/\s*<id>[^<]*<\/id>/, ''),
        }),
    },
    {
      name: 'a nuspec missing <version>',
      body: () =>
        buildNupkg({
          id: 'Bad.NoVersion',
          version: '1.0.0',
          nuspecXml: buildNuspecXml({
            id: 'Bad.NoVersion',
            version: '1.0.0',
          }).replace(/\s*<version>[^<]*<\/version>/, ''),
        }),
    },
    {
      name: 'a version that is no version',
      body: () => buildNupkg({ id: 'Bad.Version', version: 'one.two' }),
    },
    {
      name: 'an id with a slash',
      body: () =>
        buildNupkg({
          id: 'Bad/Id',
          version: '1.0.0',
          nuspecName: 'bad.nuspec',
        }),
    },
    {
      name: 'an id with ..',
      body: () => buildNupkg({ id: '..', version: '1.0.0', nuspecName: 'dots.nuspec' }),
    },
    {
      name: 'an id longer than 100 characters',
      body: () =>
        buildNupkg({
          id: 'A'.repeat(101),
          version: '1.0.0',
          nuspecName: 'long.nuspec',
        }),
    },
    {
      name: 'a nuspec that is not XML',
      body: () =>
        buildNupkg({
          id: 'Bad.Xml',
          version: '1.0.0',
          nuspecXml: '<package><metadata>',
        }),
    },
    {
      name: 'a nuspec with a DOCTYPE (XXE)',
      body: () =>
        buildNupkg({
          id: 'Bad.Doctype',
          version: '1.0.0',
          nuspecXml: `<?xml version="1.0"?><!DOCTYPE package [<!ENTITY x SYSTEM "file:///etc/passwd">]>${minimalNuspec(
            'Bad.Doctype',
          )
            .replace(/^<\?xml[^>]*\?>/, '')
            .replace('<description>d', '<description>&x;')}`,
        }),
    },
    {
      name: 'a zip entry escaping with ../',
      body: async () =>
        buildRawZip([
          { name: 'Bad.Slip.nuspec', data: minimalNuspec('Bad.Slip') },
          { name: '../../evil.txt', data: 'x' },
        ]),
    },
    {
      name: 'a zip whose entry lies about its size',
      body: async () =>
        buildRawZip([
          {
            name: 'Bad.Lie.nuspec',
            data: minimalNuspec('Bad.Lie'),
            declaredUncompressedSize: 3,
          },
        ]),
    },
  ];

  for (const item of invalidPushes) {
    test(`${item.name} -> 4xx JSON error, message in the status line, nothing left behind`, async () => {
      const response = await feed.push(await item.body(), {
        raw: item.raw ?? false,
      });
      assert.ok(response.statusCode < 500, `${item.name}: got ${response.statusCode} ${response.body}`);
      const error = assertClientError(response, [400, 413, 415], item.name);
      assert.equal(
        response.statusMessage,
        error.message
          .replace(/[^\x20-\x7e]/g, ' ')
          .slice(0, 300)
          .trim(),
      );
      assert.deepEqual(await feed.filesUnder('tmp'), [], 'temporary upload removed');
    });
  }

  test('the specific 400s carry a message a person can act on', async () => {
    const noId = await buildNupkg({
      id: 'Bad.NoId',
      version: '1.0.0',
      nuspecXml: buildNuspecXml({ id: 'Bad.NoId', version: '1.0.0' }).replace(/\s*<id>[^<]*<\/id>/, ''),
    });
    const error = assertClientError(await feed.push(noId), 400);
    assert.match(error.message, /\bid\b/i);
    const notZip = assertClientError(await feed.push(Buffer.from('hello')), 400);
    assert.match(notZip.message, /zip/i);
    const empty = assertClientError(await feed.push(Buffer.alloc(0)), 400);
    assert.match(empty.message, /empty|0 bytes/i);
  });

  test('multipart with no file part -> 400', async () => {
    const boundary = 'nofilepart';
    const response = await feed.request('PUT', '/v3/package', {
      headers: {
        'content-type': `multipart/form-data; boundary="${boundary}"`,
        'x-nuget-apikey': testApiKey,
      },
      body: Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name=comment\r\n\r\nhello\r\n--${boundary}--\r\n`,
      ),
    });
    const error = assertClientError(response, 400);
    assert.match(error.message, /file/i);
  });

  const badMultiparts: {
    name: string;
    contentType: string;
    body: () => Promise<Buffer>;
    todo?: string;
  }[] = [
    {
      name: 'multipart with a closing boundary and no parts',
      contentType: 'multipart/form-data; boundary="x"',
      body: async () => Buffer.from('--x--\r\n'),
    },
    {
      name: 'multipart cut off in the middle of the file part',
      contentType: 'multipart/form-data; boundary="x"',
      body: async () =>
        multipartBody(await buildNupkg({ id: 'Bad.Cut', version: '1.0.0' }), 'x').subarray(0, 300),
    },
    {
      name: 'a multipart body with no boundary line at all',
      contentType: 'multipart/form-data; boundary="x"',
      body: async () => Buffer.from('garbage without any boundary'),
    },
    {
      name: 'Content-Type multipart/form-data without a boundary parameter',
      contentType: 'multipart/form-data',
      body: () => buildNupkg({ id: 'Bad.Cut', version: '1.0.0' }),
    },
    {
      name: 'Content-Type text/plain',
      contentType: 'text/plain',
      body: () => buildNupkg({ id: 'Bad.Cut', version: '1.0.0' }),
    },
    {
      name: 'Content-Type application/json',
      contentType: 'application/json',
      body: () => buildNupkg({ id: 'Bad.Cut', version: '1.0.0' }),
    },
  ];

  for (const item of badMultiparts) {
    test(`${item.name} -> 4xx JSON error, nothing stored`, item.todo ? { todo: item.todo } : {}, async () => {
      const response = await feed.request('PUT', '/v3/package', {
        headers: {
          'content-type': item.contentType,
          'x-nuget-apikey': testApiKey,
        },
        body: await item.body(),
      });
      assertClientError(response, [400, 413, 415], item.name);
      assert.deepEqual(await feed.filesUnder('tmp'), []);
      assert.equal(await versionsOf('bad.cut'), undefined);
    });
  }

  test('a push the client sends in many small chunks -> 201', async () => {
    const nupkg = await buildNupkg({
      id: 'Push.Chunks',
      version: '1.0.0',
      files: [{ path: 'big.bin', content: randomBytes(50_000) }],
    });
    const boundary = 'smallchunks';
    const response = await feed.app.inject({
      method: 'PUT',
      url: '/v3/package',
      headers: {
        'content-type': `multipart/form-data; boundary="${boundary}"`,
        'transfer-encoding': 'chunked',
        'x-nuget-apikey': testApiKey,
      },
      payload: chunks(multipartBody(nupkg, boundary), 7),
    });
    assert.equal(response.statusCode, 201, response.body);
  });
});

describe('push over the size limit', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed({ maxPackageSize: 4096 });
  });
  after(() => feed.close());

  // Random bytes do not compress, so the nupkg is well over 4 KB.
  const big = () =>
    buildNupkg({
      id: 'Too.Big',
      version: '1.0.0',
      files: [{ path: 'noise.bin', content: randomBytes(20_000) }],
    });

  for (const [name, options] of [
    ['multipart, chunked', {}],
    ['multipart, with Content-Length', { chunked: false }],
    ['raw, chunked', { raw: true, overSocket: true }],
    ['raw, with Content-Length', { raw: true, chunked: false, overSocket: true }],
    ['multipart, chunked, over a socket', { overSocket: true }],
  ] as const) {
    test(`${name} -> 413 and nothing left in tmp/ or blobs/`, async () => {
      const response = await feed.push(await big(), options);
      const error = assertClientError(response, 413);
      assert.equal(response.statusMessage, error.message);
      assert.deepEqual(await feed.filesUnder('tmp'), []);
      assert.deepEqual(await feed.filesUnder('blobs'), []);
      assert.equal((await feed.get('/v3/flatcontainer/too.big/index.json')).statusCode, 404);
    });
  }

  test('the 413 message names the limit in units a person can read', async () => {
    const error = assertClientError(await feed.push(await big()), 413);
    assert.match(error.message, /4096 bytes|4(\.0)? ?KB/i);
  });

  test('a package under the limit is still accepted', async () => {
    await feed.publish({ id: 'Small.Enough', version: '1.0.0' });
  });
});

describe('a feed with no API key', () => {
  let feed: TestFeed;
  before(async () => {
    feed = await startFeed({ apiKey: null });
  });
  after(() => feed.close());

  test('refuses every push, with or without a key -> 403', async () => {
    const nupkg = await buildNupkg({ id: 'No.Key.Feed', version: '1.0.0' });
    for (const key of [null, 'anything', '']) {
      const response = await feed.push(nupkg, { key });
      const error = assertClientError(response, 403, `key ${key}`);
      assert.match(error.message, /api-key/i);
    }
    assert.equal((await feed.get('/v3/flatcontainer/no.key.feed/index.json')).statusCode, 404);
  });

  test('refuses DELETE and POST -> 403', async () => {
    assertClientError(await feed.request('DELETE', '/v3/package/No.Key.Feed/1.0.0'), 403);
    assertClientError(await feed.request('POST', '/v3/package/No.Key.Feed/1.0.0'), 403);
  });
});

describe('delete (unlist) and relist', () => {
  let feed: TestFeed;
  const key = { 'x-nuget-apikey': testApiKey };
  before(async () => {
    feed = await startFeed();
    await feed.publish({
      id: 'Gone.Soon',
      version: '1.0.0',
      description: 'a package that will be unlisted',
    });
    await feed.publish({
      id: 'Gone.Soon',
      version: '2.0.0',
      description: 'a package that will be unlisted',
    });
    await feed.publish({ id: 'Mixed.Case', version: '1.0.0' });
  });
  after(() => feed.close());

  const searchIds = async (q: string) =>
    (await feed.json(`/v3/search?q=${encodeURIComponent(q)}&prerelease=true`))['data'] as {
      id: string;
      versions: { version: string }[];
    }[];

  test('DELETE without a key -> 401, with a wrong key -> 403; still listed', async () => {
    assertClientError(await feed.request('DELETE', '/v3/package/Gone.Soon/2.0.0'), 401);
    assertClientError(
      await feed.request('DELETE', '/v3/package/Gone.Soon/2.0.0', {
        headers: { 'x-nuget-apikey': 'nope' },
      }),
      403,
    );
    const leaf = await feed.json('/v3/registration/gone.soon/2.0.0.json');
    assert.equal(leaf['listed'], true);
  });

  test('DELETE unlists -> 204: still in the flat container and downloadable, listed:false, gone from search', async () => {
    const response = await feed.request('DELETE', '/v3/package/Gone.Soon/2.0.0', { headers: key });
    assert.equal(response.statusCode, 204, response.body);
    assert.equal(response.rawPayload.length, 0);

    assert.deepEqual((await feed.json('/v3/flatcontainer/gone.soon/index.json'))['versions'], [
      '1.0.0',
      '2.0.0',
    ]);
    const download = await feed.get('/v3/flatcontainer/gone.soon/2.0.0/gone.soon.2.0.0.nupkg');
    assert.equal(download.statusCode, 200);

    const index = await feed.json('/v3/registration/gone.soon/index.json');
    const entries = index['items'][0]['items'].map(
      (leaf: { catalogEntry: { version: string; listed: boolean } }) => [
        leaf.catalogEntry.version,
        leaf.catalogEntry.listed,
      ],
    );
    assert.deepEqual(entries, [
      ['1.0.0', true],
      ['2.0.0', false],
    ]);
    assert.equal((await feed.json('/v3/registration/gone.soon/2.0.0.json'))['listed'], false);

    const [hit] = await searchIds('packageid:Gone.Soon');
    assert.equal(hit?.id, 'Gone.Soon');
    assert.deepEqual(
      hit.versions.map((v) => v.version),
      ['1.0.0'],
      'the unlisted version is not among the search versions',
    );
    assert.equal((hit as unknown as { version: string }).version, '1.0.0');
    const versions = await feed.json('/v3/autocomplete?id=gone.soon&prerelease=true');
    assert.deepEqual(versions['data'], ['1.0.0']);
  });

  test('unlisting every version removes the id from search and autocomplete', async () => {
    assert.equal(
      (
        await feed.request('DELETE', '/v3/package/Gone.Soon/1.0.0', {
          headers: key,
        })
      ).statusCode,
      204,
    );
    assert.deepEqual(await searchIds('Gone.Soon'), []);
    assert.deepEqual(await searchIds('packageid:gone.soon'), []);
    assert.deepEqual((await feed.json('/v3/autocomplete?q=gone&prerelease=true'))['data'], []);
    assert.deepEqual((await feed.json('/v3/autocomplete?id=Gone.Soon&prerelease=true'))['data'], []);
    // Unlisted versions stay restorable.
    assert.deepEqual((await feed.json('/v3/flatcontainer/gone.soon/index.json'))['versions'], [
      '1.0.0',
      '2.0.0',
    ]);
  });

  test('DELETE of an unlisted version again still succeeds or says 404, never 5xx', async () => {
    const response = await feed.request('DELETE', '/v3/package/Gone.Soon/1.0.0', { headers: key });
    assert.ok([204, 404].includes(response.statusCode), `${response.statusCode}`);
  });

  test('POST relists -> 200 and the version is back in search', async () => {
    const response = await feed.request('POST', '/v3/package/Gone.Soon/2.0.0', {
      headers: key,
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal((await feed.json('/v3/registration/gone.soon/2.0.0.json'))['listed'], true);
    const [hit] = await searchIds('packageid:Gone.Soon');
    assert.deepEqual(
      hit?.versions.map((v) => v.version),
      ['2.0.0'],
    );
  });

  test('POST on a listed version still succeeds -> 200 (spec: "If the package is already listed")', async () => {
    assert.equal(
      (
        await feed.request('POST', '/v3/package/Gone.Soon/2.0.0', {
          headers: key,
        })
      ).statusCode,
      200,
    );
  });

  test('POST without a key -> 401', async () => {
    assertClientError(await feed.request('POST', '/v3/package/Gone.Soon/1.0.0'), 401);
  });

  test('id and version as the user typed them: mixed case, non-normalized', async () => {
    const unlist = await feed.request('DELETE', '/v3/package/MIXED.case/1.0', {
      headers: key,
    });
    assert.equal(unlist.statusCode, 204, unlist.body);
    assert.equal((await feed.json('/v3/registration/mixed.case/1.0.0.json'))['listed'], false);
    const relist = await feed.request('POST', '/v3/package/mixed.CASE/1.0.0.0', { headers: key });
    assert.equal(relist.statusCode, 200, relist.body);
    assert.equal((await feed.json('/v3/registration/mixed.case/1.0.0.json'))['listed'], true);
  });

  test('unknown id or version -> 404 JSON', async () => {
    for (const path of ['/v3/package/No.Such.Package/1.0.0', '/v3/package/Gone.Soon/9.9.9']) {
      assertClientError(await feed.request('DELETE', path, { headers: key }), 404, `DELETE ${path}`);
      assertClientError(await feed.request('POST', path, { headers: key }), 404, `POST ${path}`);
    }
  });

  test('a version that is no version -> 400 or 404 JSON, never 5xx', async () => {
    for (const version of ['not-a-version', '1.0.0.0.0', '-1']) {
      assertClientError(
        await feed.request('DELETE', `/v3/package/Gone.Soon/${version}`, {
          headers: key,
        }),
        [400, 404],
        version,
      );
      assertClientError(
        await feed.request('POST', `/v3/package/Gone.Soon/${version}`, {
          headers: key,
        }),
        [400, 404],
        version,
      );
    }
  });
});

describe("deleteBehavior: 'delete'", () => {
  let feed: TestFeed;
  const key = { 'x-nuget-apikey': testApiKey };
  before(async () => {
    feed = await startFeed({ deleteBehavior: 'delete' });
    await feed.publish({
      id: 'Hard.Delete',
      version: '1.0.0',
      readme: { path: 'README.md', content: '# gone' },
    });
    await feed.publish({ id: 'Hard.Delete', version: '2.0.0' });
  });
  after(() => feed.close());

  test('DELETE removes the version: flat 404, blobs gone, registration and search without it', async () => {
    const response = await feed.request('DELETE', '/v3/package/HARD.delete/1.0', { headers: key });
    assert.equal(response.statusCode, 204, response.body);

    assert.deepEqual((await feed.json('/v3/flatcontainer/hard.delete/index.json'))['versions'], ['2.0.0']);
    for (const file of ['hard.delete.1.0.0.nupkg', 'hard.delete.nuspec', 'readme']) {
      assert.equal((await feed.get(`/v3/flatcontainer/hard.delete/1.0.0/${file}`)).statusCode, 404, file);
    }
    const blobs = await feed.filesUnder('blobs');
    assert.deepEqual(
      blobs.filter((path) => path.includes('/1.0.0/')),
      [],
    );
    assert.ok(
      blobs.some((path) => path.endsWith('hard.delete.2.0.0.nupkg')),
      'the other version is untouched',
    );

    assert.equal((await feed.get('/v3/registration/hard.delete/1.0.0.json')).statusCode, 404);
    const index = await feed.json('/v3/registration/hard.delete/index.json');
    assert.deepEqual(
      index['items'][0]['items'].map(
        (leaf: { catalogEntry: { version: string } }) => leaf.catalogEntry.version,
      ),
      ['2.0.0'],
    );
    const search = await feed.json('/v3/search?q=packageid:hard.delete');
    assert.deepEqual(
      search['data'][0]['versions'].map((v: { version: string }) => v.version),
      ['2.0.0'],
    );
  });

  test('deleting the last version removes the id: flat index 404, blobs empty', async () => {
    assert.equal(
      (
        await feed.request('DELETE', '/v3/package/Hard.Delete/2.0.0', {
          headers: key,
        })
      ).statusCode,
      204,
    );
    assertClientError(await feed.get('/v3/flatcontainer/hard.delete/index.json'), 404);
    assertClientError(await feed.get('/v3/registration/hard.delete/index.json'), 404);
    assert.deepEqual(await feed.filesUnder('blobs'), []);
    assert.deepEqual((await feed.json('/v3/search?q=packageid:hard.delete'))['data'], []);
  });

  test('a second DELETE -> 404', async () => {
    assertClientError(
      await feed.request('DELETE', '/v3/package/Hard.Delete/2.0.0', {
        headers: key,
      }),
      404,
    );
  });
});
