// The ceiling of the server benchmark: bare node:http answering every request with one precomputed JSON body.
// No routing, no database, no serialization: what this machine's Node can do at best, for the ratio.
// Run by bench/run.ts: node bench/ceiling-server.ts <body file> [<head file>]; prints "Listening: <port>".
// The ceiling of `npm run bench` is the first form (a version list's bytes, two headers). The second form answers
// with the head in <head file> (a JSON [name, value, ...] list, as nugget sent it for one answer of an endpoint):
// `npm run bench -- --only reads` measures it beside the ceiling, to tell what nugget's own bytes and headers cost
// Node from what nugget's code costs (bench/README.md, "Is the ceiling fair?").
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const bodyFile = process.argv[2];
if (!bodyFile) throw new Error('usage: node bench/ceiling-server.ts <body file> [<head file>]');
const body = readFileSync(bodyFile);
const headFile = process.argv[3];
const headers = headFile
  ? (JSON.parse(readFileSync(headFile, 'utf8')) as string[])
  : { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) };
const server = createServer((_request, response) => {
  response.writeHead(200, headers);
  response.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`Listening: ${typeof address === 'object' && address ? address.port : ''}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
