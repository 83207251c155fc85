// A small HTTP server in front of an in-process nugget that plays an upstream for upstream-feed tests
// (docs/upstreams.md): it forwards every request to the app (so documents name this server's origin), counts the
// requests per path, and can be made down (503), dead (connection closed), slow (no answer) or hostile (a handler
// that answers what it likes).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

export type UpstreamMode = 'up' | 'down' | 'dead' | 'hang';

export interface UpstreamProxy {
  readonly origin: string;
  readonly serviceIndex: string;
  /** Requests seen, by path (query string included). */
  readonly seen: string[];
  mode: UpstreamMode;
  /** Answers a request instead of the app when it returns true. */
  hostile: ((req: http.IncomingMessage, res: http.ServerResponse) => boolean) | undefined;
  close(): Promise<void>;
}

export async function startUpstreamProxy(app: FastifyInstance, prefix = '/v3'): Promise<UpstreamProxy> {
  const hanging = new Set<http.ServerResponse>();
  const proxy: UpstreamProxy = {
    origin: '',
    serviceIndex: '',
    seen: [],
    mode: 'up',
    hostile: undefined,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    proxy.seen.push(req.url ?? '');
    if (proxy.mode === 'down') {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance');
      return;
    }
    if (proxy.mode === 'dead') {
      req.socket.destroy();
      return;
    }
    if (proxy.mode === 'hang') {
      hanging.add(res);
      return;
    }
    if (proxy.hostile?.(req, res)) return;
    void app
      .inject({
        method: req.method as 'GET',
        url: req.url ?? '/',
        headers: { host: req.headers.host ?? '', 'accept-encoding': req.headers['accept-encoding'] ?? '' },
      })
      .then((answer) => {
        const headers = { ...answer.headers };
        delete headers['transfer-encoding'];
        res.writeHead(answer.statusCode, headers as http.OutgoingHttpHeaders).end(answer.rawPayload);
      })
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(proxy, {
    origin: `http://127.0.0.1:${port}`,
    serviceIndex: `http://127.0.0.1:${port}${prefix}/index.json`,
  });
  return proxy;
}
