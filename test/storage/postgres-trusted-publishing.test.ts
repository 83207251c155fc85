// Trusted publishing on PostgreSQL: policies, pinned ids, the replay check and issued keys in its tables
// (the suite is test/http/trusted-publishing.ts).
import { after } from 'node:test';
import { trustedPublishingSuite } from '../http/trusted-publishing.ts';
import { startPostgresServer } from '../support/postgres-server.ts';

const server = await startPostgresServer();
after(() => server.stop());

trustedPublishingSuite({
  name: 'PostgreSQL',
  config: async () => ({ database: await server.createDatabase() }),
});
