// Entry point of `npm start`. Node's compile cache keeps the compiled code of every module (TypeScript already
// stripped) on disk between starts, so a restart neither strips types again nor loads the stripper: it starts
// faster and idles in less memory. The cache is an optimization only; without it everything works the same.
import { enableCompileCache } from 'node:module';

enableCompileCache();
await import('./cli/start-server.ts');
