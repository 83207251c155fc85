// Runs the `nugget` command line (bin/nugget.js, `npm start`, `npm run nugget -- <command>`); see program.ts.
// Node's compile cache keeps the compiled code of every module (TypeScript already stripped) on disk between
// runs, so a restart neither strips types again nor loads the stripper: it starts faster and idles in less
// memory. The cache is an optimization only; without it everything works the same.
import { enableCompileCache } from 'node:module';

enableCompileCache();
const argv = process.argv.slice(2);
// Serving with several workers, this process only manages them (workers.ts) and loads nothing else.
const { primaryIfWorkers } = await import('./workers.ts');
if (!(await primaryIfWorkers(argv))) {
  const { runCli } = await import('./program.ts');
  await runCli(argv);
}
