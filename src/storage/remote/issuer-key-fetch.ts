// Fetches OpenID Connect discovery documents and key sets for trusted publishing (src/auth/oidc-token-verifier.ts):
// https only, no redirects followed, a bounded body, and an optional CA bundle trusted besides the system's (a
// self-managed GitLab behind a private CA; NODE_EXTRA_CA_CERTS works too, for the whole process).
import { request } from 'node:https';
import { getCACertificates } from 'node:tls';
import type { KeyFetch } from '../../auth/oidc-token-verifier.ts';

/** Key sets are a few KB; anything near this is not one. */
const maxBodyBytes = 1024 * 1024;

export function issuerKeyFetch(options: { extraCa?: string | undefined } = {}): KeyFetch {
  // Passing `ca` replaces Node's default roots, so the defaults (with NODE_EXTRA_CA_CERTS) go first.
  const ca = options.extraCa === undefined ? undefined : [...getCACertificates('default'), options.extraCa];
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== 'https:') {
        reject(new Error(`${url} is not an https URL`));
        return;
      }
      const headers: Record<string, string> = { 'user-agent': 'nugget (trusted publishing)' };
      init.headers.forEach((value, name) => {
        headers[name] = value;
      });
      const req = request(
        target,
        { method: 'GET', headers, signal: init.signal, ...(ca ? { ca } : {}) },
        (res) => {
          const parts: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBodyBytes) {
              res.destroy(new Error(`${url} sent more than ${maxBodyBytes} bytes`));
              return;
            }
            parts.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (typeof value === 'string') responseHeaders.set(name, value);
            }
            // A redirect is answered as it is (jose and discovery want 200): a key set is not followed elsewhere.
            const status = res.statusCode ?? 502;
            try {
              const body = [204, 205, 304].includes(status) ? null : Buffer.concat(parts);
              resolve(new Response(body, { status, headers: responseHeaders }));
            } catch (error) {
              reject(new Error(`${url} answered an unusable status ${status}`, { cause: error }));
            }
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
}
