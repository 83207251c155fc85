// The public base URL every resource URL is built from (docs/architecture.md rule 7): the configured
// --public-url, else the scheme and host the client reached, honouring X-Forwarded-Proto/Host/Prefix only
// when the operator said the proxy in front is trusted (otherwise anyone could make us print their host).
import type { FastifyRequest } from 'fastify';
import { invalidInput } from '../errors.ts';

export interface BaseUrlOptions {
  readonly publicUrl?: string | undefined;
  readonly trustProxy: boolean;
}

const hostPattern = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const prefixPattern = /^(?:\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*\/?$/;

function firstHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text?.split(',')[0]?.trim() || undefined;
}

export function baseUrlOf(request: FastifyRequest, options: BaseUrlOptions): string {
  if (options.publicUrl) return options.publicUrl.replace(/\/+$/, '');
  const encrypted = (request.raw.socket as { encrypted?: boolean }).encrypted === true;
  let proto = encrypted ? 'https' : 'http';
  let host = request.headers.host;
  let prefix = '';
  if (options.trustProxy) {
    const fProto = firstHeader(request, 'x-forwarded-proto')?.toLowerCase();
    if (fProto === 'http' || fProto === 'https') proto = fProto;
    host = firstHeader(request, 'x-forwarded-host') ?? host;
    prefix = firstHeader(request, 'x-forwarded-prefix') ?? '';
    if (!prefixPattern.test(prefix)) {
      throw invalidInput('bad_forwarded_prefix', 'The X-Forwarded-Prefix header is not a URL path.');
    }
  }
  const port = host?.match(/:(\d+)$/)?.[1];
  if (!host || !hostPattern.test(host) || (port !== undefined && Number(port) > 65535)) {
    throw invalidInput(
      'bad_host',
      'The request has no valid Host header; send one, or configure --public-url.',
    );
  }
  return `${proto}://${host}${prefix.replace(/\/+$/, '')}`;
}
