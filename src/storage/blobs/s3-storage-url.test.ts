import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isNuggetError } from '../../errors.ts';
import { parseS3StorageUrl, type S3StorageOptions } from './s3-storage-url.ts';

describe('parseS3StorageUrl', () => {
  const valid: [string, S3StorageOptions][] = [
    ['s3://nuget-feed', { bucket: 'nuget-feed', prefix: '' }],
    ['s3://nuget-feed/', { bucket: 'nuget-feed', prefix: '' }],
    ['s3://nuget-feed/some/prefix', { bucket: 'nuget-feed', prefix: 'some/prefix' }],
    ['s3://nuget-feed/some/prefix/', { bucket: 'nuget-feed', prefix: 'some/prefix' }],
    ['s3://nuget-feed/with%20space', { bucket: 'nuget-feed', prefix: 'with space' }],
    ['s3://my.bucket-1/p', { bucket: 'my.bucket-1', prefix: 'p' }],
    [
      's3://bucket/some/prefix?endpoint=http://127.0.0.1:4568&region=us-east-1&forcePathStyle=true',
      {
        bucket: 'bucket',
        prefix: 'some/prefix',
        endpoint: 'http://127.0.0.1:4568',
        region: 'us-east-1',
        forcePathStyle: true,
      },
    ],
    [
      's3://bucket?endpoint=http%3A%2F%2F127.0.0.1%3A4568&forcePathStyle=false',
      { bucket: 'bucket', prefix: '', endpoint: 'http://127.0.0.1:4568', forcePathStyle: false },
    ],
    [
      's3://bucket/p?endpoint=https://gateway.example/s3/',
      { bucket: 'bucket', prefix: 'p', endpoint: 'https://gateway.example/s3' },
    ],
    ['s3://bucket/p?region=auto', { bucket: 'bucket', prefix: 'p', region: 'auto' }],
  ];
  for (const [text, expected] of valid) {
    it(`'${text}' -> ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseS3StorageUrl(text), expected);
    });
  }

  const invalid: [string, RegExp][] = [
    ['', /is not a URL/],
    ['/var/lib/nugget', /is not a URL/],
    ['file:///var/lib/nugget', /does not start with s3:\/\//],
    ['https://bucket.s3.amazonaws.com/p', /does not start with s3:\/\//],
    ['s3:///prefix', /names no bucket/],
    ['s3://key:secret@bucket/p', /must not contain credentials; set AWS_ACCESS_KEY_ID/],
    ['s3://bucket:9000/p', /port after the bucket name; put the server in \?endpoint=/],
    ['s3://bucket/p#x', /#fragment/],
    ['s3://My-Bucket/p', /'My-Bucket' is not a valid bucket name/],
    ['s3://ab/p', /'ab' is not a valid bucket name/],
    ['s3://bucket_1/p', /not a valid bucket name/],
    ['s3://-bucket/p', /not a valid bucket name/],
    ['s3://my..bucket/p', /not a valid bucket name/],
    ['s3://192.168.1.10/p', /not a valid bucket name/],
    ['s3://bucket/a//b', /empty, '\.' or '\.\.' segment/],
    ['s3://bucket/a/../b', /empty, '\.' or '\.\.' segment/],
    ['s3://bucket/a/%2E%2E/b', /empty, '\.' or '\.\.' segment/],
    ['s3://bucket/./b', /empty, '\.' or '\.\.' segment/],
    ['s3://bucket/a%ZZ', /malformed %-escape/],
    ['s3://bucket/p?endpoint=localhost:9000', /endpoint 'localhost:9000' must be an http:\/\/ or https:\/\//],
    ['s3://bucket/p?endpoint=not a url', /endpoint 'not a url' is not a URL/],
    ['s3://bucket/p?endpoint=http://u:p@127.0.0.1:9000', /endpoint .* must not contain credentials/],
    ['s3://bucket/p?region=us east', /region 'us east' is not a region name/],
    ['s3://bucket/p?forcePathStyle=yes', /forcePathStyle must be true or false, not 'yes'/],
    [
      's3://bucket/p?pathStyle=true',
      /unknown parameter 'pathStyle' \(known: endpoint, region, forcePathStyle\)/,
    ],
    ['s3://bucket/p?region=a&region=b', /parameter 'region' is given twice/],
    ['s3://bucket/p?region=', /parameter 'region' is empty/],
  ];
  for (const [text, message] of invalid) {
    it(`rejects '${text}' with ${message}`, () => {
      assert.throws(
        () => parseS3StorageUrl(text),
        (error: unknown) =>
          isNuggetError(error) &&
          error.kind === 'InvalidInput' &&
          error.code === 'InvalidS3StorageUrl' &&
          message.test(error.message) &&
          error.message.includes('Expected e.g. s3://'),
      );
    });
  }

  it('never quotes a secret it was given in its messages (they are printed at start)', () => {
    for (const text of [
      's3://AKIAEXAMPLE:wJalrSECRET@bucket name/prefix',
      's3://AKIAEXAMPLE:wJalrSECRET@bucket:9000/prefix',
      's3://bucket/p?endpoint=http://user:wJalrSECRET@minio:9000',
      's3://bucket/%zz?token=wJalrSECRET',
    ]) {
      assert.throws(
        () => parseS3StorageUrl(text),
        (error: Error) => isNuggetError(error) && !error.message.includes('wJalrSECRET'),
        text,
      );
    }
  });
});
