// A package an upstream feed fetches and keeps on its first download is reported to the upstream feed's webhook
// subscribers as package.ingested (docs/webhooks.md), from the outbox row written with the cached version, once:
// later downloads serve the kept copy and report nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyWebhook } from '../../src/packages/webhook-signature.ts';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { startUpstreamProxy, type UpstreamProxy } from '../support/upstream-proxy.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { type JsonObject, parseJson, startFeed, type TestFeed } from './feed-fixture.ts';

const json = { 'content-type': 'application/json' };
const publicUrl = 'https://nuget.example.com';

describe('webhooks of an upstream feed', () => {
  let upstream: TestFeed;
  let proxy: UpstreamProxy;
  let server: TestFeed;
  let receiver: WebhookReceiver;

  const adminRequest = (method: string, url: string, body: unknown) =>
    server.request(method, url, {
      headers: { 'x-nuget-apikey': server.apiKey ?? '', ...json },
      body: JSON.stringify(body),
    });

  before(async () => {
    upstream = await startFeed();
    assert.equal(
      (await upstream.push(await buildNupkg({ id: 'Up.Hooked', version: '1.2.3' }))).statusCode,
      201,
    );
    proxy = await startUpstreamProxy(upstream.app);
    receiver = await startWebhookReceiver();
    server = await startFeed({
      publicUrl,
      deliverWebhooks: { pollMs: 50 },
      config: { webhookAllowedNetworks: '127.0.0.1/32' },
    });
    const created = await adminRequest('PUT', '/admin/feeds/up', {
      kind: 'upstream',
      source: proxy.serviceIndex,
    });
    assert.equal(created.statusCode, 201, created.body);
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
    await proxy?.close();
    await upstream?.close();
  });

  test('the first download reports package.ingested, signed, naming the upstream; later ones report nothing', async () => {
    const subscribed = await adminRequest('POST', '/feeds/up/v3/admin/webhooks', {
      url: receiver.url,
      events: ['package.ingested'],
    });
    assert.equal(subscribed.statusCode, 201, subscribed.body);
    const secret = parseJson(subscribed)['secret'] as string;

    const path = '/feeds/up/v3/flatcontainer/up.hooked/1.2.3/up.hooked.1.2.3.nupkg';
    assert.equal((await server.get(path)).statusCode, 200);
    const [ingested] = await receiver.waitFor(1);
    const verdict = verifyWebhook(
      secret,
      {
        timestamp: ingested!.headers['x-nugget-webhook-timestamp'] as string,
        signature: ingested!.headers['x-nugget-webhook-signature'] as string,
      },
      ingested!.body,
      new Date(),
    );
    assert.equal(verdict, 'valid');
    const payload = ingested!.json as JsonObject;
    assert.equal(payload['event'], 'package.ingested');
    assert.equal(payload['feed'], 'up');
    assert.equal(payload['id'], 'Up.Hooked');
    assert.equal(payload['version'], '1.2.3');
    assert.equal(payload['upstream'], 'up');
    assert.deepEqual(payload['actor'], { kind: 'system', name: 'upstream up' });
    assert.equal(
      payload['urls']['packageContent'],
      `${publicUrl}/feeds/up/v3/flatcontainer/up.hooked/1.2.3/up.hooked.1.2.3.nupkg`,
    );

    assert.equal((await server.get(path)).statusCode, 200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.received.length, 1, 'a kept package is not ingested again');
  });
});
