// Where webhooks may go (docs/webhooks.md, "Where deliveries may go"): http(s) URLs only, allowed hosts only,
// and no internal address unless an allowed network holds it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isNuggetError } from '../errors.ts';
import { parseCidr, WebhookDestinations } from './webhook-destinations.ts';

const open = new WebhookDestinations({ allowedHosts: [], allowedNetworks: [] });

test('addresses: public ones are allowed, private, loopback, link-local and other special ones are not', () => {
  const rows: [string, boolean][] = [
    ['93.184.216.34', true],
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['127.0.0.1', false],
    ['127.8.9.10', false],
    ['10.0.0.1', false],
    ['172.16.5.4', false],
    ['172.32.0.1', true],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['::1', false],
    ['::', false],
    ['fe80::1', false],
    ['fd12:3456::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:7f00:1', false],
    ['::ffff:5db8:d822', true],
    ['::ffff:93.184.216.34', true],
  ];
  for (const [address, allowed] of rows) {
    assert.equal(open.addressRefusal(address) === undefined, allowed, address);
  }
});

test('an allowed network lets exactly its addresses through', () => {
  const rules = new WebhookDestinations({
    allowedHosts: [],
    allowedNetworks: ['10.1.0.0/16', '127.0.0.1', 'fd00::/8'],
  });
  assert.equal(rules.addressRefusal('10.1.200.3'), undefined);
  assert.match(
    rules.addressRefusal('10.2.0.1') ?? '',
    /--webhook-allowed-networks holds it \(now: 10.1.0.0\/16,127.0.0.1,fd00::\/8\)/,
  );
  assert.equal(rules.addressRefusal('127.0.0.1'), undefined);
  assert.notEqual(rules.addressRefusal('127.0.0.2'), undefined);
  assert.equal(rules.addressRefusal('fd00::5'), undefined);
});

test('allowed hosts: exact names and *.domain subdomains, case-insensitive', () => {
  const rules = new WebhookDestinations({
    allowedHosts: ['hooks.internal', '*.Example.com'],
    allowedNetworks: [],
  });
  const rows: [string, boolean][] = [
    ['hooks.internal', true],
    ['HOOKS.internal', true],
    ['ci.example.com', true],
    ['a.b.example.com', true],
    ['example.com', false],
    ['evilexample.com', false],
    ['example.com.evil.test', false],
    ['hooks.internal.evil.test', false],
  ];
  for (const [host, allowed] of rows) assert.equal(rules.hostRefusal(host) === undefined, allowed, host);
});

test('subscription URLs: http(s), no credentials, allowed host, no internal literal address', () => {
  assert.equal(open.checkUrl(' https://ci.example.com/hook?x=1 '), 'https://ci.example.com/hook?x=1');
  for (const [url, code] of [
    ['ftp://example.com/', 'webhook_url_invalid'],
    ['file:///etc/passwd', 'webhook_url_invalid'],
    ['javascript:alert(1)', 'webhook_url_invalid'],
    ['https://u:p@example.com/', 'webhook_url_invalid'],
    ['', 'webhook_url_invalid'],
    ['http://127.0.0.1:9/', 'webhook_address_not_allowed'],
    ['http://[::1]/', 'webhook_address_not_allowed'],
    ['http://[::ffff:169.254.169.254]/', 'webhook_address_not_allowed'],
    ['http://0x7f000001/', 'webhook_address_not_allowed'],
    ['http://2130706433/', 'webhook_address_not_allowed'],
  ] as const) {
    assert.throws(
      () => open.checkUrl(url),
      (error: unknown) => isNuggetError(error) && error.code === code && error.kind === 'InvalidInput',
      url,
    );
  }
});

test('networks are CIDRs or single addresses', () => {
  assert.deepEqual(parseCidr('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
  assert.deepEqual(parseCidr('::1'), { address: '::1', prefix: 128, family: 'ipv6' });
  for (const bad of ['10.0.0.0/33', '10.0.0/8', 'example.com', '10.0.0.0/8/1', '10.0.0.0/-1', '::/129']) {
    assert.equal(parseCidr(bad), undefined, bad);
  }
  assert.throws(
    () => new WebhookDestinations({ allowedHosts: [], allowedNetworks: ['nope'] }),
    /not a network/,
  );
  assert.throws(
    () => new WebhookDestinations({ allowedHosts: ['bad host'], allowedNetworks: [] }),
    /not a host name/,
  );
});
