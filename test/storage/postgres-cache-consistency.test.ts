// Two nodes on one PostgreSQL database (test/http/cache-consistency.ts): the raw-HTTP fast path and the route
// caches check stamps over a round trip there, shared between concurrent requests (shared-stamp-reads.ts).
import { after } from 'node:test';
import { cacheConsistencySuite } from '../http/cache-consistency.ts';
import { startPostgresServer } from '../support/postgres-server.ts';

const server = await startPostgresServer();
after(() => server.stop());

cacheConsistencySuite('PostgreSQL', () => server.createDatabase());
