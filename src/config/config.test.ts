// Where configuration values come from (docs/configuration.md): defaults < config file < NUGGET_* environment
// < flags, secrets from files, and relative paths.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { type Config, ConfigError, resolveConfig, shellDirectory } from './config.ts';

const file = (text: string, at = '/etc/nugget/nugget.toml') => ({ path: at, text });

/** Per option: its config key, flag attribute and variable, a value for each layer, and what each means. */
const layers: {
  key: keyof Config;
  fileLine: string;
  env: [string, string];
  flag: unknown;
  byDefault: unknown;
  fromFile: unknown;
  fromEnv: unknown;
  fromFlag: unknown;
}[] = [
  {
    key: 'port',
    fileLine: 'port = 6000',
    env: ['NUGGET_PORT', '7000'],
    flag: '8000',
    byDefault: 5000,
    fromFile: 6000,
    fromEnv: 7000,
    fromFlag: 8000,
  },
  {
    key: 'uploadTimeout',
    fileLine: 'upload-timeout = "2m"',
    env: ['NUGGET_UPLOAD_TIMEOUT', '90'],
    flag: '500ms',
    byDefault: 60_000,
    fromFile: 120_000,
    fromEnv: 90_000,
    fromFlag: 500,
  },
  {
    key: 'trustProxy',
    fileLine: 'trust-proxy = true',
    env: ['NUGGET_TRUST_PROXY', 'false'],
    flag: true,
    byDefault: false,
    fromFile: true,
    fromEnv: false,
    fromFlag: true,
  },
  {
    key: 'logLevel',
    fileLine: 'log-level = "debug"',
    env: ['NUGGET_LOG_LEVEL', 'warn'],
    flag: 'error',
    byDefault: 'info',
    fromFile: 'debug',
    fromEnv: 'warn',
    fromFlag: 'error',
  },
  {
    key: 'apiKey',
    fileLine: 'api-key = "from-file"',
    env: ['NUGGET_API_KEY', 'from-env'],
    flag: 'from-flag',
    byDefault: undefined,
    fromFile: 'from-file',
    fromEnv: 'from-env',
    fromFlag: 'from-flag',
  },
];

describe('precedence: defaults < config file < environment < flags', () => {
  for (const option of layers) {
    // Every combination of the three layers; the highest one given wins.
    for (let given = 0; given < 8; given++) {
      const [inFile, inEnv, inFlags] = [given & 1, given & 2, given & 4].map(Boolean);
      const expected = inFlags
        ? option.fromFlag
        : inEnv
          ? option.fromEnv
          : inFile
            ? option.fromFile
            : option.byDefault;
      const layersGiven = [inFile && 'file', inEnv && 'env', inFlags && 'flag'].filter(Boolean).join(' + ');
      test(`${option.key}: ${layersGiven || 'nothing given'} -> ${String(expected)}`, () => {
        const config = resolveConfig({
          file: inFile ? file(option.fileLine) : undefined,
          env: inEnv ? { [option.env[0]]: option.env[1] } : {},
          flags: inFlags ? { [option.key]: option.flag } : {},
          cwd: '/srv',
        });
        assert.equal(config[option.key], expected);
      });
    }
  }
});

describe('secrets from files', () => {
  const secrets: Record<string, string> = {
    '/run/secrets/key': 'key-from-file\n',
    '/etc/nugget/key': 'key-beside-config\r\n',
    '/run/secrets/db': 'postgres://nugget:pw@db/nugget\n',
    '/run/secrets/empty': '\n',
    '/run/secrets/token': 'a-metrics-token-of-32-characters\n',
  };
  const readSecret = (at: string) => {
    const text = secrets[at];
    if (text === undefined) throw new Error(`ENOENT: no such file, open '${at}'`);
    return text;
  };
  const resolveWith = (sources: Parameters<typeof resolveConfig>[0]) =>
    resolveConfig({ cwd: '/srv', readSecret, ...sources });

  const rows: [
    name: string,
    sources: Parameters<typeof resolveConfig>[0],
    key: keyof Config,
    value: string,
  ][] = [
    ['NUGGET_API_KEY_FILE', { env: { NUGGET_API_KEY_FILE: '/run/secrets/key' } }, 'apiKey', 'key-from-file'],
    [
      'api-key-file in the config file, relative to the file',
      { file: file('api-key-file = "key"') },
      'apiKey',
      'key-beside-config',
    ],
    ['--api-key-file', { flags: { apiKeyFile: '/run/secrets/key' } }, 'apiKey', 'key-from-file'],
    [
      'NUGGET_DATABASE_URL_FILE',
      { env: { NUGGET_DATABASE_URL_FILE: '/run/secrets/db' } },
      'database',
      'postgres://nugget:pw@db/nugget',
    ],
    [
      'NUGGET_METRICS_TOKEN_FILE',
      { env: { NUGGET_METRICS_TOKEN_FILE: '/run/secrets/token' } },
      'metricsToken',
      'a-metrics-token-of-32-characters',
    ],
    [
      'the environment file over the config file value',
      { file: file('api-key = "in-file"'), env: { NUGGET_API_KEY_FILE: '/run/secrets/key' } },
      'apiKey',
      'key-from-file',
    ],
    [
      'a flag over the environment file',
      { env: { NUGGET_API_KEY_FILE: '/run/secrets/key' }, flags: { apiKey: 'flag' } },
      'apiKey',
      'flag',
    ],
  ];
  for (const [name, sources, key, value] of rows) {
    test(`${name} -> ${value}`, () => assert.equal(resolveWith(sources)[key], value));
  }

  const refused: [name: string, sources: Parameters<typeof resolveConfig>[0], message: RegExp][] = [
    [
      'NUGGET_API_KEY and NUGGET_API_KEY_FILE together',
      { env: { NUGGET_API_KEY: 'a', NUGGET_API_KEY_FILE: '/run/secrets/key' } },
      /NUGGET_API_KEY: give NUGGET_API_KEY or NUGGET_API_KEY_FILE, not both/,
    ],
    [
      'api-key and api-key-file in one file',
      { file: file('api-key = "a"\napi-key-file = "key"') },
      /api-key-file in \/etc\/nugget\/nugget.toml: give api-key or api-key-file/,
    ],
    [
      'a secret file that is missing',
      { env: { NUGGET_API_KEY_FILE: '/run/secrets/nope' } },
      /NUGGET_API_KEY_FILE: cannot read \/run\/secrets\/nope/,
    ],
    ['an empty secret file', { env: { NUGGET_API_KEY_FILE: '/run/secrets/empty' } }, /is empty/],
  ];
  for (const [name, sources, message] of refused) {
    test(`refused: ${name}`, () =>
      assert.throws(
        () => resolveWith(sources),
        (error: Error) => error instanceof ConfigError && message.test(error.message),
      ));
  }
});

describe('relative paths', () => {
  test('from flags and the environment: from the shell directory', () => {
    assert.equal(resolveConfig({ flags: { dataDir: 'feed' }, cwd: '/home/ana' }).dataDir, '/home/ana/feed');
    assert.equal(
      resolveConfig({ env: { NUGGET_TLS_CERT: 'c.pem', NUGGET_TLS_KEY: '/k.pem' }, cwd: '/srv' }).tlsCert,
      '/srv/c.pem',
    );
  });
  test('the default ./data: in the shell directory too', () =>
    assert.equal(resolveConfig({ cwd: '/home/ana' }).dataDir, '/home/ana/data'));
  test('from the config file: from the file directory', () =>
    assert.equal(
      resolveConfig({ file: file('data-dir = "feed"'), cwd: '/srv' }).dataDir,
      '/etc/nugget/feed',
    ));
  test('absolute paths stay as they are', () =>
    assert.equal(resolveConfig({ file: file('data-dir = "/var/lib/nugget"') }).dataDir, '/var/lib/nugget'));

  // npm runs scripts in the package root and passes the shell's directory as INIT_CWD.
  const npmEnv = { INIT_CWD: '/home/ana/src', npm_package_json: '/opt/nugget/package.json' };
  test('under an npm script: the directory npm was started in', () =>
    assert.equal(shellDirectory(npmEnv, '/opt/nugget'), path.resolve('/home/ana/src')));
  test('in a process started elsewhere that inherited npm variables: its own directory', () =>
    assert.equal(shellDirectory(npmEnv, '/tmp/work'), '/tmp/work'));
  test('without npm: the current directory', () =>
    assert.equal(shellDirectory({}, '/tmp/work'), '/tmp/work'));
});

describe('the config file', () => {
  const refused: [name: string, text: string, message: RegExp][] = [
    [
      'invalid TOML',
      'port = 5000\nhost = x y\n',
      /nugget.toml:2:8: not valid TOML .*--config \/ NUGGET_CONFIG/,
    ],
    [
      'an unknown key',
      'data_dir = "x"',
      /data_dir in \/etc\/nugget\/nugget.toml: no such option; .*data-dir/,
    ],
    ['a section', '[server]\nport = 1', /server in .*: no such option/],
    [
      'a value of the wrong kind',
      'port = "many"',
      /--port \/ NUGGET_PORT: .* \(set by port in \/etc\/nugget/,
    ],
    ['a secret file that is not a path', 'api-key-file = 3', /must be the path of a file/],
  ];
  for (const [name, text, message] of refused) {
    test(`refused: ${name}`, () =>
      assert.throws(
        () => resolveConfig({ file: file(text) }),
        (error: Error) => error instanceof ConfigError && message.test(error.message),
      ));
  }
  test('sizes and durations as numbers: bytes and seconds', () => {
    const config = resolveConfig({
      file: file('max-package-size = 1024\nshutdown-timeout = 5\nstartup-wait = 0'),
    });
    assert.deepEqual([config.maxPackageSize, config.shutdownTimeout, config.startupWait], [1024, 5000, 0]);
  });
});
