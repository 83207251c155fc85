// The server-wide admin API (not part of NuGet's protocol), docs/feeds.md: managing feeds, which needs the admin
// scope on a key valid for every feed; promoting a version from one feed to another, which needs the push scope
// on both feeds; and the audit log of every feed. Every change is audited, refusals included.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Requester } from '../../auth/manage-api-keys.ts';
import type { AuditAction } from '../../auth/ports.ts';
import { parseFeedChange } from '../../config/feed-settings.ts';
import { invalidInput } from '../../errors.ts';
import { createFeed, deleteFeed, listFeeds, showFeed, updateFeed } from '../../packages/manage-feeds.ts';
import { promotePackage } from '../../packages/promote-package.ts';
import type { HttpServices } from '../http-services.ts';
import { audited, clientAddress, principalOf, requireAllowed, requireApiKey } from '../request-auth.ts';
import { type AuditQuery, jsonBody, parseAuditQuery } from './admin.ts';

interface NameParams {
  name: string;
}

const requesterOf = (request: FastifyRequest): Requester => {
  const principal = principalOf(request);
  return { actor: principal?.name ?? 'unknown key', keyId: principal?.keyId, source: clientAddress(request) };
};

function text(body: unknown, field: string): string {
  const value = (body as Record<string, unknown> | null | undefined)?.[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidInput(
      'promotion_invalid',
      `Give '${field}' in the JSON body, e.g. {"id": "Contoso.Core", ` +
        '"version": "1.0.0", "from": "ci", "to": "release"}.',
    );
  }
  return value.trim();
}

export function adminFeedRoutes(app: FastifyInstance, services: HttpServices): void {
  const deps = {
    feeds: services.feedStore,
    directory: services.feeds,
    blobs: services.blobs,
    audit: services.audit,
    clock: services.clock,
  };
  // Key checks before the body is read; a refused change is audited here (the use case audits a done one).
  const manage = (auditAction: AuditAction) => ({
    onRequest: async (request: FastifyRequest, reply: FastifyReply) =>
      audited(
        services,
        request,
        { action: auditAction, feed: (request.params as Partial<NameParams>).name },
        async () => {
          const principal = await requireApiKey(request, reply, services, ['manage-feeds'], undefined);
          requireAllowed(principal, 'manage-feeds', undefined);
        },
        { onlyFailures: true },
      ),
  });
  const reading = {
    onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
      const principal = await requireApiKey(request, reply, services, ['manage-feeds'], undefined);
      requireAllowed(principal, 'manage-feeds', undefined);
    },
  };

  app.get('/admin/feeds', reading, async () => ({ feeds: await listFeeds(deps) }));

  // What `nugget upstream status --json` prints, with this node's own breakers (docs/upstreams.md).
  app.get('/admin/upstreams', reading, async () => ({
    upstreams: (await services.upstreamReport?.()) ?? [],
  }));

  app.get<{ Params: NameParams }>('/admin/feeds/:name', reading, async (request) =>
    showFeed(deps, request.params.name),
  );

  // PUT creates: the name is the resource's own; creating it twice is 409.
  app.put<{ Params: NameParams }>(
    '/admin/feeds/:name',
    { ...manage('create-feed'), config: jsonBody },
    async (request, reply) => {
      const change = parseFeedChange(request.body);
      const feed = await createFeed(deps, requesterOf(request), { name: request.params.name, ...change });
      return reply.code(201).send(feed);
    },
  );

  app.patch<{ Params: NameParams }>(
    '/admin/feeds/:name',
    { ...manage('update-feed'), config: jsonBody },
    async (request) =>
      updateFeed(deps, requesterOf(request), request.params.name, parseFeedChange(request.body)),
  );

  app.delete<{ Params: NameParams; Querystring: { force?: string } }>(
    '/admin/feeds/:name',
    manage('delete-feed'),
    async (request) => {
      const force = ['true', '1'].includes(String(request.query.force ?? '').toLowerCase());
      return deleteFeed(deps, requesterOf(request), request.params.name, { force });
    },
  );

  // Promotion: one audited action; 201 with what was promoted, 409 when the target has the version already.
  app.post('/admin/promote', { config: jsonBody }, async (request, reply) => {
    const result = await audited(services, request, { action: 'promote' }, async (note) => {
      const id = text(request.body, 'id');
      const version = text(request.body, 'version');
      const fromName = text(request.body, 'from');
      const toName = text(request.body, 'to');
      Object.assign(note, { packageId: id, version, feed: toName, detail: { from: fromName, to: toName } });
      const principal = await requireApiKey(request, reply, services, ['promote'], toName);
      requireAllowed(principal, 'promote', fromName, id);
      requireAllowed(principal, 'promote', toName, id);
      const from = await services.feeds.get(fromName);
      const to = await services.feeds.get(toName);
      return promotePackage({ from, to, blobs: services.blobs, clock: services.clock }, { id, version });
    });
    request.log.info(result, 'package promoted');
    return reply.code(201).send(result);
  });

  // Every feed's audit log, and server-wide entries (API keys), newest first.
  app.get<{ Querystring: AuditQuery }>(
    '/admin/audit',
    {
      onRequest: async (request, reply) => {
        const principal = await requireApiKey(request, reply, services, ['read-audit-log'], undefined);
        requireAllowed(principal, 'read-audit-log', undefined);
      },
    },
    async (request) => ({
      entries: await services.audit.list(parseAuditQuery(request.query, services.clock.now())),
    }),
  );
}
