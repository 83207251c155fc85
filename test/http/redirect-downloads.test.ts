// --redirect-downloads: .nupkg downloads answer 302 to a presigned URL of the object store (or a CDN in front of
// it), so package bytes no longer pass through nugget. Against s3rver, which does not check signatures: that a
// bad or expired signature is refused needs a real S3 (docs/configuration.md).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, configFromFlags } from '../../src/config/config.ts';
import { type S3TestServer, startS3Server } from '../support/s3-server.ts';
import { startFeed, type TestFeed } from './feed-fixture.ts';

describe('--redirect-downloads', () => {
  let s3: S3TestServer;
  let redirecting: TestFeed;
  let streaming: TestFeed;
  let nupkg: Buffer;

  before(async () => {
    s3 = await startS3Server();
    process.env['AWS_ACCESS_KEY_ID'] = s3.credentials.accessKeyId;
    process.env['AWS_SECRET_ACCESS_KEY'] = s3.credentials.secretAccessKey;
    redirecting = await startFeed({
      config: { storage: s3.storageUrl('redirect'), redirectDownloads: true },
    });
    streaming = await startFeed({ config: { storage: s3.storageUrl('stream') } });
    nupkg = await redirecting.publish({
      id: 'Redirect.Me',
      version: '1.0.0',
      readme: { path: 'README.md', content: '# r' },
    });
    await streaming.publish({ id: 'Redirect.Me', version: '1.0.0' });
  });
  after(async () => {
    await redirecting?.close();
    await streaming?.close();
    await s3?.stop();
  });

  test('a .nupkg download answers 302 to a presigned URL that serves the pushed bytes', async () => {
    const response = await redirecting.get('/v3/flatcontainer/redirect.me/1.0.0/redirect.me.1.0.0.nupkg');
    assert.equal(response.statusCode, 302);
    const location = new URL(String(response.headers['location']));
    assert.equal(location.origin, s3.endpoint);
    assert.match(
      location.pathname,
      /^\/nugget\/redirect\/feeds\/default\/packages\/redirect\.me\/1\.0\.0\/[0-9a-f-]{36}\/redirect\.me\.1\.0\.0\.nupkg$/,
    );
    assert.ok(location.searchParams.get('X-Amz-Signature'), 'signed');
    assert.equal(location.searchParams.get('X-Amz-Expires'), '7200');
    const download = await fetch(location);
    assert.equal(download.status, 200);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), nupkg);
  });

  test('every download within the signing window gets the same URL, which a CDN can cache', async () => {
    const url = '/v3/flatcontainer/Redirect.Me/1.0.0/Redirect.Me.1.0.0.nupkg';
    const [first, second] = [await redirecting.get(url), await redirecting.get(url)];
    assert.equal(first.headers['location'], second.headers['location']);
  });

  test('the redirected download is still counted', async () => {
    const before = (await redirecting.feed.packages.findVersion('redirect.me', '1.0.0'))?.downloads ?? 0;
    await redirecting.get('/v3/flatcontainer/redirect.me/1.0.0/redirect.me.1.0.0.nupkg');
    await redirecting.feed.downloads.flush();
    const afterwards = (await redirecting.feed.packages.findVersion('redirect.me', '1.0.0'))?.downloads ?? 0;
    assert.ok(afterwards > before, `${before} -> ${afterwards}`);
  });

  test('small files (nuspec, readme) and unknown versions are answered by nugget itself', async () => {
    const readme = await redirecting.get('/v3/flatcontainer/redirect.me/1.0.0/readme');
    assert.equal(readme.statusCode, 200);
    assert.equal(readme.body, '# r');
    assert.equal(
      (await redirecting.get('/v3/flatcontainer/redirect.me/1.0.0/redirect.me.nuspec')).statusCode,
      200,
    );
    assert.equal(
      (await redirecting.get('/v3/flatcontainer/redirect.me/9.0.0/redirect.me.9.0.0.nupkg')).statusCode,
      404,
    );
  });

  test('off by default: an S3 feed streams the .nupkg itself', async () => {
    const response = await streaming.get('/v3/flatcontainer/redirect.me/1.0.0/redirect.me.1.0.0.nupkg');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['location'], undefined);
  });

  test('refused without S3 storage: files in the data directory have no presigned URLs', () => {
    assert.throws(
      () => configFromFlags({ redirectDownloads: true }, {}),
      (error: unknown) =>
        error instanceof ConfigError &&
        /--redirect-downloads .* needs --storage s3:\/\//s.test(error.message),
    );
    assert.equal(
      configFromFlags({}, { NUGGET_STORAGE: 's3://bucket/p', NUGGET_REDIRECT_DOWNLOADS: 'true' })
        .redirectDownloads,
      true,
    );
  });
});
