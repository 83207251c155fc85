// A transparent HTTP front for an upstream under test: it forwards every request unchanged (Host included, so a
// nugget behind it builds its URLs on the front's address and every later request comes through here too),
// records each one, and can refuse connections the way a dead host does. Tests count upstream traffic with it.
import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ProxiedRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface CountingProxy {
  /** `http://127.0.0.1:port` */
  readonly origin: string;
  readonly requests: readonly ProxiedRequest[];
  count(predicate: (request: ProxiedRequest) => boolean): number;
  /** Refuses every connection from now on. */
  stop(): Promise<void>;
  /** Forwards again, on the same port. */
  start(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const targetUrl = new URL(target);
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const listen = async () => {
    const created = createServer((incoming, outgoing) => {
      requests.push({
        method: incoming.method ?? 'GET',
        url: incoming.url ?? '/',
        headers: incoming.headers,
      });
      const forwarded = httpRequest(
        {
          host: targetUrl.hostname,
          port: targetUrl.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', () => outgoing.destroy());
      incoming.pipe(forwarded);
    });
    created.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    created.listen(port, '127.0.0.1');
    await once(created, 'listening');
    port = (created.address() as AddressInfo).port;
    server = created;
  };
  await listen();

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    count: (predicate) => requests.filter(predicate).length,
    async stop() {
      const current = server;
      if (!current) return;
      server = undefined;
      const closed = new Promise((resolve) => current.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async start() {
      if (!server) await listen();
    },
  };
}
