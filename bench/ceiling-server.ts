// The ceiling of the server benchmark: bare node:http answering every request with one precomputed JSON body.
// No routing, no database, no serialization: what this machine's Node can do at best, for the ratio.
// Run by bench/run.ts: node bench/ceiling-server.ts <body file>; prints "Listening: <port>".
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const bodyFile = process.argv[2];
if (!bodyFile) throw new Error('usage: node bench/ceiling-server.ts <body file>');
const body = readFileSync(bodyFile);
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) };
const server = createServer((_request, response) => {
  response.writeHead(200, headers);
  response.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`Listening: ${typeof address === 'object' && address ? address.port : ''}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
