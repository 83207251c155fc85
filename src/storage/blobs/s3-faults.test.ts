// Which object-store errors are the server's fault, and the kind each one becomes.
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { S3ServiceException } from '@aws-sdk/client-s3';
import type { ErrorKind } from '../../errors.ts';
import { s3Fault } from './s3-blob-store.ts';

const s3 = (name: string, status: number) =>
  new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });

describe('s3Fault', () => {
  const rows: [string, Error, ErrorKind | undefined, string | undefined][] = [
    ['SlowDown', s3('SlowDown', 503), 'Unavailable', 'storage_unavailable'],
    ['ServiceUnavailable', s3('ServiceUnavailable', 503), 'Unavailable', 'storage_unavailable'],
    ['InternalError', s3('InternalError', 500), 'Unavailable', 'storage_unavailable'],
    ['RequestTimeout', s3('RequestTimeout', 400), 'Unavailable', 'storage_unavailable'],
    ['a full MinIO', s3('XMinioStorageFull', 507), 'InsufficientStorage', 'storage_full'],
    ['AccessDenied', s3('AccessDenied', 403), 'Unavailable', 'storage_access_denied'],
    ['InvalidAccessKeyId', s3('InvalidAccessKeyId', 403), 'Unavailable', 'storage_access_denied'],
    ['NoSuchBucket', s3('NoSuchBucket', 404), 'Unavailable', 'storage_bucket_missing'],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'Unavailable',
      'storage_unavailable',
    ],
    ['NoSuchKey (an absent blob, not a fault)', s3('NoSuchKey', 404), undefined, undefined],
    ['a bug', new TypeError('x is not a function'), undefined, undefined],
  ];
  for (const [what, error, kind, code] of rows) {
    test(`${what} -> ${code ?? 'not a server fault'}`, () => {
      const fault = s3Fault(error);
      assert.equal(fault?.kind, kind);
      assert.equal(fault?.code, code);
      if (fault) assert.equal(fault.cause, error);
    });
  }
});
