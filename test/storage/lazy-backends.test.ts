// The embedded default (SQLite + files) loads neither `pg` nor the AWS SDK (docs/configuration.md): compose.ts
// imports the scale-out adapters only when --database or --storage asks for them. Each case composes a feed in a
// child process whose module.registerHooks resolve hook records every module that is loaded.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const scratch = await mkdtemp(path.join(tmpdir(), 'nugget-lazy-'));
after(() => rm(scratch, { recursive: true, force: true }));

const scaleOutModule = /\/node_modules\/(pg|pg-[a-z-]+|pgpass|@aws-sdk\/[a-z0-9-]+|@smithy\/[a-z0-9-]+)\//;

/** Composes (and closes) a feed with `config` in a fresh process; returns every module URL it resolved. */
async function modulesLoadedBy(config: Record<string, unknown>): Promise<{ urls: string[]; error?: string }> {
  const script = `
    import { registerHooks } from 'node:module';
    const urls = new Set();
    registerHooks({
      resolve(specifier, context, nextResolve) {
        const result = nextResolve(specifier, context);
        urls.add(result.url);
        return result;
      },
    });
    const { composeNugget } = await import(${JSON.stringify(pathToFileURL(path.join(repoRoot, 'src/compose.ts')).href)});
    const { configSchema } = await import(${JSON.stringify(pathToFileURL(path.join(repoRoot, 'src/config/config.ts')).href)});
    let error;
    try {
      const nugget = await composeNugget(configSchema.parse(${JSON.stringify(config)}), { downloadFlushMs: 0 });
      await nugget.close();
    } catch (e) {
      error = String(e?.message ?? e) + (e?.cause ? ' (cause: ' + String(e.cause?.message ?? e.cause) + ')' : '');
    }
    process.stdout.write(JSON.stringify({ urls: [...urls], error }));
    process.exit(0);
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as { urls: string[]; error?: string };
}

describe('which backends a composition loads', () => {
  test('the default (SQLite + files) loads neither pg nor the AWS SDK', async () => {
    const { urls, error } = await modulesLoadedBy({
      dataDir: path.join(scratch, 'default'),
      logLevel: 'silent',
    });
    assert.equal(error, undefined);
    assert.ok(
      urls.some((url) => url.includes('/node_modules/better-sqlite3/')),
      'the hook saw the modules that are loaded',
    );
    assert.deepEqual(
      urls.filter((url) => scaleOutModule.test(url)),
      [],
    );
  });

  test('a node nobody scrapes, with JSON logs, loads neither prom-client nor pino-pretty', async () => {
    const { urls, error } = await modulesLoadedBy({
      dataDir: path.join(scratch, 'unscraped'),
      logLevel: 'silent',
    });
    assert.equal(error, undefined);
    assert.deepEqual(
      urls.filter((url) => /\/node_modules\/(prom-client|pino-pretty)\//.test(url)),
      [],
      'prom-client is loaded at the first GET /metrics, pino-pretty only for --log-format pretty',
    );
  });

  test('--storage s3://... loads the AWS SDK (and still not pg; here it cannot connect, which is after loading)', async () => {
    const { urls, error } = await modulesLoadedBy({
      dataDir: path.join(scratch, 's3'),
      storage: 's3://bucket/prefix?endpoint=http://127.0.0.1:9&region=us-east-1&forcePathStyle=true',
      logLevel: 'silent',
      // Start-up checks the store once (no retries) and fails: nothing listens on port 9.
      startupWait: 0,
    });
    assert.match(String(error), /cannot use the S3 store .*ECONNREFUSED/);
    assert.ok(urls.some((url) => url.includes('/node_modules/@aws-sdk/client-s3/')));
    assert.ok(!urls.some((url) => /\/node_modules\/pg\//.test(url)));
  });

  test('--database postgres://... loads pg (here it cannot connect, which is after loading)', async () => {
    const { urls, error } = await modulesLoadedBy({
      dataDir: path.join(scratch, 'pg'),
      database: 'postgres://nobody@127.0.0.1:9/none',
      logLevel: 'silent',
      startupWait: 0,
    });
    // At start an unreachable database is one line naming the flag, with the driver's own error (a request
    // would get the server fault, 503, wrapped around it).
    assert.match(
      String(error),
      /cannot use PostgreSQL at .*(ECONNREFUSED|connect).*--database \/ NUGGET_DATABASE_URL/,
    );
    assert.ok(urls.some((url) => /\/node_modules\/pg\//.test(url)));
    assert.ok(!urls.some((url) => url.includes('/node_modules/@aws-sdk/')));
  });
});
