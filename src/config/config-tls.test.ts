// The TLS and upload-timeout options of the configuration (docs/configuration.md).
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, configFromFlags, loadConfig, parseDuration } from './config.ts';

describe('parseDuration', () => {
  const rows: [text: string, ms: number][] = [
    ['60', 60_000],
    ['60s', 60_000],
    ['1.5s', 1500],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    [' 30 S ', 30_000],
  ];
  for (const [text, ms] of rows) {
    test(`'${text}' -> ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  }
  for (const text of ['', 'soon', '-5s', '10 minutes', '1d']) {
    test(`'${text}' is no duration`, () => assert.throws(() => parseDuration(text), /is not a duration/));
  }
});

describe('--upload-timeout', () => {
  test('defaults to 60 seconds', () => assert.equal(configFromFlags({}, {}).uploadTimeout, 60_000));
  test('flag over environment', () => {
    assert.equal(configFromFlags({}, { NUGGET_UPLOAD_TIMEOUT: '2m' }).uploadTimeout, 120_000);
    assert.equal(
      configFromFlags({ uploadTimeout: '15s' }, { NUGGET_UPLOAD_TIMEOUT: '2m' }).uploadTimeout,
      15_000,
    );
  });
  test('a bad or zero value is a ConfigError naming the option', () => {
    for (const value of ['soon', '0']) {
      assert.throws(
        () => configFromFlags({ uploadTimeout: value }, {}),
        (error: Error) =>
          error instanceof ConfigError && /--upload-timeout \/ NUGGET_UPLOAD_TIMEOUT/.test(error.message),
      );
    }
  });
});

describe('--tls-cert and --tls-key', () => {
  test('neither: plain HTTP', () => {
    const config = configFromFlags({}, {});
    assert.equal(config.tlsCert, undefined);
    assert.equal(config.tlsKey, undefined);
  });

  test('both, from flags or from the environment (relative paths from the current directory)', () => {
    const expected = [path.resolve('c.pem'), path.resolve('k.pem')];
    const fromFlags = loadConfig(['--tls-cert', 'c.pem', '--tls-key', 'k.pem'], {});
    assert.deepEqual([fromFlags.tlsCert, fromFlags.tlsKey], expected);
    const fromEnv = configFromFlags({}, { NUGGET_TLS_CERT: 'c.pem', NUGGET_TLS_KEY: 'k.pem' });
    assert.deepEqual([fromEnv.tlsCert, fromEnv.tlsKey], expected);
  });

  const halves: [given: Record<string, string>, env: Record<string, string>, missing: RegExp][] = [
    [{ tlsCert: 'c.pem' }, {}, /--tls-cert .*also give --tls-key \(NUGGET_TLS_KEY\), or neither/],
    [{ tlsKey: 'k.pem' }, {}, /--tls-key .*also give --tls-cert \(NUGGET_TLS_CERT\), or neither/],
    [{}, { NUGGET_TLS_CERT: 'c.pem' }, /also give --tls-key/],
  ];
  for (const [flags, env, message] of halves) {
    test(`only one of them (${JSON.stringify({ ...flags, ...env })}) -> a ConfigError saying what is missing`, () => {
      assert.throws(
        () => configFromFlags(flags, env),
        (error: Error) => error instanceof ConfigError && message.test(error.message),
      );
    });
  }
});
