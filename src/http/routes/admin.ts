// Admin API of one feed (not part of NuGet's protocol), for keys with the admin scope on it (docs/security.md):
// deprecations (../shared/spec/nuget-api/registration-base-url-resource.md, "Package deprecation"), the
// vulnerability advisories behind VulnerabilityInfo and the feed's audit log. Documented in docs/deprecation.md,
// docs/vulnerabilities.md and docs/security.md. The server-wide admin API (feeds, promotion) is admin-feeds.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { deprecatePackage, parseDeprecation } from '../../packages/deprecate-package.ts';
import { importVulnerabilities } from '../../packages/import-vulnerabilities.ts';
import { feedOf } from '../feed-of-request.ts';
import type { HttpServices } from '../http-services.ts';
import type { Action } from '../../auth/authorize.ts';
import { parseSince } from '../../auth/expiry.ts';
import type { AuditAction } from '../../auth/ports.ts';
import { invalidInput } from '../../errors.ts';
import { type AuditNote, audited, eventOriginOf, requireAllowed, requireApiKey } from '../request-auth.ts';

interface VersionParams {
  id: string;
  /** A version, a range such as '[1.0.0, 2.0.0)' (URL-encoded), or '*'. */
  version: string;
}

/** An advisory file of every NuGet advisory GitHub knows is a few MB; the default 1 MB body limit is too small. */
const maxAdvisoryFileBytes = 64 * 1024 * 1024;

/** The admin APIs read JSON bodies only (request-guards.ts refuses any other body unread). */
export const jsonBody = { requestBody: { mediaTypes: ['application/json'] } };

export function adminRoutes(app: FastifyInstance, services: HttpServices): void {
  const noteOf = (request: FastifyRequest, action: AuditAction): AuditNote => {
    const params = request.params as Partial<VersionParams>;
    return { action, packageId: params.id, version: params.version };
  };
  // Checked before the body is read: an unauthenticated caller gets 401/403, never a parse of its upload. A
  // refusal is audited here; the handler audits what the write itself did.
  const authenticated = (action: Action, auditAction: AuditAction) => ({
    onRequest: async (request: FastifyRequest, reply: FastifyReply) =>
      audited(
        services,
        request,
        noteOf(request, auditAction),
        async () => {
          const { name } = feedOf(request).feed;
          const principal = await requireApiKey(request, reply, services, [action], name);
          requireAllowed(principal, action, name, (request.params as Partial<VersionParams>).id);
        },
        { onlyFailures: true },
      ),
  });

  app.put<{ Params: VersionParams }>(
    '/v3/admin/deprecations/:id/:version',
    { ...authenticated('deprecate', 'deprecate'), config: jsonBody },
    async (request, reply) => {
      await audited(services, request, noteOf(request, 'deprecate'), async (note) => {
        const deprecation = parseDeprecation(request.body);
        const result = await deprecatePackage(feedOf(request).stores, {
          id: request.params.id,
          versions: request.params.version,
          deprecation,
          origin: eventOriginOf(request, services),
        });
        note.detail = { ...result };
        request.log.info({ id: request.params.id, ...result }, 'package deprecated');
      });
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: VersionParams }>(
    '/v3/admin/deprecations/:id/:version',
    authenticated('deprecate', 'undeprecate'),
    async (request, reply) => {
      await audited(services, request, noteOf(request, 'undeprecate'), async (note) => {
        const result = await deprecatePackage(feedOf(request).stores, {
          id: request.params.id,
          versions: request.params.version,
          deprecation: undefined,
          origin: eventOriginOf(request, services),
        });
        note.detail = { ...result };
        request.log.info({ id: request.params.id, ...result }, 'package undeprecated');
      });
      return reply.code(204).send();
    },
  );

  app.put<{ Querystring: { replace?: string } }>(
    '/v3/admin/vulnerabilities',
    {
      ...authenticated('import-vulnerabilities', 'import-vulnerabilities'),
      bodyLimit: maxAdvisoryFileBytes,
      config: jsonBody,
    },
    async (request, reply) => {
      const summary = await audited(services, request, { action: 'import-vulnerabilities' }, async (note) => {
        const replace = ['true', '1'].includes(String(request.query.replace ?? '').toLowerCase());
        const summary = await importVulnerabilities(feedOf(request).stores, {
          document: request.body,
          replace,
        });
        note.detail = { ...summary, replace };
        request.log.info({ ...summary, replace }, 'vulnerability advisories imported');
        return summary;
      });
      return reply.code(200).send(summary);
    },
  );

  // The feed's audit log, newest first (docs/security.md, "Audit log"). Reading it is not itself audited.
  app.get<{ Querystring: AuditQuery }>(
    '/v3/admin/audit',
    {
      onRequest: async (request, reply) => {
        const { name } = feedOf(request).feed;
        const principal = await requireApiKey(request, reply, services, ['read-audit-log'], name);
        requireAllowed(principal, 'read-audit-log', name);
      },
    },
    async (request) => ({
      entries: await services.audit.list({
        ...parseAuditQuery(request.query, services.clock.now()),
        feed: feedOf(request).feed.name,
      }),
    }),
  );
}

export interface AuditQuery {
  since?: string;
  limit?: string;
}

export function parseAuditQuery(query: AuditQuery, now: Date): { since: Date | undefined; limit: number } {
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw invalidInput(
      'limit_invalid',
      `limit must be a whole number from 1 to 10000, not '${query.limit}'.`,
    );
  }
  return { since: query.since === undefined ? undefined : parseSince(query.since, now), limit };
}
