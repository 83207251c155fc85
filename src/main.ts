// `node src/main.ts [command] [flags]`: the `nugget` command without bin/nugget.js's Node version check;
// serve is the default command.
import './cli/main.ts';
