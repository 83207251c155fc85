// PackageBaseAddress/3.0.0 (flat container): ../../../shared/spec/nuget-api/package-base-address-resource.md
// Restore reads only `versions`, then downloads `{id}.{version}.nupkg`; unlisted versions stay restorable, and
// every path segment must match case-insensitively (../../../shared/notes/client-behaviour.md §1.2).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { after, before, describe, test } from 'node:test';
import { buildNuspecXml, type NupkgSpec } from '../fixtures/build-nupkg.ts';
import {
  assertClientError,
  assertHeadLikeGet,
  type JsonObject,
  startFeed,
  type TestFeed,
  testApiKey,
} from './feed-fixture.ts';

const pngBytes = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  randomBytes(64),
]);

const withFiles: NupkgSpec = {
  id: 'Content.Files',
  version: '1.2.0',
  readme: {
    path: 'docs/README.md',
    content: '# Content.Files\n\nHow to use it.\n',
  },
  icon: { path: 'images/icon.png', bytes: pngBytes },
  licenseFile: {
    path: 'LICENSE.txt',
    content: 'Permission is hereby granted, free of charge...\n',
  },
};

describe('flat container', () => {
  let feed: TestFeed;
  let plainNupkg: Buffer;
  let filesNupkg: Buffer;

  // Pushed out of order on purpose; the list must come back in NuGet precedence order.
  const sortedPushOrder = [
    '2.0.0',
    '1.0.10',
    '1.0.0',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-alpha',
    '1.0.1+meta',
    '1.0.0-RC',
    '1.2.3.4',
    '1.0.2-beta.10',
    '1.0.2-beta.9',
  ];

  before(async () => {
    feed = await startFeed();
    plainNupkg = await feed.publish({ id: 'Content.Plain', version: '1.0.0' });
    filesNupkg = await feed.publish(withFiles);
    for (const version of sortedPushOrder) await feed.publish({ id: 'Sorted.Versions', version });
    await feed.publish({ id: 'Counted.Pkg', version: '1.0.0' });
    await feed.publish({ id: 'Counted.Pkg', version: '2.0.0' });
  });
  after(() => feed.close());

  test('version list: lower-cased, normalized, no metadata, NuGet precedence order', async () => {
    const list = await feed.json('/v3/flatcontainer/sorted.versions/index.json');
    assert.deepEqual(Object.keys(list), ['versions']);
    assert.deepEqual(list['versions'], [
      '1.0.0-alpha',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-rc',
      '1.0.0',
      '1.0.1',
      '1.0.2-beta.9',
      '1.0.2-beta.10',
      '1.0.10',
      '1.2.3.4',
      '2.0.0',
    ]);
  });

  test('version list includes unlisted versions', async () => {
    const unlist = await feed.request('DELETE', '/v3/package/Sorted.Versions/2.0.0', {
      headers: { 'x-nuget-apikey': testApiKey },
    });
    assert.equal(unlist.statusCode, 204);
    const list = await feed.json('/v3/flatcontainer/sorted.versions/index.json');
    assert.equal(list['versions'].at(-1), '2.0.0');
    const download = await feed.get('/v3/flatcontainer/sorted.versions/2.0.0/sorted.versions.2.0.0.nupkg');
    assert.equal(download.statusCode, 200);
  });

  test('every listed version is downloadable at the URL the client builds from it', async () => {
    const list = await feed.json('/v3/flatcontainer/sorted.versions/index.json');
    for (const version of list['versions'] as string[]) {
      const response = await feed.get(
        `/v3/flatcontainer/sorted.versions/${version}/sorted.versions.${version}.nupkg`,
      );
      assert.equal(response.statusCode, 200, version);
    }
  });

  test('version list of an unknown id -> 404 JSON (the client reads it as "no such package")', async () => {
    const error = assertClientError(await feed.get('/v3/flatcontainer/no.such.package/index.json'), 404);
    assert.match(error.message, /no\.such\.package/i);
  });

  test('version list path is case-insensitive', async () => {
    const list = await feed.json('/v3/flatcontainer/Content.Plain/index.json');
    assert.deepEqual(list['versions'], ['1.0.0']);
  });

  test('nupkg: the pushed bytes, application/octet-stream, right Content-Length', async () => {
    const response = await feed.get('/v3/flatcontainer/content.plain/1.0.0/content.plain.1.0.0.nupkg');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/octet-stream');
    assert.equal(Number(response.headers['content-length']), plainNupkg.length);
    assert.ok(response.rawPayload.equals(plainNupkg), 'served bytes differ from pushed bytes');
  });

  test('nupkg is not re-encoded even when the client accepts gzip', async () => {
    const response = await feed.get('/v3/flatcontainer/content.files/1.2.0/content.files.1.2.0.nupkg', {
      'accept-encoding': 'gzip, deflate',
    });
    assert.equal(response.headers['content-encoding'], undefined);
    assert.ok(response.rawPayload.equals(filesNupkg));
  });

  test('nupkg paths match case-insensitively and with non-normalized versions', async () => {
    const urls = [
      '/v3/flatcontainer/CONTENT.PLAIN/1.0.0/CONTENT.PLAIN.1.0.0.NUPKG',
      '/v3/flatcontainer/Content.Plain/1.0.0/Content.Plain.1.0.0.nupkg',
      '/v3/flatcontainer/content.plain/1.0.0.0/content.plain.1.0.0.0.nupkg',
      '/v3/flatcontainer/content.plain/1.0/content.plain.1.0.nupkg',
      '/v3/flatcontainer/content.plain/1.0.0/content.plain.1.0.nupkg',
      '/v3/flatcontainer/sorted.versions/1.0.0-RC/Sorted.Versions.1.0.0-RC.nupkg',
    ];
    for (const url of urls) {
      const response = await feed.get(url);
      assert.equal(response.statusCode, 200, `${url}: ${response.body.slice(0, 200)}`);
    }
  });

  test('a version with build metadata is served at its normalized URL', async () => {
    const list = await feed.json('/v3/flatcontainer/sorted.versions/index.json');
    assert.ok(list['versions'].includes('1.0.1'));
    const response = await feed.get('/v3/flatcontainer/sorted.versions/1.0.1/sorted.versions.1.0.1.nupkg');
    assert.equal(response.statusCode, 200);
  });

  test('nuspec: the nuspec from the package, as XML', async () => {
    const response = await feed.get('/v3/flatcontainer/content.plain/1.0.0/content.plain.nuspec');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /xml/);
    assert.equal(response.body, buildNuspecXml({ id: 'Content.Plain', version: '1.0.0' }));
    const upper = await feed.get('/v3/flatcontainer/CONTENT.PLAIN/1.0.0/Content.Plain.nuspec');
    assert.equal(upper.statusCode, 200);
  });

  test('embedded readme, icon and license are served', async () => {
    const readme = await feed.get('/v3/flatcontainer/content.files/1.2.0/readme');
    assert.equal(readme.statusCode, 200);
    assert.match(String(readme.headers['content-type']), /^text\/markdown/);
    assert.equal(readme.body, withFiles.readme?.content);

    const icon = await feed.get('/v3/flatcontainer/content.files/1.2.0/icon');
    assert.equal(icon.statusCode, 200);
    assert.equal(icon.headers['content-type'], 'image/png');
    assert.equal(Number(icon.headers['content-length']), pngBytes.length);
    assert.ok(icon.rawPayload.equals(pngBytes));

    const license = await feed.get('/v3/flatcontainer/content.files/1.2.0/license');
    assert.equal(license.statusCode, 200);
    assert.match(String(license.headers['content-type']), /^text\/plain/);
    assert.equal(license.body, withFiles.licenseFile?.content);
  });

  test('HEAD answers like GET for every flat container URL, hits and misses', async () => {
    for (const url of [
      '/v3/flatcontainer/content.files/index.json',
      '/v3/flatcontainer/content.files/1.2.0/content.files.1.2.0.nupkg',
      '/v3/flatcontainer/content.files/1.2.0/content.files.nuspec',
      '/v3/flatcontainer/content.files/1.2.0/readme',
      '/v3/flatcontainer/content.files/1.2.0/icon',
      '/v3/flatcontainer/content.files/1.2.0/license',
      '/v3/flatcontainer/no.such/index.json',
      '/v3/flatcontainer/content.files/9.9.9/content.files.9.9.9.nupkg',
    ]) {
      await assertHeadLikeGet(feed, url);
    }
  });

  const misses: [string, string][] = [
    ['unknown version', '/v3/flatcontainer/content.plain/9.9.9/content.plain.9.9.9.nupkg'],
    ['unknown id', '/v3/flatcontainer/nope/1.0.0/nope.1.0.0.nupkg'],
    ['file name of another id', '/v3/flatcontainer/content.plain/1.0.0/content.files.1.0.0.nupkg'],
    ['file name of another version', '/v3/flatcontainer/content.plain/1.0.0/content.plain.2.0.0.nupkg'],
    [
      'file name with a version that is no version',
      '/v3/flatcontainer/content.plain/1.0.0/content.plain.x.nupkg',
    ],
    ['no .nupkg extension', '/v3/flatcontainer/content.plain/1.0.0/content.plain.1.0.0'],
    ['.zip instead of .nupkg', '/v3/flatcontainer/content.plain/1.0.0/content.plain.1.0.0.zip'],
    ['nuspec of another id', '/v3/flatcontainer/content.plain/1.0.0/other.nuspec'],
    ['readme the package does not have', '/v3/flatcontainer/content.plain/1.0.0/readme'],
    ['icon the package does not have', '/v3/flatcontainer/content.plain/1.0.0/icon'],
    ['license the package does not have', '/v3/flatcontainer/content.plain/1.0.0/license'],
    ['an arbitrary file name', '/v3/flatcontainer/content.files/1.2.0/LICENSE.txt'],
    ['the readme by its path in the package', '/v3/flatcontainer/content.files/1.2.0/README.md'],
    [
      'a version that is no version',
      '/v3/flatcontainer/content.plain/not-a-version/content.plain.not-a-version.nupkg',
    ],
  ];
  for (const [name, url] of misses) {
    test(`404 JSON for ${name}`, async () => {
      assertClientError(await feed.get(url), 404, url);
    });
  }

  test('downloads are counted per version (GET only) and shown in search', async () => {
    for (const url of [
      '/v3/flatcontainer/counted.pkg/1.0.0/counted.pkg.1.0.0.nupkg',
      '/v3/flatcontainer/COUNTED.PKG/1.0.0/Counted.Pkg.1.0.0.nupkg',
      '/v3/flatcontainer/counted.pkg/1.0.0.0/counted.pkg.1.0.0.0.nupkg',
      '/v3/flatcontainer/counted.pkg/2.0.0/counted.pkg.2.0.0.nupkg',
    ]) {
      assert.equal((await feed.get(url)).statusCode, 200, url);
    }
    // Neither HEAD, nor the nuspec, nor a miss is a download.
    await feed.request('HEAD', '/v3/flatcontainer/counted.pkg/2.0.0/counted.pkg.2.0.0.nupkg');
    await feed.get('/v3/flatcontainer/counted.pkg/2.0.0/counted.pkg.nuspec');
    await feed.get('/v3/flatcontainer/counted.pkg/3.0.0/counted.pkg.3.0.0.nupkg');
    await feed.feed.downloads.flush();

    const search = await feed.json('/v3/search?q=packageid:Counted.Pkg');
    const [hit] = search['data'] as JsonObject[];
    assert.ok(hit);
    assert.deepEqual(
      hit['versions'].map((v: JsonObject) => [v['version'], v['downloads']]),
      [
        ['1.0.0', 3],
        ['2.0.0', 1],
      ],
    );
    assert.equal(hit['totalDownloads'], 4);
  });
});

describe('serving blobs with the server own FileSystemBlobStore.open', () => {
  test('a download leaves no FileHandle for the garbage collector to close', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const uncaught: Error[] = [];
    // Captured here: an error raised by GC belongs to no test, so the runner would blame the whole file.
    process.setUncaughtExceptionCaptureCallback((error) => uncaught.push(error as Error));
    const feed = await startFeed();
    try {
      await feed.publish({ id: 'Fd.Probe', version: '1.0.0' });
      for (let i = 0; i < 3; i++) {
        const response = await feed.get('/v3/flatcontainer/fd.probe/1.0.0/fd.probe.1.0.0.nupkg');
        assert.equal(response.statusCode, 200);
      }
      // Collect now and wait for the close callbacks, so nothing lands after this test has ended.
      await delay(10);
      gc();
      await delay(200);
      gc();
      await delay(50);
    } finally {
      process.setUncaughtExceptionCaptureCallback(null);
      await feed.close();
    }
    assert.deepEqual(
      uncaught.map((e) => e.message),
      [],
    );
  });
});
