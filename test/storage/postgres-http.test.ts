// The HTTP guarantees on PostgreSQL, whose raw-HTTP fast path checks stamps over a round trip (front-cache.ts):
// hostile URLs never meet a server fault, though PostgreSQL refuses a NUL in any text value that SQLite would take (test/http/url-fuzz.ts), and the
// connection timeouts and body rules hold as on every other variant (test/http/connection-guarantees.ts).
import { after } from 'node:test';
import { connectionGuaranteesSuite } from '../http/connection-guarantees.ts';
import { urlFuzzSuite } from '../http/url-fuzz.ts';
import { startPostgresServer } from '../support/postgres-server.ts';

const server = await startPostgresServer();
after(() => server.stop());

urlFuzzSuite(
  'PostgreSQL',
  { config: { database: await server.createDatabase() } },
  { count: 150, perTemplate: 30 },
);

connectionGuaranteesSuite({
  name: 'PostgreSQL',
  fastPath: true,
  settings: async () => ({ config: { database: await server.createDatabase() } }),
});
