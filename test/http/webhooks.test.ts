// Webhooks (docs/webhooks.md): a receiver started here gets every event of every write exactly as documented,
// signed; a receiver that fails gets the events once it answers again; the queue has a bound, the delivery log
// and the metrics show what happened; deliveries go only where the destination rules allow, never follow a
// redirect, and a refused or failed change reports nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { packageWithSymbols } from '../fixtures/package-with-symbols.ts';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.ts';
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../support/webhook-receiver.ts';
import { verifyWebhook } from '../../src/packages/webhook-signature.ts';
import { type JsonObject, parseJson, startFeed, type TestFeed } from './feed-fixture.ts';

const json = { 'content-type': 'application/json' };
const publicUrl = 'https://nuget.example.com';

function request(server: TestFeed, method: string, url: string, body?: unknown, key = server.apiKey ?? '') {
  return server.request(method, url, {
    headers: { 'x-nuget-apikey': key, ...(body === undefined ? {} : json) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function subscribe(server: TestFeed, feedPath: string, body: JsonObject): Promise<JsonObject> {
  const response = await request(server, 'POST', `${feedPath}/v3/admin/webhooks`, body);
  assert.equal(response.statusCode, 201, response.body);
  return parseJson(response);
}

/** The signature checks out with the secret, and the headers name what the body says. */
function assertSigned(webhook: ReceivedWebhook, secret: string): void {
  const verdict = verifyWebhook(
    secret,
    {
      timestamp: webhook.headers['x-nugget-webhook-timestamp'] as string,
      signature: webhook.headers['x-nugget-webhook-signature'] as string,
    },
    webhook.body,
    new Date(),
  );
  assert.equal(verdict, 'valid', `signature of ${webhook.body}`);
  assert.equal(
    verifyWebhook('whsec_wrong', { ...headersOf(webhook) }, webhook.body, new Date()),
    'bad-signature',
  );
  assert.equal(webhook.headers['x-nugget-webhook-id'], webhook.json['deliveryId']);
  assert.equal(webhook.headers['x-nugget-webhook-event'], webhook.json['event']);
  assert.match(String(webhook.headers['content-type']), /^application\/json/);
  assert.match(String(webhook.headers['user-agent']), /^nugget-webhooks\//);
}

const headersOf = (webhook: ReceivedWebhook) => ({
  timestamp: webhook.headers['x-nugget-webhook-timestamp'] as string,
  signature: webhook.headers['x-nugget-webhook-signature'] as string,
});

const urlsOf = (feedBase: string, lowerId: string, lowerVersion: string) => ({
  serviceIndex: `${feedBase}/v3/index.json`,
  registrationLeaf: `${feedBase}/v3/registration-gz-semver2/${lowerId}/${lowerVersion}.json`,
  packageContent: `${feedBase}/v3/flatcontainer/${lowerId}/${lowerVersion}/${lowerId}.${lowerVersion}.nupkg`,
});

describe('webhooks', () => {
  let server: TestFeed;
  let receiver: WebhookReceiver;

  before(async () => {
    receiver = await startWebhookReceiver();
    server = await startFeed({
      publicUrl,
      deliverWebhooks: { pollMs: 50 },
      config: { webhookAllowedNetworks: '127.0.0.1/32', webhookRetryMin: '100ms', webhookRetryMax: '400ms' },
    });
    const created = await request(server, 'PUT', '/admin/feeds/release', { deleteBehavior: 'delete' });
    assert.equal(created.statusCode, 201, created.body);
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  test('every write sends its event, signed, with the documented payload', async () => {
    const all = await subscribe(server, '', { url: receiver.url, events: '*', description: 'everything' });
    assert.match(all['secret'], /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(all['events'], ['*']);
    const release = await subscribe(server, '/feeds/release', {
      url: `${receiver.url}?feed=release`,
      events: ['package.promoted', 'package.deleted'],
    });
    // The secret is shown once: never in a listing.
    const listed = await request(server, 'GET', '/v3/admin/webhooks');
    assert.equal(listed.statusCode, 200);
    assert.doesNotMatch(listed.body, /whsec_/);
    assert.deepEqual(
      parseJson(listed)['webhooks'].map((w: JsonObject) => w['id']),
      [all['id']],
    );

    const { createApiKey } = await import('../../src/auth/manage-api-keys.ts');
    const { key, apiKey } = await createApiKey(
      server.services,
      { actor: 'test', source: 'test' },
      { name: 'ci-bot', scopes: ['push-new', 'push', 'unlist'], packages: ['*'] },
    );

    assert.equal(
      (await server.push(await buildNupkg({ id: 'Contoso.Hooks', version: '1.0.0' }), { key })).statusCode,
      201,
    );
    assert.equal((await request(server, 'DELETE', '/v3/package/contoso.hooks/1.0.0')).statusCode, 204);
    assert.equal((await request(server, 'POST', '/v3/package/Contoso.Hooks/1.0.0')).statusCode, 200);
    const deprecation = { reasons: ['Legacy'], message: 'use 2.0' };
    assert.equal(
      (await request(server, 'PUT', '/v3/admin/deprecations/Contoso.Hooks/1.0.0', deprecation)).statusCode,
      204,
    );
    assert.equal(
      (await request(server, 'DELETE', '/v3/admin/deprecations/Contoso.Hooks/1.0.0')).statusCode,
      204,
    );
    const symbols = await packageWithSymbols('Contoso.Symbols', '2.0.0-beta.1');
    assert.equal((await server.push(symbols.nupkg)).statusCode, 201);
    assert.equal((await server.pushSymbols(symbols.snupkg)).statusCode, 201);
    const promote = { id: 'Contoso.Hooks', version: '1.0.0', from: 'default', to: 'release' };
    assert.equal((await request(server, 'POST', '/admin/promote', promote)).statusCode, 201);
    assert.equal(
      (await request(server, 'DELETE', '/feeds/release/v3/package/Contoso.Hooks/1.0.0')).statusCode,
      204,
    );

    const received = await receiver.waitFor(9);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.received.length, 9, 'nothing sent twice or to the wrong subscription');
    const defaultFeed = received.filter((r) => r.path === '/hook');
    const releaseFeed = received.filter((r) => r.path === '/hook?feed=release');
    for (const webhook of defaultFeed) assertSigned(webhook, all['secret']);
    for (const webhook of releaseFeed) assertSigned(webhook, release['secret']);
    assert.equal(new Set(received.map((r) => r.json['deliveryId'])).size, 9);

    const byEvent = (list: ReceivedWebhook[], event: string, id = 'Contoso.Hooks') =>
      list.filter((r) => r.json['event'] === event && r.json['id'] === id).map((r) => r.json);
    const bootstrap = { kind: 'bootstrap', name: 'bootstrap' };
    const defaultUrls = urlsOf(publicUrl, 'contoso.hooks', '1.0.0');
    const [pushed] = byEvent(defaultFeed, 'package.pushed');
    assert.ok(pushed);
    // Exactly the documented fields, in the documented order.
    assert.deepEqual(Object.keys(pushed), [
      'deliveryId',
      'event',
      'feed',
      'id',
      'version',
      'actor',
      'time',
      'urls',
    ]);
    assert.deepEqual(
      { ...pushed, deliveryId: undefined, time: undefined },
      {
        deliveryId: undefined,
        event: 'package.pushed',
        feed: 'default',
        id: 'Contoso.Hooks',
        version: '1.0.0',
        actor: { kind: 'key', name: 'ci-bot', keyId: apiKey.keyId },
        time: undefined,
        urls: defaultUrls,
      },
    );
    assert.ok(!JSON.stringify(received.map((r) => r.json)).includes(key.split('_').at(-1) ?? key));
    assert.ok(Math.abs(Date.parse(pushed['time']) - Date.now()) < 60_000);
    for (const event of [
      'package.unlisted',
      'package.relisted',
      'package.deprecated',
      'package.undeprecated',
    ]) {
      const [one, ...more] = byEvent(defaultFeed, event);
      assert.deepEqual(more, [], event);
      assert.deepEqual(
        { ...one, deliveryId: undefined, time: undefined },
        {
          deliveryId: undefined,
          event,
          feed: 'default',
          id: 'Contoso.Hooks',
          version: '1.0.0',
          actor: bootstrap,
          time: undefined,
          urls: defaultUrls,
        },
      );
    }
    const symbolUrls = urlsOf(publicUrl, 'contoso.symbols', '2.0.0-beta.1');
    assert.deepEqual(
      byEvent(defaultFeed, 'symbols.pushed', 'Contoso.Symbols').map((j) => [j['version'], j['urls']]),
      [['2.0.0-beta.1', symbolUrls]],
    );
    assert.equal(byEvent(defaultFeed, 'package.pushed', 'Contoso.Symbols').length, 1);

    const releaseUrls = urlsOf(`${publicUrl}/feeds/release`, 'contoso.hooks', '1.0.0');
    const [promoted] = byEvent(releaseFeed, 'package.promoted');
    assert.deepEqual(Object.keys(promoted ?? {}), [
      'deliveryId',
      'event',
      'feed',
      'id',
      'version',
      'actor',
      'time',
      'urls',
      'promotedFrom',
    ]);
    assert.equal(promoted?.['feed'], 'release');
    assert.equal(promoted?.['promotedFrom'], 'default');
    assert.deepEqual(promoted?.['urls'], releaseUrls);
    assert.deepEqual(
      byEvent(releaseFeed, 'package.deleted').map((j) => j['urls']),
      [releaseUrls],
    );
    // The default feed's subscription takes every event, the release one only what it asked for.
    assert.deepEqual(
      defaultFeed.map((r) => r.json['event']).sort(),
      [
        'package.deprecated',
        'package.pushed',
        'package.pushed',
        'package.relisted',
        'package.undeprecated',
        'package.unlisted',
        'symbols.pushed',
      ].sort(),
    );
    // The package's URLs are the feed's own: the content URL serves the package (while it exists).
    const content = await server.get(new URL(symbolUrls.packageContent).pathname);
    assert.equal(content.statusCode, 200);

    // The delivery log says what happened; the audit log has the subscription.
    const log = parseJson(await request(server, 'GET', `/v3/admin/webhooks/${all['id']}/deliveries`));
    assert.equal(log['deliveries'].length, 7);
    for (const delivery of log['deliveries']) {
      assert.equal(delivery['status'], 'delivered');
      assert.equal(delivery['attempts'], 1);
      assert.equal(delivery['responseCode'], 204);
    }
    const audit = parseJson(await request(server, 'GET', '/v3/admin/audit'));
    assert.ok(
      audit['entries'].some(
        (e: JsonObject) => e['action'] === 'create-webhook' && e['outcome'] === 'success',
      ),
    );
  });

  test('a receiver that fails gets the event again with backoff, until it answers 2xx', async () => {
    const flaky = await startWebhookReceiver();
    try {
      flaky.answer = { status: 503 };
      const hook = await subscribe(server, '', { url: flaky.url, events: ['package.pushed'] });
      assert.equal(
        (await server.push(await buildNupkg({ id: 'Flaky.Receiver', version: '1.0.0' }))).statusCode,
        201,
      );
      await flaky.waitFor(2);
      const failing = parseJson(await request(server, 'GET', `/v3/admin/webhooks/${hook['id']}/deliveries`));
      const [pending] = failing['deliveries'];
      assert.equal(pending['status'], 'pending');
      assert.ok(pending['attempts'] >= 1);
      assert.equal(pending['responseCode'], 503);
      assert.match(pending['lastError'], /^HTTP 503: receiver says hello/);
      flaky.answer = { status: 200 };
      const seen = flaky.received.length;
      const deadline = Date.now() + 20_000;
      let delivered: JsonObject | undefined;
      while (Date.now() < deadline && !delivered) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const log = parseJson(await request(server, 'GET', `/v3/admin/webhooks/${hook['id']}/deliveries`));
        delivered = log['deliveries'].find((d: JsonObject) => d['status'] === 'delivered');
      }
      assert.ok(delivered, 'delivered once the receiver answers');
      assert.equal(delivered['responseCode'], 200);
      assert.ok(flaky.received.length > seen);
      // Every attempt carried the same delivery id and body: a receiver drops repeats by the id.
      assert.equal(new Set(flaky.received.map((r) => r.body)).size, 1);
      assert.equal((await request(server, 'DELETE', `/v3/admin/webhooks/${hook['id']}`)).statusCode, 204);
    } finally {
      await flaky.close();
    }
  });

  test('a refused or failed change sends nothing', async () => {
    const quiet = await startWebhookReceiver();
    try {
      const hook = await subscribe(server, '', { url: quiet.url, events: '*' });
      const nupkg = await buildNupkg({ id: 'Contoso.Hooks', version: '1.0.0' });
      assert.equal((await server.push(nupkg)).statusCode, 409);
      assert.equal((await server.push(nupkg, { key: 'wrong-key' })).statusCode, 403);
      assert.equal((await request(server, 'DELETE', '/v3/package/No.Such/1.0.0')).statusCode, 404);
      assert.equal(
        (await request(server, 'PUT', '/v3/admin/deprecations/No.Such/1.0.0', { reasons: ['Legacy'] }))
          .statusCode,
        404,
      );
      const ping = parseJson(await request(server, 'POST', `/v3/admin/webhooks/${hook['id']}/ping`));
      assert.equal(ping['delivered'], true);
      // The ping is the only thing it ever got.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(
        quiet.received.map((r) => r.json['event']),
        ['ping'],
      );
      assertSigned(quiet.received[0]!, hook['secret']);
      assert.deepEqual(quiet.received[0]!.json['urls'], { serviceIndex: `${publicUrl}/v3/index.json` });
      await request(server, 'DELETE', `/v3/admin/webhooks/${hook['id']}`);
    } finally {
      await quiet.close();
    }
  });

  test('a retention run reports each removal as package.removed-by-retention', async () => {
    const watcher = await startWebhookReceiver();
    try {
      const hook = await subscribe(server, '', {
        url: watcher.url,
        events: ['package.removed-by-retention'],
      });
      for (const version of ['0.1.0-ci.1', '0.1.0-ci.2'])
        assert.equal(
          (await server.push(await buildNupkg({ id: 'Old.Prerelease', version }))).statusCode,
          201,
        );
      // Keep the newest prerelease of each release line: the run deletes 0.1.0-ci.1 (docs/retention.md).
      const policy = { rules: [{ kind: 'keep-latest-prereleases', count: 1, action: 'delete' }] };
      const set = await request(server, 'PUT', '/v3/admin/retention', policy);
      assert.ok([200, 204].includes(set.statusCode), set.body);
      const run = await request(server, 'POST', '/v3/admin/retention/run', { dryRun: false });
      assert.equal(run.statusCode, 200, run.body);
      assert.equal((await request(server, 'DELETE', '/v3/admin/retention')).statusCode < 300, true);
      const [removed] = await watcher.waitFor(1);
      assertSigned(removed!, hook['secret']);
      assert.deepEqual(
        { ...removed!.json, deliveryId: undefined, time: undefined },
        {
          deliveryId: undefined,
          event: 'package.removed-by-retention',
          feed: 'default',
          id: 'Old.Prerelease',
          version: '0.1.0-ci.1',
          actor: { kind: 'system', name: 'retention' },
          time: undefined,
          urls: urlsOf(publicUrl, 'old.prerelease', '0.1.0-ci.1'),
          action: 'delete',
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(watcher.received.length, 1, 'the push was not asked for');
      await request(server, 'DELETE', `/v3/admin/webhooks/${hook['id']}`);
    } finally {
      await watcher.close();
    }
  });

  test('subscriptions are per feed and for admins only, and bad input is a 400 naming the problem', async () => {
    const hook = await subscribe(server, '', { url: receiver.url, events: 'package.pushed' });
    assert.equal(
      (await request(server, 'GET', `/feeds/release/v3/admin/webhooks/${hook['id']}`)).statusCode,
      404,
    );
    const { createApiKey } = await import('../../src/auth/manage-api-keys.ts');
    const { key } = await createApiKey(
      server.services,
      { actor: 'test', source: 'test' },
      { name: 'pusher', scopes: ['push'], packages: ['*'] },
    );
    const refused = await request(server, 'POST', '/v3/admin/webhooks', { url: receiver.url }, key);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /admin scope/);
    for (const [body, code] of [
      [{ url: 'ftp://example.com/hook' }, 'webhook_url_invalid'],
      [{ url: 'not a url' }, 'webhook_url_invalid'],
      [{ url: 'https://user:pw@example.com/hook' }, 'webhook_url_invalid'],
      [{ url: 'http://10.1.2.3/hook' }, 'webhook_address_not_allowed'],
      [{ url: 'http://[::1]:8080/hook' }, 'webhook_address_not_allowed'],
      [{ url: 'http://169.254.169.254/latest/meta-data/' }, 'webhook_address_not_allowed'],
      [{ url: 'https://example.com/hook', events: ['package.exploded'] }, 'webhook_event_unknown'],
      [{ url: 'https://example.com/hook', events: 7 }, 'webhook_invalid'],
      [{}, 'webhook_url_missing'],
    ] as const) {
      const response = await request(server, 'POST', '/v3/admin/webhooks', body);
      assert.equal(response.statusCode, 400, JSON.stringify(body));
      assert.equal(parseJson(response)['error']['code'], code, response.body);
    }
    const patched = await request(server, 'PATCH', `/v3/admin/webhooks/${hook['id']}`, { active: false });
    assert.equal(parseJson(patched)['active'], false);
    await request(server, 'DELETE', `/v3/admin/webhooks/${hook['id']}`);
    assert.equal((await request(server, 'GET', `/v3/admin/webhooks/${hook['id']}`)).statusCode, 404);
  });
});

describe('webhooks: where deliveries may go', () => {
  let server: TestFeed;
  let receiver: WebhookReceiver;
  let elsewhere: WebhookReceiver;

  before(async () => {
    receiver = await startWebhookReceiver();
    elsewhere = await startWebhookReceiver();
    // No --webhook-allowed-networks: loopback is refused, also behind a host name.
    server = await startFeed({ publicUrl });
  });
  after(async () => {
    await server.close();
    await receiver.close();
    await elsewhere.close();
  });

  test('a host name that resolves to an internal address is refused when sending', async () => {
    const hook = await subscribe(server, '', { url: `http://localhost:${receiver.port}/hook` });
    const ping = parseJson(await request(server, 'POST', `/v3/admin/webhooks/${hook['id']}/ping`));
    assert.equal(ping['delivered'], false);
    assert.match(ping['error'], /internal address.*--webhook-allowed-networks/);
    assert.equal(receiver.received.length, 0);
    const log = parseJson(await request(server, 'GET', `/v3/admin/webhooks/${hook['id']}/deliveries`));
    assert.equal(log['deliveries'][0]['status'], 'failed');
  });

  test('redirects are never followed', async () => {
    const open = await startFeed({ publicUrl, config: { webhookAllowedNetworks: '127.0.0.0/8' } });
    try {
      receiver.answer = { status: 307, headers: { location: elsewhere.url } };
      const hook = await subscribe(open, '', { url: receiver.url });
      const ping = parseJson(await request(open, 'POST', `/v3/admin/webhooks/${hook['id']}/ping`));
      assert.equal(ping['delivered'], false);
      assert.equal(ping['responseCode'], 307);
      assert.match(ping['error'], /redirects are not followed/);
      assert.equal(receiver.received.length, 1);
      assert.equal(elsewhere.received.length, 0);
    } finally {
      receiver.answer = { status: 204 };
      await open.close();
    }
  });

  test('--webhook-allowed-hosts limits the hosts a subscription may name', async () => {
    const strict = await startFeed({ config: { webhookAllowedHosts: '*.example.com,hooks.internal' } });
    try {
      const refused = await request(strict, 'POST', '/v3/admin/webhooks', { url: 'https://evil.test/hook' });
      assert.equal(refused.statusCode, 400);
      assert.match(refused.body, /not among the hosts.*--webhook-allowed-hosts/);
      assert.equal(
        (await request(strict, 'POST', '/v3/admin/webhooks', { url: 'https://ci.example.com/h' })).statusCode,
        201,
      );
      assert.equal(
        (await request(strict, 'POST', '/v3/admin/webhooks', { url: 'https://example.com.evil.test/h' }))
          .statusCode,
        400,
      );
    } finally {
      await strict.close();
    }
  });
});

describe('webhooks: the queue bound', () => {
  test('past the bound deliveries are dropped, shown in the log and the metrics, and can be redelivered', async () => {
    const receiver = await startWebhookReceiver();
    // No delivery worker: everything stays pending, as behind a dead receiver.
    const server = await startFeed({ config: { webhookAllowedNetworks: '127.0.0.1', webhookQueueLimit: 2 } });
    try {
      const hook = await subscribe(server, '', { url: receiver.url, events: ['package.pushed'] });
      for (const version of ['1.0.0', '1.0.1', '1.0.2']) {
        const pushed = await server.push(await buildNupkg({ id: 'Queue.Bound', version }));
        assert.equal(pushed.statusCode, 201, 'a full queue never fails a push');
      }
      const log = parseJson(await request(server, 'GET', `/v3/admin/webhooks/${hook['id']}/deliveries`));
      const statuses = log['deliveries']
        .map((d: JsonObject) => `${d['packageVersion']} ${d['status']}`)
        .sort();
      assert.deepEqual(statuses, ['1.0.0 pending', '1.0.1 pending', '1.0.2 dropped']);
      const dropped = log['deliveries'].find((d: JsonObject) => d['status'] === 'dropped');
      assert.match(dropped['lastError'], /2 pending deliveries \(--webhook-queue-limit\)/);

      const metrics = parsePrometheusText((await server.get('/metrics')).body);
      assert.equal(sampleValue(metrics, 'nugget_webhook_queue_depth'), 2);
      assert.equal(sampleValue(metrics, 'nugget_webhook_deliveries', { status: 'dropped' }), 1);
      assert.ok(sampleValue(metrics, 'nugget_webhook_oldest_pending_seconds') >= 0);

      const redelivered = parseJson(
        await request(server, 'POST', `/v3/admin/webhooks/${hook['id']}/redeliver`, {
          statuses: ['dropped'],
        }),
      );
      assert.equal(redelivered['redelivered'], 1);
      const pending = parseJson(
        await request(server, 'GET', `/v3/admin/webhooks/${hook['id']}/deliveries?status=pending`),
      );
      assert.equal(pending['deliveries'].length, 3);
      const bad = await request(server, 'GET', `/v3/admin/webhooks/${hook['id']}/deliveries?status=lost`);
      assert.equal(bad.statusCode, 400);
    } finally {
      await server.close();
      await receiver.close();
    }
  });
});
