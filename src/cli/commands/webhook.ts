// `nugget webhook add|list|show|update|remove|ping|deliveries|redeliver` (docs/webhooks.md): a feed's webhook
// subscriptions and their delivery log, on the configured storage directly, also while servers run (every node's
// delivery worker sees a change at its next look at the queue). The same operations are on the admin API.
import type { Command } from 'commander';
import type { Requester } from '../../auth/manage-api-keys.ts';
import type { Nugget } from '../../compose.ts';
import { addConfigOptions } from '../../config/config.ts';
import { withFeed } from '../open-feed.ts';
import {
  addWebhook,
  findWebhook,
  listWebhookDeliveries,
  pingWebhook,
  redeliverWebhook,
  removeWebhook,
  updateWebhook,
  type WebhookAdminDeps,
} from '../../packages/manage-webhooks.ts';
import type { WebhookDelivery, WebhookSubscription } from '../../packages/ports.ts';
import { webhookEventTypes } from '../../packages/webhook-event.ts';

const cli: Requester = { actor: 'cli', source: 'cli' };

const adminDeps = ({ services, feeds }: Nugget): WebhookAdminDeps => ({
  webhooks: services.webhooks.store,
  audit: services.audit,
  clock: services.clock,
  destinations: services.webhooks.destinations,
  sender: services.webhooks.sender,
  userAgent: services.webhooks.userAgent,
  requireFeed: (name) => feeds.get(name),
  baseUrl: services.options.publicUrl,
});

function describe(subscription: WebhookSubscription): string {
  return [
    `${subscription.id}: ${subscription.url}${subscription.active ? '' : ' (inactive)'}`,
    `  feed     ${subscription.feed}`,
    `  events   ${subscription.events.join(',')}`,
    ...(subscription.description ? [`  about    ${subscription.description}`] : []),
    `  created  ${subscription.created} by ${subscription.createdBy}`,
    ...(subscription.failures > 0
      ? [
          `  failing  ${subscription.failures} rounds in a row; next try after ${subscription.pausedUntil ?? 'now'}`,
        ]
      : []),
  ].join('\n');
}

function describeDelivery(delivery: WebhookDelivery): string {
  const pkg =
    delivery.packageId === undefined ? '' : ` ${delivery.packageId} ${delivery.packageVersion ?? ''}`;
  const answer = delivery.responseCode === undefined ? '' : ` HTTP ${delivery.responseCode}`;
  const next = delivery.nextAttempt === undefined ? '' : `, next attempt ${delivery.nextAttempt}`;
  const error =
    delivery.lastError === undefined || delivery.status === 'delivered' ? '' : `\n    ${delivery.lastError}`;
  return (
    `${delivery.id}  ${delivery.created}  ${delivery.event}${pkg}  ${delivery.status}` +
    ` (${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'}${answer}${next})${error}`
  );
}

const text = (flags: Record<string, unknown>, name: string): string | undefined =>
  typeof flags[name] === 'string' ? flags[name] : undefined;

function activeFlag(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (['true', 'yes', 'on'].includes(value)) return true;
  if (['false', 'no', 'off'].includes(value)) return false;
  throw new Error(`--active takes true or false, not '${value}'`);
}

export function webhookCommand(program: Command): void {
  const webhook = program
    .command('webhook')
    .description("a feed's webhooks: HTTP requests nugget sends when packages change (docs/webhooks.md)");
  const command = (name: string, description: string) =>
    addConfigOptions(webhook.command(name).description(description), 'webhook');

  command('add', 'add a webhook subscription; prints its secret once')
    .requiredOption('--feed <name>', 'the feed whose events it gets')
    .requiredOption('--url <url>', 'the http(s) URL to POST each event to')
    .option('--events <events>', `* or comma-separated: ${webhookEventTypes.join(', ')}`, '*')
    .option('--description <text>', 'what it is for')
    .option('--inactive', 'add it without sending anything yet')
    .action(async (flags: Record<string, unknown>) => {
      await withFeed(flags, async (nugget) => {
        const { subscription, secret } = await addWebhook(adminDeps(nugget), cli, {
          feed: String(flags['feed']),
          url: String(flags['url']),
          events: String(flags['events']),
          description: text(flags, 'description'),
          active: flags['inactive'] !== true,
        });
        console.log(`Added webhook ${subscription.id}.\n${describe(subscription)}`);
        console.log(`Secret (shown only now; the receiver checks signatures with it):\n${secret}`);
      });
    });

  command('list', 'list webhook subscriptions (never their secrets)')
    .option('--feed <name>', "only this feed's")
    .option('--json', 'print JSON')
    .action(async (flags: Record<string, unknown>) => {
      await withFeed(flags, async (nugget) => {
        const subscriptions = await nugget.services.webhooks.store.listSubscriptions(text(flags, 'feed'));
        if (flags['json']) console.log(JSON.stringify(subscriptions, null, 2));
        else if (subscriptions.length === 0)
          console.log('No webhooks. Add one with: nugget webhook add --feed <name> --url <url>');
        else console.log(subscriptions.map(describe).join('\n\n'));
      });
    });

  command('show', 'show a webhook subscription')
    .argument('<id>')
    .action(async (id: string, flags: Record<string, unknown>) => {
      await withFeed(flags, async (nugget) =>
        console.log(describe(await findWebhook(adminDeps(nugget), id))),
      );
    });

  command('update', 'change a webhook subscription')
    .argument('<id>')
    .option('--url <url>', 'a new URL')
    .option('--events <events>', '* or comma-separated event types')
    .option('--description <text>', 'a new description')
    .option('--active <true|false>', 'send events (true) or hold them (false)')
    .action(async (id: string, flags: Record<string, unknown>) => {
      await withFeed(flags, async (nugget) => {
        const updated = await updateWebhook(adminDeps(nugget), cli, id, {
          url: text(flags, 'url'),
          events: text(flags, 'events'),
          description: text(flags, 'description'),
          active: activeFlag(text(flags, 'active')),
        });
        console.log(`Updated webhook ${updated.id}.\n${describe(updated)}`);
      });
    });

  command('remove', 'remove a webhook subscription and its delivery log')
    .argument('<id>')
    .action(async (id: string, flags: Record<string, unknown>) => {
      await withFeed(flags, async (nugget) => {
        const removed = await removeWebhook(adminDeps(nugget), cli, id);
        console.log(`Removed webhook ${removed.id} (${removed.url}).`);
      });
    });

  command('ping', 'send a signed test event now and print the answer')
    .argument('<id>')
    .action(async (id: string, flags: Record<string, unknown>) => {
      await withFeed(flags, async (nugget) => {
        const result = await pingWebhook(adminDeps(nugget), cli, id);
        if (result.delivered)
          console.log(`Delivered ping ${result.deliveryId}: HTTP ${result.responseCode}.`);
        else {
          console.log(`Ping ${result.deliveryId} failed: ${result.error}`);
          process.exitCode = 1;
        }
      });
    });

  command('deliveries', 'the delivery log of a webhook, newest first')
    .argument('<id>')
    .option('--status <status>', 'only pending, delivered, failed or dropped ones')
    .option('--limit <count>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: Record<string, unknown>) => {
      await withFeed(flags, async (nugget) => {
        const deliveries = await listWebhookDeliveries(adminDeps(nugget), id, {
          status: text(flags, 'status'),
          limit: Number(flags['limit']),
        });
        if (flags['json']) console.log(JSON.stringify(deliveries, null, 2));
        else if (deliveries.length === 0) console.log('No deliveries.');
        else console.log(deliveries.map(describeDelivery).join('\n'));
      });
    });

  command('redeliver', 'send deliveries again: the ones named, or all failed and dropped ones')
    .argument('<id>')
    .argument('[deliveries...]', 'delivery ids (nugget webhook deliveries); none: by --status')
    .option('--status <statuses>', 'comma-separated statuses to send again', 'failed,dropped')
    .action(async (id: string, deliveries: string[], flags: Record<string, unknown>) => {
      await withFeed(flags, async (nugget) => {
        const count = await redeliverWebhook(adminDeps(nugget), cli, id, {
          ids: deliveries,
          statuses: String(flags['status']).split(','),
        });
        console.log(`${count} deliver${count === 1 ? 'y' : 'ies'} of ${id} will be sent again.`);
      });
    });
}
