// Two nodes on one SQLite database (cache-consistency.ts).
import { cacheConsistencySuite } from './cache-consistency.ts';

cacheConsistencySuite('SQLite', async () => undefined);
