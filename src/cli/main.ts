// Entry point of the `nugget` command line (`npm run nugget -- <command>`); see program.ts. The compile cache makes
// every later run start faster (src/main.ts says why).
import { enableCompileCache } from 'node:module';

enableCompileCache();
await import('./program.ts');
