// PostgreSQL + S3 for tests that run nodes in-process: a throwaway cluster and an s3rver, and nodes that share a
// fresh database and bucket prefix, as several nugget nodes behind a load balancer do (docs/deployment.md).
import { randomUUID } from 'node:crypto';
import { startFeed, type TestFeed } from '../http/feed-fixture.ts';
import { startPostgresServer, type PostgresServer } from './postgres-server.ts';
import { startS3Server, type S3TestServer } from './s3-server.ts';

export interface SharedBackends {
  readonly postgres: PostgresServer;
  readonly s3: S3TestServer;
  /** In-process nodes, one per delete behaviour given, on a new database and bucket prefix of their own. */
  startNodes(behaviors: readonly ('unlist' | 'delete')[]): Promise<TestFeed[]>;
  stop(): Promise<void>;
}

export async function startSharedBackends(): Promise<SharedBackends> {
  const postgres = await startPostgresServer();
  const s3 = await startS3Server();
  // The S3 store takes the SDK's credential chain, as a deployed node does.
  process.env['AWS_ACCESS_KEY_ID'] = s3.credentials.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = s3.credentials.secretAccessKey;
  return {
    postgres,
    s3,
    async startNodes(behaviors) {
      const config = { database: await postgres.createDatabase(), storage: s3.storageUrl(randomUUID()) };
      const nodes: TestFeed[] = [];
      for (const deleteBehavior of behaviors) nodes.push(await startFeed({ deleteBehavior, config }));
      return nodes;
    },
    async stop() {
      await s3.stop();
      await postgres.stop();
    },
  };
}
