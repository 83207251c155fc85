// Upstream and virtual feeds on PostgreSQL and S3 (docs/upstreams.md): the metadata kept in upstream_documents,
// the cached packages in the bucket; the suite is test/http/upstream-feeds.ts.
import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import { upstreamFeedsSuite } from '../http/upstream-feeds.ts';
import { startSharedBackends } from '../support/shared-backends.ts';

const backends = await startSharedBackends();
after(() => backends.stop());

upstreamFeedsSuite('PostgreSQL and S3', async () => ({
  config: {
    database: await backends.postgres.createDatabase(),
    storage: backends.s3.storageUrl(randomUUID()),
  },
}));
