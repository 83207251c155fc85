// WebhookSender over undici (docs/webhooks.md, "Where deliveries may go"): one POST, never a redirect followed
// (a 3xx is a failed attempt, so a receiver cannot send nugget on to another host), a timeout on the whole
// exchange, at most a few KB of the answer read (for the delivery log), and every address the host name resolves
// to checked against the destination rules at connect time, so DNS cannot point a delivery inside the network.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { WebhookSender, WebhookSendFailure } from '../../packages/ports.ts';
import type { WebhookDestinations } from '../../packages/webhook-destinations.ts';
import { LazyAgent } from './lazy-undici.ts';

/** Bytes of a receiver's answer kept for the delivery log; the rest is never read. */
const maxAnswerBytes = 2048;

class RefusedAddress extends Error {
  readonly code = 'WEBHOOK_ADDRESS_REFUSED';
}

export class HttpWebhookSender implements WebhookSender {
  readonly #destinations: WebhookDestinations;
  readonly #timeoutMs: number;
  /** Created with the first delivery (undici is loaded then). */
  readonly #agent: LazyAgent;

  constructor(options: { destinations: WebhookDestinations; timeoutMs: number }) {
    this.#destinations = options.destinations;
    this.#timeoutMs = options.timeoutMs;
    const destinations = options.destinations;
    // net.connect resolves the name through this: only addresses the rules allow are ever connected to.
    const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
      dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return callback(error, '', 0);
        const allowed = addresses.filter((a) => destinations.addressRefusal(a.address) === undefined);
        const first = allowed[0];
        if (!first) {
          const reason = destinations.addressRefusal(addresses[0]?.address ?? hostname) ?? 'no address';
          return callback(new RefusedAddress(`${hostname} resolves to ${reason}`), '', 0);
        }
        if (lookupOptions.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
        else callback(null, first.address, first.family);
      });
    };
    this.#agent = new LazyAgent({
      connect: { lookup, timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 4_000,
    });
  }

  async send(delivery: {
    readonly url: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: string;
  }): Promise<{ readonly ok: true; readonly status: number } | WebhookSendFailure> {
    let url: URL;
    try {
      url = new URL(delivery.url);
    } catch {
      return { ok: false, error: `'${delivery.url}' is not a URL`, refused: true };
    }
    // The rules may have changed since the subscription was added: they are checked again on every attempt.
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const refusal =
      (url.protocol === 'http:' || url.protocol === 'https:'
        ? undefined
        : `${url.protocol} is not http(s)`) ??
      this.#destinations.hostRefusal(host) ??
      (isIP(host) === 0 ? undefined : this.#destinations.addressRefusal(host));
    if (refusal) return { ok: false, error: `refused: ${refusal}`, refused: true };
    try {
      const {
        undici: { request },
        agent,
      } = await this.#agent.get();
      const answer = await request(url, {
        method: 'POST',
        headers: delivery.headers,
        body: delivery.body,
        dispatcher: agent,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const status = answer.statusCode;
      if (status >= 200 && status < 300) {
        await answer.body.dump({ limit: maxAnswerBytes }).catch(() => {});
        return { ok: true, status };
      }
      const text = await readSome(answer.body);
      const where =
        status >= 300 && status < 400
          ? `; redirects are not followed (Location: ${String(answer.headers['location'] ?? 'none').slice(0, 200)})`
          : '';
      return { ok: false, status, error: `HTTP ${status}${where}${text ? `: ${text}` : ''}` };
    } catch (error) {
      return { ok: false, error: describe(error), refused: error instanceof RefusedAddress };
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

/** The start of an answer's body as one line, and the rest of the body left unread. */
async function readSome(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= maxAnswerBytes) break;
    }
  } catch {
    // A broken body says no more than its status.
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks)
    .subarray(0, maxAnswerBytes)
    .toString('utf8')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500);
}

function describe(error: unknown): string {
  const err = error as { name?: string; message?: string; code?: string; cause?: unknown };
  if (
    err.name === 'TimeoutError' ||
    err.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    err.code === 'UND_ERR_BODY_TIMEOUT'
  )
    return 'no answer in time (timeout)';
  const cause = err.cause as { code?: string; message?: string } | undefined;
  const code = err.code ?? cause?.code;
  const message = err.message ?? String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
