// Two nugget nodes on one PostgreSQL and one bucket (docs/deployment.md): what one node is told, the other
// serves, with the real dotnet client on each side; and two pushes of one version raced against both nodes end
// with exactly one winner, one row and one set of files (docs/decisions/0002-safe-writes.md).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { S3BlobStore } from '../../src/storage/blobs/s3-blob-store.ts';
import { parseS3StorageUrl } from '../../src/storage/blobs/s3-storage-url.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { multipartBody } from '../http/feed-fixture.ts';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';
import {
  assertSucceeded,
  createDotnetEnv,
  createWorkspace,
  type FeedServer,
  requireDotnet,
  startFeed,
  type Workspace,
  writeFiles,
} from './harness.ts';

const stepTimeout = { timeout: 600_000 };
const id = 'E2e.ScaleOut';

describe('two nodes, one PostgreSQL, one bucket', () => {
  let workspace: Workspace;
  let postgres: PostgresServer;
  let s3: S3TestServer;
  let databaseUrl: string;
  let storageUrl: string;
  let nodes: FeedServer[] = [];
  let pushed = false;

  const logs = () =>
    nodes.map((node, i) => `--- node ${i + 1} output (tail) ---\n${node.output().slice(-6000)}`).join('\n');
  const base = (node: FeedServer) => node.serviceIndexUrl.replace(/\/v3\/index\.json$/, '');

  before(async () => {
    await requireDotnet();
    workspace = await createWorkspace('nugget-e2e-scale-out-');
    postgres = await startPostgresServer();
    s3 = await startS3Server();
    databaseUrl = await postgres.createDatabase();
    storageUrl = s3.storageUrl('feed');
    const apiKey = `e2e-${randomUUID()}`;
    const env = {
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    };
    // Started together, as nodes behind a load balancer are: both migrate the fresh database, one waits.
    nodes = await Promise.all(
      ['node-1', 'node-2'].map((name) =>
        startFeed(workspace, {
          apiKey,
          env,
          dataDirName: name,
          extraArgs: ['--database', databaseUrl, '--storage', storageUrl, '--log-level', 'warn'],
        }),
      ),
    );
  });

  after(async () => {
    for (const node of nodes) await node.stop();
    await s3?.stop();
    await postgres?.stop();
    await workspace?.dispose();
  });

  it('dotnet nuget push through node 1, dotnet restore through node 2', stepTimeout, async () => {
    const [first, second] = nodes as [FeedServer, FeedServer];
    const packer = await createDotnetEnv(workspace, {
      name: 'packer',
      sources: [{ name: 'node1', url: first.serviceIndexUrl }],
    });
    const libraryDir = path.join(packer.root, 'library');
    await writeFiles(libraryDir, {
      [`${id}.csproj`]: `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Version>1.0.0</Version>
    <Authors>nugget e2e</Authors>
    <Description>A library pushed to one node and restored from the other.</Description>
  </PropertyGroup>
</Project>
`,
      'Scale.cs':
        'namespace E2e.ScaleOut\n{\n    public static class Nodes { public static int Count() => 2; }\n}\n',
    });
    const outDir = await packer.makeDir('out');
    assertSucceeded(
      await packer.runDotnet(['pack', '-c', 'Release', '-o', outDir, '--configfile', packer.configFile], {
        cwd: libraryDir,
      }),
    );
    const push = await packer.runDotnet([
      ...['nuget', 'push', path.join(outDir, `${id}.1.0.0.nupkg`), '-s', 'node1', '-k', first.apiKey],
      ...['--configfile', packer.configFile],
    ]);
    assertSucceeded(push, logs);
    pushed = true;

    // A client that has never seen node 1: its own HOME, NuGet folders and caches, and node 2 as its only source.
    const consumer = await createDotnetEnv(workspace, {
      name: 'consumer',
      sources: [{ name: 'node2', url: second.serviceIndexUrl }],
    });
    const appDir = path.join(consumer.root, 'app');
    await writeFiles(appDir, {
      'Consumer.csproj': `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="${id}" Version="1.0.0" />
  </ItemGroup>
</Project>
`,
      'Use.cs':
        'namespace Consumer\n{\n    public static class Use { public static int N() => E2e.ScaleOut.Nodes.Count(); }\n}\n',
    });
    const restore = await consumer.runDotnet(['restore', '--configfile', consumer.configFile], {
      cwd: appDir,
    });
    assertSucceeded(restore, logs);
    assert.ok(
      existsSync(path.join(consumer.packagesDir, 'e2e.scaleout', '1.0.0', 'e2e.scaleout.1.0.0.nupkg')),
      'node 2 served the package node 1 received',
    );
    assertSucceeded(await consumer.runDotnet(['build', '--no-restore'], { cwd: appDir }), logs);
  });

  it(
    'the same version pushed to both nodes at once: one 201, one 409, one row, one set of files',
    stepTimeout,
    async () => {
      assert.ok(pushed, 'needs the first step');
      const store = new S3BlobStore({ ...parseS3StorageUrl(storageUrl), credentials: s3.credentials });
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        // A few rounds: whether the loser is stopped by the lookup before storing, or by the unique key after
        // storing its files, the outcome must be the same.
        for (const version of ['1.1.0', '1.2.0', '1.3.0']) {
          const nupkg = await buildNupkg({ id, version, description: `raced ${version}` });
          const pushTo = async (node: FeedServer) => {
            const boundary = randomUUID();
            const response = await fetch(`${base(node)}/v3/package`, {
              method: 'PUT',
              headers: {
                'x-nuget-apikey': node.apiKey,
                'content-type': `multipart/form-data; boundary="${boundary}"`,
              },
              body: multipartBody(nupkg, boundary),
            });
            return response.status;
          };
          const statuses = await Promise.all(nodes.map(pushTo));
          assert.deepEqual([...statuses].sort(), [201, 409], `${version}: ${statuses.join(', ')}\n${logs()}`);

          const rows = await client.query(
            'SELECT blob_prefix FROM package_versions WHERE lower_id = $1 AND lower_version = $2',
            [id.toLowerCase(), version],
          );
          assert.equal(rows.rowCount, 1, `${version}: one row`);
          const prefixes = new Set<string>();
          for await (const blob of store.list(`feeds/default/packages/${id.toLowerCase()}/${version}`)) {
            prefixes.add(blob.key.split('/').slice(0, 6).join('/'));
          }
          assert.deepEqual([...prefixes], [rows.rows[0].blob_prefix], `${version}: only the winner's files`);

          // Both nodes list it at once: each validates its cached version list against the shared catalog.
          for (const node of nodes) {
            const list = (await (
              await fetch(`${base(node)}/v3/flatcontainer/${id.toLowerCase()}/index.json`)
            ).json()) as {
              versions: string[];
            };
            assert.ok(list.versions.includes(version), `${node.serviceIndexUrl} lists ${version}`);
          }
        }
      } finally {
        await client.end();
        store.close();
      }
    },
  );

  it(
    'a feed created, changed and deleted on either node is seen by the other at once',
    stepTimeout,
    async () => {
      const [first, second] = nodes as [FeedServer, FeedServer];
      const admin = (node: FeedServer, method: string, url: string, body?: unknown) =>
        fetch(`${base(node)}${url}`, {
          method,
          headers: {
            'x-nuget-apikey': node.apiKey,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const index = (node: FeedServer) => fetch(`${base(node)}/feeds/team/v3/index.json`);
      assert.equal((await index(second)).status, 404, 'no such feed yet');
      assert.equal(
        (await admin(first, 'PUT', '/admin/feeds/team', { description: 'made on node 1' })).status,
        201,
      );
      assert.equal(
        (await index(second)).status,
        200,
        'node 2 serves the feed node 1 created, without a restart',
      );

      const nupkg = await buildNupkg({ id: 'E2e.Team', version: '1.0.0' });
      const boundary = randomUUID();
      const pushed = await fetch(`${base(second)}/feeds/team/v3/package`, {
        method: 'PUT',
        headers: {
          'x-nuget-apikey': second.apiKey,
          'content-type': `multipart/form-data; boundary="${boundary}"`,
        },
        body: multipartBody(nupkg, boundary),
      });
      assert.equal(pushed.status, 201, await pushed.text());
      const listed = await fetch(`${base(first)}/feeds/team/v3/flatcontainer/e2e.team/index.json`);
      assert.deepEqual(await listed.json(), { versions: ['1.0.0'] });
      assert.equal(
        (await fetch(`${base(first)}/v3/flatcontainer/e2e.team/index.json`)).status,
        404,
        'not in default',
      );

      assert.equal((await admin(second, 'PATCH', '/admin/feeds/team', { private: true })).status, 200);
      const anonymous = await index(first);
      assert.equal(anonymous.status, 401, 'node 1 applies the setting node 2 changed');
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /realm="nugget feed team"/);

      assert.equal((await admin(first, 'DELETE', '/admin/feeds/team?force=true')).status, 200);
      assert.equal((await index(second)).status, 404, 'node 2 forgets the feed node 1 deleted');
    },
  );
});
