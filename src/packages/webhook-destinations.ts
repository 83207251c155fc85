// Where webhooks may go (docs/webhooks.md, "Where deliveries may go"). A webhook makes the server send requests
// to a URL someone typed: pointed at an internal address (the cloud metadata service at 169.254.169.254, an admin
// port on localhost, a database in the private network) it would reach what no outsider can (server-side
// request forgery). So only http(s) URLs are taken, only to the hosts --webhook-allowed-hosts names (any when it
// names none), and never to a private, loopback, link-local or otherwise special address unless
// --webhook-allowed-networks holds it. The address is checked after DNS resolution, at connect time, so a public
// name that resolves inside (or is changed to, after the subscription was checked) is refused too.
import { BlockList, isIP } from 'node:net';
import { invalidInput } from '../errors.ts';

// Special-purpose ranges (IANA's IPv4 and IPv6 special-purpose address registries): none is a public receiver.
const specialIpv4 = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const;
const specialIpv6 = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const;

// Node's BlockList matches an IPv4 rule for the IPv4-mapped IPv6 form too, and an ::ffff:0:0/96 rule for every
// IPv4 address: mapped addresses are therefore unwrapped and checked as the IPv4 address they are.
const mapped = new BlockList();
mapped.addSubnet('::ffff:0:0', 96, 'ipv6');

/** `::ffff:7f00:1` -> `127.0.0.1`; any other address as it is. */
function unwrapMapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  if (isIP(address) === 4) return { address, family: 'ipv4' };
  if (!mapped.check(address, 'ipv6')) return { address, family: 'ipv6' };
  const tail = address.slice(address.lastIndexOf(':') + 1);
  if (isIP(tail) === 4) return { address: tail, family: 'ipv4' };
  const groups = address
    .split(':')
    .slice(-2)
    .map((group) => parseInt(group || '0', 16));
  const [high = 0, low = 0] = groups;
  return { address: [high >> 8, high & 255, low >> 8, low & 255].join('.'), family: 'ipv4' };
}

const special = new BlockList();
for (const [address, prefix] of specialIpv4) special.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of specialIpv6) special.addSubnet(address, prefix, 'ipv6');

export interface WebhookDestinationRules {
  /** Host names (exact, or `*.example.com` for its subdomains) URLs may name; empty: any host. */
  readonly allowedHosts: readonly string[];
  /** CIDRs (`10.1.2.0/24`, `127.0.0.1/32`, `fd00::/8`) of non-public addresses deliveries may reach. */
  readonly allowedNetworks: readonly string[];
}

/** Parses a CIDR such as 10.0.0.0/8 or fd00::/8 (a bare address is one host); undefined when it is none. */
export function parseCidr(
  text: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

const hostPattern = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

export class WebhookDestinations {
  readonly #hosts: readonly string[];
  readonly #networks = new BlockList();
  readonly #networkList: readonly string[];

  constructor(rules: WebhookDestinationRules) {
    this.#hosts = rules.allowedHosts.map((host) => host.trim().toLowerCase());
    for (const host of this.#hosts) {
      if (!hostPattern.test(host) && isIP(host) === 0) {
        throw new Error(`'${host}' is not a host name, *.domain or IP address`);
      }
    }
    for (const text of rules.allowedNetworks) {
      const cidr = parseCidr(text);
      if (!cidr) throw new Error(`'${text}' is not a network such as 10.0.0.0/8, 127.0.0.1 or fd00::/8`);
      this.#networks.addSubnet(cidr.address, cidr.prefix, cidr.family);
    }
    this.#networkList = rules.allowedNetworks;
  }

  /**
   * The URL of a subscription, checked when an admin adds or changes it: 400 with the reason for anything but an
   * http(s) URL without credentials to an allowed host. Returns it normalized (as `new URL` writes it).
   */
  checkUrl(text: string): string {
    let url: URL;
    try {
      url = new URL(text.trim());
    } catch {
      throw invalidInput('webhook_url_invalid', `'${text.slice(0, 200)}' is not a URL: give an http(s) URL.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw invalidInput(
        'webhook_url_invalid',
        `Webhook URLs must be http or https, not ${url.protocol.replace(/:$/, '')}.`,
      );
    }
    if (url.username !== '' || url.password !== '') {
      throw invalidInput(
        'webhook_url_invalid',
        'A webhook URL must not hold a user name or password: the receiver checks the signature instead.',
      );
    }
    const host = this.hostRefusal(url.hostname);
    if (host) throw invalidInput('webhook_host_not_allowed', host);
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    const address = isIP(literal) === 0 ? undefined : this.addressRefusal(literal);
    if (address) throw invalidInput('webhook_address_not_allowed', address);
    return url.toString();
  }

  /** Why a host name may not be sent to, or undefined when it may. */
  hostRefusal(hostname: string): string | undefined {
    if (this.#hosts.length === 0) return undefined;
    const host = hostname
      .toLowerCase()
      .replace(/^\[|\]$/g, '')
      .replace(/\.$/, '');
    const allowed = this.#hosts.some((pattern) =>
      pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern,
    );
    return allowed
      ? undefined
      : `${host} is not among the hosts webhooks may be sent to (--webhook-allowed-hosts ${this.#hosts.join(',')}).`;
  }

  /** Why an address (as resolved) may not be connected to, or undefined when it may. */
  addressRefusal(address: string): string | undefined {
    if (isIP(address) === 0) return `${address} is not an IP address.`;
    const { address: plain, family } = unwrapMapped(address);
    if (!special.check(plain, family) || this.#networks.check(plain, family)) return undefined;
    return (
      `${address} is a private, loopback or otherwise internal address; webhooks go there only when ` +
      `--webhook-allowed-networks holds it (now: ${this.#networkList.join(',') || 'none'}).`
    );
  }
}
