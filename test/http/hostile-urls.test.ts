// Hostile URLs on the embedded default (SQLite + files, the raw-HTTP fast path on): see url-fuzz.ts.
import { urlFuzzSuite } from './url-fuzz.ts';

urlFuzzSuite('SQLite', {}, { count: 200, perTemplate: 40 });
