// Webhooks with the real `nugget` process (docs/webhooks.md): events recorded while the receiver is down, also by
// a command run while the server is stopped, arrive once the receiver is back and the server has restarted; the
// secret printed once by `nugget webhook add` checks every signature; `webhook deliveries`, `ping` and
// `redeliver` work on the command line.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { freePort, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { verifyWebhook } from '../../src/packages/webhook-signature.ts';
import {
  createWorkspace,
  describeResult,
  type FeedServer,
  pushNupkg,
  runCommand,
  startFeed,
  unlistVersion,
  type Workspace,
} from './harness.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const webhookFlags = [
  '--webhook-allowed-networks',
  '127.0.0.1',
  '--webhook-retry-min',
  '200ms',
  '--webhook-retry-max',
  '1s',
];

describe('webhooks across a receiver outage and a server restart', () => {
  let workspace: Workspace;
  let server: FeedServer | undefined;
  let receiver: WebhookReceiver | undefined;
  let dataDir: string;
  let port: number;

  const nugget = async (args: readonly string[]) => {
    const result = await runCommand(
      process.execPath,
      [
        'bin/nugget.js',
        ...args,
        '--data-dir',
        dataDir,
        // `nugget webhook` checks and pings URLs: it takes the destination rules the server has.
        ...(args[0] === 'webhook' ? webhookFlags.slice(0, 2) : []),
      ],
      { cwd: repoRoot, env: { ...process.env }, timeoutMs: 60_000 },
    );
    assert.equal(result.code, 0, describeResult(result));
    return result.stdout;
  };
  const start = () =>
    startFeed(workspace, {
      entry: 'bin/nugget.js',
      dataDir,
      extraArgs: webhookFlags,
      apiKey: 'e2e-webhooks-key',
    });

  before(async () => {
    workspace = await createWorkspace('nugget-webhooks-');
    dataDir = await workspace.makeDir('feed-data');
    port = await freePort();
  });
  after(async () => {
    await server?.stop();
    await receiver?.close();
    await workspace.dispose();
  });

  test('queued events arrive after the receiver comes back, also across a restart', async () => {
    server = await start();
    // URLs are those of the request that made the change (this server's), not of the server that sends it.
    const firstIndexUrl = server.serviceIndexUrl;
    const added = await nugget([
      'webhook',
      'add',
      '--feed',
      'default',
      '--url',
      `http://127.0.0.1:${port}/hook`,
      '--description',
      'e2e',
    ]);
    const id = /Added webhook (wh_\S+)\./.exec(added)?.[1];
    const secret = /(whsec_\S+)/.exec(added)?.[1];
    assert.ok(id && secret, added);
    assert.doesNotMatch(await nugget(['webhook', 'list']), /whsec_/);

    // The receiver is down: pushes answer at once, and the deliveries wait (and are retried).
    await pushNupkg(server, await buildNupkg({ id: 'Outage.One', version: '1.0.0' }));
    await pushNupkg(server, await buildNupkg({ id: 'Outage.Two', version: '2.0.0' }));
    await unlistVersion(server, 'Outage.One', '1.0.0');
    const deadline = Date.now() + 20_000;
    let log = '';
    while (Date.now() < deadline && !/attempt[^\n]*ECONNREFUSED/.test(log)) {
      log = await nugget(['webhook', 'deliveries', id]);
    }
    assert.match(log, /package\.pushed Outage\.One 1\.0\.0 {2}pending \(\d+ attempts?/);
    assert.match(log, /ECONNREFUSED/);
    await server.stop();

    // With the server stopped, a command line change is queued too.
    await nugget(['deprecate', 'Outage.Two', '2.0.0', '--reason', 'Legacy']);

    receiver = await startWebhookReceiver({ port });
    server = await start();
    const received = await receiver.waitFor(4, 60_000);
    const events = received.map((r) => `${r.json['event']} ${r.json['id']} ${r.json['version']}`).sort();
    assert.deepEqual(events, [
      'package.deprecated Outage.Two 2.0.0',
      'package.pushed Outage.One 1.0.0',
      'package.pushed Outage.Two 2.0.0',
      'package.unlisted Outage.One 1.0.0',
    ]);
    for (const webhook of received) {
      const headers = {
        timestamp: webhook.headers['x-nugget-webhook-timestamp'] as string,
        signature: webhook.headers['x-nugget-webhook-signature'] as string,
      };
      assert.equal(verifyWebhook(secret, headers, webhook.body, new Date()), 'valid');
    }
    const deprecated = received.find((r) => r.json['event'] === 'package.deprecated');
    assert.deepEqual(deprecated?.json['actor'], { kind: 'cli', name: 'cli' });
    const pushed = received.find((r) => r.json['event'] === 'package.pushed');
    assert.equal(pushed?.json['urls']['serviceIndex'], firstIndexUrl);

    const delivered = JSON.parse(await nugget(['webhook', 'deliveries', id, '--json'])) as {
      id: string;
      status: string;
    }[];
    assert.deepEqual(
      delivered.map((d) => d.status),
      ['delivered', 'delivered', 'delivered', 'delivered'],
    );

    // A redelivery sends the same delivery (same id and body) again.
    const again = delivered[0]!.id;
    assert.match(
      await nugget(['webhook', 'redeliver', id, again]),
      /^1 delivery of wh_\S+ will be sent again\./,
    );
    const [redelivered] = (await receiver.waitFor(5, 30_000)).slice(4);
    assert.equal(redelivered?.json['deliveryId'], again);
    assert.match(await nugget(['webhook', 'ping', id]), /^Delivered ping \S+: HTTP 204\./);
    assert.equal(receiver.received.at(-1)?.json['event'], 'ping');
    assert.match(await nugget(['webhook', 'remove', id]), /^Removed webhook/);
  });
});
