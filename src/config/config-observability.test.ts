// The logging and metrics options of the configuration (docs/configuration.md, docs/operations.md).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, configFromFlags } from './config.ts';

describe('--log-format', () => {
  test('json by default; pretty by flag or NUGGET_LOG_FORMAT; anything else refused', () => {
    assert.equal(configFromFlags({}, {}).logFormat, 'json');
    assert.equal(configFromFlags({}, { NUGGET_LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
    assert.equal(configFromFlags({ logFormat: 'json' }, { NUGGET_LOG_FORMAT: 'pretty' }).logFormat, 'json');
    assert.throws(() => configFromFlags({ logFormat: 'xml' }, {}), /--log-format \/ NUGGET_LOG_FORMAT/);
  });
});

describe('--metrics-token', () => {
  test('none by default; from NUGGET_METRICS_TOKEN; at least 16 characters, and never echoed', () => {
    assert.equal(configFromFlags({}, {}).metricsToken, undefined);
    const token = 'a-long-enough-token-0123';
    assert.equal(configFromFlags({}, { NUGGET_METRICS_TOKEN: token }).metricsToken, token);
    assert.throws(
      () => configFromFlags({ metricsToken: 'short-secret' }, {}),
      (error: Error) =>
        error instanceof ConfigError &&
        /--metrics-token \/ NUGGET_METRICS_TOKEN: must be at least 16/.test(error.message) &&
        !error.message.includes('short-secret'),
    );
  });
});

describe('--public-url', () => {
  test('with a user name or password is refused without quoting it: every document would carry it', () => {
    for (const url of ['https://admin:s3cr3t@nuget.example.com', 'https://token@nuget.example.com/feed']) {
      assert.throws(
        () => configFromFlags({ publicUrl: url }, {}),
        (error: Error) =>
          error instanceof ConfigError &&
          /--public-url \/ NUGGET_PUBLIC_URL: must not contain a user name or password/.test(error.message) &&
          !/s3cr3t|token@/.test(error.message),
        url,
      );
    }
    assert.equal(
      configFromFlags({ publicUrl: 'https://nuget.example.com/feed/?q=a@b' }, {}).publicUrl,
      'https://nuget.example.com/feed/?q=a@b',
    );
  });
});
