// Upstream and virtual feeds on SQLite and the file system (the suite: upstream-feeds.ts; on PostgreSQL and S3:
// test/storage/postgres-upstream-feeds.test.ts).
import { upstreamFeedsSuite } from './upstream-feeds.ts';

upstreamFeedsSuite('SQLite and files');
