// The webhook admin API of one feed (not part of NuGet's protocol; docs/webhooks.md, "Admin API"): keys with the
// admin scope on the feed manage its subscriptions, read the delivery log, ping and redeliver. Every change is
// audited, refusals included. A subscription of another feed is a 404 here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Requester } from '../../auth/manage-api-keys.ts';
import type { AuditAction } from '../../auth/ports.ts';
import { invalidInput } from '../../errors.ts';
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
import { baseUrlOf } from '../base-url.ts';
import { feedOf } from '../feed-of-request.ts';
import type { HttpServices } from '../http-services.ts';
import { audited, clientAddress, principalOf, requireAllowed, requireApiKey } from '../request-auth.ts';
import { jsonBody } from './admin.ts';

interface IdParams {
  id: string;
}

const example = '{"url": "https://ci.example.com/nuget-hook", "events": ["package.pushed"]}';

const fieldsOf = (body: unknown): Record<string, unknown> => {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw invalidInput('webhook_invalid', `Send a JSON object, e.g. ${example}.`);
  }
  return body as Record<string, unknown>;
};

function text(fields: Record<string, unknown>, name: string): string | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw invalidInput('webhook_invalid', `${name} must be a string, e.g. ${example}.`);
  return value;
}

function list(fields: Record<string, unknown>, name: string): string[] | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.split(',');
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  throw invalidInput('webhook_invalid', `${name} must be a list of strings, e.g. ${example}.`);
}

function flag(fields: Record<string, unknown>, name: string): boolean | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidInput('webhook_invalid', `${name} must be true or false.`);
  return value;
}

export function adminWebhookRoutes(app: FastifyInstance, services: HttpServices): void {
  const depsOf = (request: FastifyRequest): WebhookAdminDeps => ({
    webhooks: services.webhooks.store,
    audit: services.audit,
    clock: services.clock,
    destinations: services.webhooks.destinations,
    sender: services.webhooks.sender,
    userAgent: services.webhooks.userAgent,
    requireFeed: (name) => services.feeds.get(name),
    baseUrl: baseUrlOf(request, services.options),
  });
  const requesterOf = (request: FastifyRequest): Requester => {
    const principal = principalOf(request);
    return {
      actor: principal?.name ?? 'unknown key',
      keyId: principal?.keyId,
      source: clientAddress(request),
    };
  };
  // Checked before any body is read; a refusal is audited here, the handler audits what the change did.
  const authenticated = (action: AuditAction) => ({
    onRequest: async (request: FastifyRequest, reply: FastifyReply) =>
      audited(
        services,
        request,
        { action },
        async () => {
          const { name } = feedOf(request).feed;
          requireAllowed(
            await requireApiKey(request, reply, services, ['manage-webhooks'], name),
            'manage-webhooks',
            name,
          );
        },
        { onlyFailures: true },
      ),
  });
  // Reading is not itself audited; a refusal to read is.
  const reading = authenticated('update-webhook');

  app.get('/v3/admin/webhooks', reading, async (request) => ({
    webhooks: await services.webhooks.store.listSubscriptions(feedOf(request).feed.name),
  }));

  app.get<{ Params: IdParams }>('/v3/admin/webhooks/:id', reading, async (request) =>
    findWebhook(depsOf(request), request.params.id, feedOf(request).feed.name),
  );

  app.post(
    '/v3/admin/webhooks',
    { ...authenticated('create-webhook'), config: jsonBody },
    async (request, reply) => {
      const fields = fieldsOf(request.body);
      const url = text(fields, 'url');
      if (url === undefined)
        throw invalidInput('webhook_url_missing', `Give the URL to send to, e.g. ${example}.`);
      const { subscription, secret } = await addWebhook(depsOf(request), requesterOf(request), {
        feed: feedOf(request).feed.name,
        url,
        events: list(fields, 'events') ?? ['*'],
        description: text(fields, 'description'),
        active: flag(fields, 'active'),
      });
      // The only time the secret is shown: the receiver needs it to check signatures.
      return reply.code(201).send({ ...subscription, secret });
    },
  );

  app.patch<{ Params: IdParams }>(
    '/v3/admin/webhooks/:id',
    { ...authenticated('update-webhook'), config: jsonBody },
    async (request) => {
      const fields = fieldsOf(request.body);
      return updateWebhook(
        depsOf(request),
        requesterOf(request),
        request.params.id,
        {
          url: text(fields, 'url'),
          events: list(fields, 'events'),
          description: text(fields, 'description'),
          active: flag(fields, 'active'),
        },
        feedOf(request).feed.name,
      );
    },
  );

  app.delete<{ Params: IdParams }>(
    '/v3/admin/webhooks/:id',
    authenticated('delete-webhook'),
    async (request, reply) => {
      await removeWebhook(
        depsOf(request),
        requesterOf(request),
        request.params.id,
        feedOf(request).feed.name,
      );
      return reply.code(204).send();
    },
  );

  app.post<{ Params: IdParams }>(
    '/v3/admin/webhooks/:id/ping',
    authenticated('ping-webhook'),
    async (request) =>
      pingWebhook(depsOf(request), requesterOf(request), request.params.id, feedOf(request).feed.name),
  );

  app.get<{ Params: IdParams; Querystring: { status?: string; limit?: string } }>(
    '/v3/admin/webhooks/:id/deliveries',
    reading,
    async (request) => ({
      deliveries: await listWebhookDeliveries(
        depsOf(request),
        request.params.id,
        {
          status: request.query.status,
          limit: request.query.limit === undefined ? undefined : Number(request.query.limit),
        },
        feedOf(request).feed.name,
      ),
    }),
  );

  app.post<{ Params: IdParams }>(
    '/v3/admin/webhooks/:id/redeliver',
    { ...authenticated('redeliver-webhook'), config: jsonBody },
    async (request) => {
      const fields = fieldsOf(request.body);
      const redelivered = await redeliverWebhook(
        depsOf(request),
        requesterOf(request),
        request.params.id,
        { ids: list(fields, 'deliveries'), statuses: list(fields, 'statuses') },
        feedOf(request).feed.name,
      );
      return { redelivered };
    },
  );
}
