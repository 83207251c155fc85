// A push over a real socket, sent in two halves when asked: for tests that act while a push is in progress (a
// server killed, a database stopped, a second node started). The body is the NuGet client's multipart body.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { multipartBody } from '../http/feed-fixture.ts';

export interface SocketAnswer {
  /** 0 when the connection died before an answer. */
  readonly status: number;
  readonly body: string;
  readonly retryAfter: string | undefined;
}

export interface SocketPush {
  readonly answer: Promise<SocketAnswer>;
  /** Sends the rest of the body (after `{ firstHalfOnly: true }`). */
  sendRest(): void;
}

/** PUTs `nupkg` to `<base>/v3/package`; with `firstHalfOnly` the second half waits for sendRest(). */
export function startSocketPush(
  base: string,
  apiKey: string | undefined,
  nupkg: Buffer,
  options: { firstHalfOnly?: boolean } = {},
): SocketPush {
  const url = new URL(`${base}/v3/package`);
  const boundary = randomUUID();
  const body = multipartBody(nupkg, boundary);
  const request = http.request({
    host: url.hostname,
    port: url.port,
    method: 'PUT',
    path: url.pathname,
    headers: {
      ...(apiKey === undefined ? {} : { 'x-nuget-apikey': apiKey }),
      'content-type': `multipart/form-data; boundary="${boundary}"`,
      'transfer-encoding': 'chunked',
    },
  });
  const answer = new Promise<SocketAnswer>((resolve) => {
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          body: text,
          retryAfter: response.headers['retry-after'],
        }),
      );
      response.on('error', () => resolve({ status: 0, body: '', retryAfter: undefined }));
    });
    request.on('error', () => resolve({ status: 0, body: '', retryAfter: undefined }));
  });
  const half = body.length >> 1;
  if (options.firstHalfOnly) request.write(body.subarray(0, half));
  else request.end(body);
  return { answer, sendRest: () => void request.end(body.subarray(half)) };
}
