// A browser-like client of the web UI over fastify.inject(): keeps cookies, reads the CSRF token from a page's
// forms, and posts forms url-encoded (or a file multipart) as a browser does, with Sec-Fetch-Site and Origin.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

export class WebFormClient {
  readonly app: FastifyInstance;
  readonly cookies = new Map<string, string>();
  readonly origin: string;
  readonly headers: Record<string, string>;

  constructor(app: FastifyInstance, options: { origin?: string; headers?: Record<string, string> } = {}) {
    this.app = app;
    this.origin = options.origin ?? 'http://localhost';
    this.headers = options.headers ?? {};
  }

  #cookieHeader(): Record<string, string> {
    return this.cookies.size === 0
      ? {}
      : { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }

  keep(response: LightMyRequestResponse): LightMyRequestResponse {
    for (const cookie of response.cookies as {
      name: string;
      value: string;
      maxAge?: number;
      expires?: Date;
    }[]) {
      const gone =
        cookie.value === '' ||
        cookie.maxAge === 0 ||
        (cookie.expires && cookie.expires.getTime() < Date.now());
      if (gone) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    return response;
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.keep(
      await this.app.inject({
        method: 'GET',
        url,
        headers: { ...this.headers, ...this.#cookieHeader(), 'sec-fetch-site': 'same-origin' },
      }),
    );
  }

  async post(
    url: string,
    fields: Record<string, string | string[]>,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) {
      for (const item of Array.isArray(value) ? value : [value]) body.append(name, item);
    }
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        headers: {
          ...this.headers,
          ...this.#cookieHeader(),
          'content-type': 'application/x-www-form-urlencoded',
          'sec-fetch-site': 'same-origin',
          origin: this.origin,
          ...headers,
        },
        payload: body.toString(),
      }),
    );
  }

  async upload(url: string, fileName: string, bytes: Buffer): Promise<LightMyRequestResponse> {
    const boundary = '----nuggetform7MA4YWxkTrZu0gW';
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="package"; filename="${fileName}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        headers: {
          ...this.headers,
          ...this.#cookieHeader(),
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'sec-fetch-site': 'same-origin',
          origin: this.origin,
        },
        payload: body,
      }),
    );
  }

  /** The CSRF token of the first form of a page (or of the first form posting to `formAction`). */
  static csrfOf(page: LightMyRequestResponse, formAction?: string): string {
    const body = formAction ? page.body.slice(page.body.indexOf(`action="${formAction}"`)) : page.body;
    const match = /name="csrf_token" value="([^"]+)"/.exec(body) ?? /csrf_token=([^"&]+)/.exec(body);
    if (!match?.[1]) throw new Error(`no CSRF token in the page: ${page.body.slice(0, 500)}`);
    return decodeURIComponent(match[1].replace(/&amp;/g, '&'));
  }

  /** Signs in with a key through the sign-in form. */
  async signIn(key: string): Promise<LightMyRequestResponse> {
    const form = await this.get('/ui/sign-in');
    return this.post('/ui/sign-in', {
      csrf_token: WebFormClient.csrfOf(form, '/ui/sign-in'),
      key,
      next: '/ui/admin',
    });
  }
}
