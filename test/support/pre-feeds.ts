// nugget as it was before feeds (main before feeds were merged): its own code, taken from git, to make the data dirs and databases
// every existing installation has, for the upgrade tests (test/storage/upgrade-to-feeds.test.ts, test/e2e/feeds.test.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { packageWithSymbols } from '../fixtures/package-with-symbols.ts';
import { multipartBody } from '../http/feed-fixture.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
/** The last commit of main before feeds: the layout every existing installation has. */
const preFeedsCommit = 'eb06df70bb73beb738500f6fba2f612e8fe1b93d';
export const bootstrapKey = 'upgrade-bootstrap-key-0123456789';

/** The pre-feeds source tree, from git, beside this repository's node_modules. */
export async function preFeedsCode(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nugget-pre-feeds-'));
  await new Promise<void>((resolve, reject) => {
    const archive = spawn('git', ['archive', '--format=tar', preFeedsCommit, 'src', 'package.json'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const untar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'inherit', 'inherit'] });
    archive.stdout.pipe(untar.stdin);
    untar.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited with ${code}`))));
    archive.on('error', reject);
  });
  await symlink(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

interface OldNugget {
  readonly app: FastifyInstance;
  readonly db: Kysely<never>;
  readonly feed: {
    downloads: { flush(): Promise<void> };
    apiKeys: unknown;
    audit: unknown;
    clock: unknown;
  };
  readonly replicationCursors: { set(source: string, cursor: string): Promise<void> };
  close(): Promise<void>;
}

/** Fills a pre-feeds nugget the way clients and admins did: pushes, symbols, unlist, deprecation, advisories, downloads, a managed key. */
export async function populatePreFeeds(
  codeDir: string,
  config: Record<string, unknown>,
): Promise<{ key: string; symbolPath: string }> {
  const oldCompose = (await import(pathToFileURL(path.join(codeDir, 'src/compose.ts')).href)) as {
    composeNugget(config: unknown, options: unknown): Promise<OldNugget>;
  };
  const oldConfig = (await import(pathToFileURL(path.join(codeDir, 'src/config/config.ts')).href)) as {
    configSchema: { parse(input: unknown): unknown };
  };
  const oldKeys = (await import(pathToFileURL(path.join(codeDir, 'src/auth/manage-api-keys.ts')).href)) as {
    createApiKey(deps: unknown, requester: unknown, input: unknown): Promise<{ key: string }>;
  };
  const nugget = await oldCompose.composeNugget(
    oldConfig.configSchema.parse({ ...config, apiKey: bootstrapKey, logLevel: 'silent' }),
    { downloadFlushMs: 0 },
  );
  try {
    const headers = { 'x-nuget-apikey': bootstrapKey };
    const push = async (nupkg: Buffer, url = '/v3/package') => {
      const response = await nugget.app.inject({
        method: 'PUT',
        url,
        headers: { ...headers, 'content-type': 'multipart/form-data; boundary="b0undary"' },
        payload: multipartBody(nupkg, 'b0undary'),
      });
      assert.equal(response.statusCode, 201, response.body);
    };
    await push(await buildNupkg({ id: 'Old.Core', version: '1.0.0', description: 'first' }));
    await push(
      await buildNupkg({
        id: 'Old.Core',
        version: '2.0.0-beta.1',
        description: 'a prerelease',
        readme: { path: 'README.md', content: '# Old.Core' },
      }),
    );
    await push(await buildNupkg({ id: 'Old.Hidden', version: '1.0.0', description: 'unlisted later' }));
    const symbols = await packageWithSymbols('Old.Symbols', '1.0.0');
    await push(symbols.nupkg);
    await push(symbols.snupkg, '/v3/symbol-package');
    const unlist = await nugget.app.inject({
      method: 'DELETE',
      url: '/v3/package/Old.Hidden/1.0.0',
      headers,
    });
    assert.equal(unlist.statusCode, 204);
    const deprecate = await nugget.app.inject({
      method: 'PUT',
      url: '/v3/admin/deprecations/Old.Core/1.0.0',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: { reasons: ['Legacy'], message: 'use 2.0' },
    });
    assert.equal(deprecate.statusCode, 204, deprecate.body);
    const advisories = await nugget.app.inject({
      method: 'PUT',
      url: '/v3/admin/vulnerabilities',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: {
        advisories: [
          {
            packageId: 'Old.Core',
            url: 'https://example.com/a/1',
            severity: 'high',
            versions: '[1.0.0, 2.0.0)',
          },
        ],
      },
    });
    assert.equal(advisories.statusCode, 200, advisories.body);
    for (let i = 0; i < 3; i++) {
      const download = await nugget.app.inject({
        method: 'GET',
        url: '/v3/flatcontainer/old.core/1.0.0/old.core.1.0.0.nupkg',
      });
      assert.equal(download.statusCode, 200);
    }
    await nugget.feed.downloads.flush();
    await nugget.replicationCursors.set('https://upstream.example/v3/index.json', '2026-01-01T00:00:00.000Z');
    const { key } = await oldKeys.createApiKey(
      nugget.feed,
      { actor: 'cli', source: 'cli' },
      { name: 'ci', scopes: ['push', 'push-new'], packages: ['Old.*'] },
    );
    return { key, symbolPath: symbols.symbolPath };
  } finally {
    await nugget.close();
  }
}
