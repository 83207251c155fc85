// `nugget migrate-data`: a feed on the embedded default (SQLite + files) moved to a throwaway PostgreSQL and
// s3rver by the real command line, then served from there: every document a client reads must be the same as
// the source's, the catalog included (same commit ids and timestamps, so a catalog reader's cursor stays valid).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { packageWithSymbols } from '../fixtures/package-with-symbols.ts';
import { type JsonObject, parseJson, startFeed, type TestFeed } from '../http/feed-fixture.ts';
import { startPostgresServer } from '../support/postgres-server.ts';
import { startS3Server } from '../support/s3-server.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const postgres = await startPostgresServer();
const s3 = await startS3Server();
// The destination feed in this process builds its S3 client from the SDK's standard chain, as a server would.
process.env['AWS_ACCESS_KEY_ID'] = s3.credentials.accessKeyId;
process.env['AWS_SECRET_ACCESS_KEY'] = s3.credentials.secretAccessKey;
after(async () => {
  await s3.stop();
  await postgres.stop();
});

async function migrateData(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['src/cli/main.ts', 'migrate-data', ...args],
      { cwd: repoRoot, env: process.env, maxBuffer: 16 * 1024 * 1024 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('nugget migrate-data: SQLite + files -> PostgreSQL + S3', () => {
  let source: TestFeed;
  let destination: TestFeed;
  let databaseUrl: string;
  let storageUrl: string;
  let symbolPath: string;
  const paths: string[] = [];

  before(async () => {
    source = await startFeed();
    // A webhook subscription, and the deliveries of the pushes below waiting for it (no delivery worker runs).
    const hook = await source.request('POST', '/v3/admin/webhooks', {
      headers: { 'x-nuget-apikey': source.apiKey ?? '', 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://hooks.example.com/nuget', events: ['package.pushed'] }),
    });
    assert.equal(hook.statusCode, 201, hook.body);
    await source.publish({ id: 'Move.Core', version: '1.0.0', description: 'the first core' });
    await source.publish({
      id: 'Move.Core',
      version: '2.0.0-beta.1',
      description: 'a prerelease core',
      readme: { path: 'README.md', content: '# Move.Core' },
      tags: ['moving', 'core'],
    });
    await source.publish({
      id: 'Move.Core',
      version: '2.0.0',
      description: 'the second core',
      licenseExpression: 'MIT',
    });
    await source.publish({ id: 'Move.Hidden', version: '1.0.0', description: 'an unlisted one' });
    await source.publish({ id: 'Move.Old', version: '1.0.0', description: 'a deprecated one' });
    const key = { 'x-nuget-apikey': source.apiKey ?? '' };
    assert.equal(
      (await source.request('DELETE', '/v3/package/Move.Hidden/1.0.0', { headers: key })).statusCode,
      204,
    );
    assert.ok(
      await source.feed.packages.setDeprecation('move.old', '1.0.0', {
        reasons: ['Legacy'],
        message: 'use Move.Core',
        alternatePackage: { id: 'Move.Core', range: '[2.0.0, )' },
      }),
    );
    await source.feed.advisories.importAdvisories(
      [
        {
          lowerId: 'move.core',
          url: 'https://example.com/advisory/1',
          severity: 2,
          versions: '[1.0.0, 2.0.0)',
        },
      ],
      { replace: false },
    );
    const symbols = await packageWithSymbols('Move.Symbols', '1.0.0');
    assert.equal((await source.push(symbols.nupkg)).statusCode, 201);
    assert.equal((await source.pushSymbols(symbols.snupkg)).statusCode, 201);
    symbolPath = symbols.symbolPath;
    // Download counts travel too.
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (await source.get('/v3/flatcontainer/move.core/1.0.0/move.core.1.0.0.nupkg')).statusCode,
        200,
      );
    }
    await source.feed.downloads.flush();
    // Trusted publishing's policies and used tokens travel too (a replayed token stays refused after the move).
    await source.services.trust.policies.insert({
      id: 'policy1',
      feed: 'default',
      user: 'ci-bot',
      issuer: 'https://token.actions.githubusercontent.com',
      criteria: { kind: 'github', repositoryOwner: 'contoso', repository: 'lib', workflow: 'release.yml' },
      pinned: { repository_owner_id: '1', repository_id: '2' },
      scopes: ['push'],
      packages: ['Move.*'],
      created: new Date().toISOString(),
      createdBy: 'test',
    });
    await source.services.trust.usedTokens.use('used-token', new Date(Date.now() + 3_600_000), new Date());

    databaseUrl = await postgres.createDatabase();
    storageUrl = s3.storageUrl('migrated');
    paths.push(
      '/v3/index.json',
      ...['move.core', 'move.hidden', 'move.old', 'move.symbols'].flatMap((id) => [
        `/v3/flatcontainer/${id}/index.json`,
        `/v3/registration/${id}/index.json`,
        `/v3/registration-gz-semver2/${id}/index.json`,
      ]),
      '/v3/registration-gz-semver2/move.core/2.0.0.json',
      '/v3/search?q=move&prerelease=true&semVerLevel=2.0.0',
      '/v3/search?q=core',
      '/v3/search?q=tags:moving&prerelease=true&semVerLevel=2.0.0',
      '/v3/autocomplete?q=move&prerelease=true&semVerLevel=2.0.0',
      '/v3/vulnerabilities/index.json',
      '/v3/catalog/index.json',
    );
  });
  after(async () => {
    await destination?.close();
    await source.close();
  });

  test('copies every row and blob, shows progress on stderr and verifies the copy', async () => {
    const run = await migrateData([
      '--data-dir',
      source.dataDir,
      '--to',
      databaseUrl,
      '--storage',
      storageUrl,
    ]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /rows of package_versions\s*\[[^\]]*\] 6\/6/);
    assert.match(run.stderr, /blobs\s*\[/);
    assert.match(run.stdout, /package_versions\s+6 copied\s+0 already there/);
    assert.match(run.stdout, /catalog_entries\s+\d+ copied\s+0 already there/);
    assert.match(run.stdout, /symbol_packages\s+1 copied/);
    assert.match(run.stdout, /vulnerability_advisories\s+1 copied/);
    assert.match(run.stdout, /trust_policies\s+1 copied/);
    assert.match(run.stdout, /used_oidc_tokens\s+1 copied/);
    assert.match(run.stdout, /webhook_subscriptions\s+1 copied/);
    assert.match(run.stdout, /webhook_deliveries\s+[1-9]\d* copied/);
    assert.match(run.stdout, /search_documents\s+source\s+\d+ destination\s+\d+ identical/);
    assert.doesNotMatch(run.stdout, /DIFFERENT/);
    assert.match(run.stdout, /blobs: \d+ checked .* 0 problems/);
    assert.match(run.stdout, /The copy is verified/);
    assert.doesNotMatch(
      run.stdout,
      new RegExp(databaseUrl.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')),
      'no database URL printed',
    );
  });

  test('a second run skips everything already there and verifies again', async () => {
    const run = await migrateData([
      '--data-dir',
      source.dataDir,
      '--to',
      databaseUrl,
      '--storage',
      storageUrl,
    ]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /package_versions\s+0 copied\s+6 already there/);
    assert.match(run.stdout, /blobs\s+0 copied\s+\d+ already there/);
    assert.match(run.stdout, /The copy is verified/);
  });

  test('a feed on the destination serves the same documents as the source', async () => {
    destination = await startFeed({ config: { database: databaseUrl, storage: storageUrl } });
    let compared = 0;
    for (const url of paths) {
      const [expected, actual] = [await source.get(url), await destination.get(url)];
      assert.equal(actual.statusCode, expected.statusCode, url);
      if (expected.statusCode !== 200) continue;
      compared++;
      const [want, got] = [parseJson(expected), parseJson(actual)];
      if (url.startsWith('/v3/search') || url.startsWith('/v3/autocomplete')) {
        // Ranking ties may break differently on FTS5 and tsvector; what is found, and how it is described, may not.
        const byId = (doc: JsonObject) =>
          JSON.stringify(
            [...(doc['data'] as unknown[])].sort((a, b) =>
              JSON.stringify(a).localeCompare(JSON.stringify(b)),
            ),
          );
        assert.equal(got['totalHits'], want['totalHits'], url);
        assert.equal(byId(got), byId(want), url);
        continue;
      }
      assert.deepEqual(got, want, url);
    }
    assert.equal(compared, paths.length, 'every document answered 200 on the source');
    const catalog = parseJson(await source.get('/v3/catalog/index.json'));
    assert.ok((catalog['items'] as JsonObject[]).length > 0);
    for (const page of catalog['items'] as JsonObject[]) {
      const pagePath = new URL(page['@id']).pathname;
      const want = parseJson(await source.get(pagePath));
      assert.deepEqual(parseJson(await destination.get(pagePath)), want, pagePath);
      for (const leaf of want['items'] as JsonObject[]) {
        const leafPath = new URL(leaf['@id']).pathname;
        assert.deepEqual(
          parseJson(await destination.get(leafPath)),
          parseJson(await source.get(leafPath)),
          leafPath,
        );
      }
    }
    for (const url of [
      '/v3/flatcontainer/move.core/1.0.0/move.core.1.0.0.nupkg',
      '/v3/flatcontainer/move.hidden/1.0.0/move.hidden.1.0.0.nupkg',
      '/v3/flatcontainer/move.core/2.0.0-beta.1/readme',
      '/v3/flatcontainer/move.core/2.0.0/move.core.nuspec',
      symbolPath,
    ]) {
      const [expected, actual] = [await source.get(url), await destination.get(url)];
      assert.equal(expected.statusCode, 200, url);
      assert.equal(actual.statusCode, 200, url);
      assert.deepEqual(actual.rawPayload, expected.rawPayload, url);
    }
  });

  test('the destination goes on from where the source stood: the next catalog entry follows the copied ones', async () => {
    const before = parseJson(await destination.get('/v3/catalog/index.json'));
    await destination.publish({ id: 'Move.After', version: '1.0.0' });
    const afterwards = parseJson(await destination.get('/v3/catalog/index.json'));
    assert.equal(afterwards['count'], before['count']);
    const last = (afterwards['items'] as JsonObject[]).at(-1) as JsonObject;
    assert.ok(last['commitTimeStamp'] > before['commitTimeStamp'], 'a later commit');
    assert.ok(last['count'] > ((before['items'] as JsonObject[]).at(-1) as JsonObject)['count']);
  });

  test('verification fails (exit 1) when a copied package differs from what its row says', async () => {
    const row = await source.feed.packages.findVersion('move.old', '1.0.0');
    assert.ok(row);
    const key = `${row.blobPrefix}/move.old.1.0.0.nupkg`;
    // Same size, other bytes: the copy skips it as present, the SHA-512 check must catch it.
    await destination.feed.blobs.put(key, Buffer.alloc(row.packageSize, 0x2a));
    const run = await migrateData([
      '--data-dir',
      source.dataDir,
      '--to',
      databaseUrl,
      '--storage',
      storageUrl,
    ]);
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /package_versions\s+source\s+6 destination\s+7 DIFFERENT/);
    assert.match(run.stdout, new RegExp(`${key.replaceAll('.', '\\.')}: SHA-512 .* expected`));
    assert.match(run.stdout, /NOT verified/);
  });
});
