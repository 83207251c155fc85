// Admin API of this feed (not part of NuGet's protocol), for keys with the admin scope (docs/security.md):
// deprecations (../shared/spec/nuget-api/registration-base-url-resource.md, "Package deprecation") and the
// vulnerability advisories behind VulnerabilityInfo. Documented in docs/deprecation.md and docs/vulnerabilities.md.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { deprecatePackage, parseDeprecation } from '../../packages/deprecate-package.ts';
import { importVulnerabilities } from '../../packages/import-vulnerabilities.ts';
import type { Feed } from '../feed.ts';
import type { Action } from '../../auth/authorize.ts';
import { parseSince } from '../../auth/expiry.ts';
import type { AuditAction } from '../../auth/ports.ts';
import { invalidInput } from '../../errors.ts';
import { type AuditNote, audited, requireAllowed, requireApiKey } from '../request-auth.ts';

interface VersionParams {
  id: string;
  /** A version, a range such as '[1.0.0, 2.0.0)' (URL-encoded), or '*'. */
  version: string;
}

/** An advisory file of every NuGet advisory GitHub knows is a few MB; the default 1 MB body limit is too small. */
const maxAdvisoryFileBytes = 64 * 1024 * 1024;

export function adminRoutes(app: FastifyInstance, feed: Feed): void {
  const noteOf = (request: FastifyRequest, action: AuditAction): AuditNote => {
    const params = request.params as Partial<VersionParams>;
    return { action, packageId: params.id, version: params.version };
  };
  // Checked before the body is read: an unauthenticated caller gets 401/403, never a parse of its upload. A
  // refusal is audited here; the handler audits what the write itself did.
  const jsonBody = { requestBody: { mediaTypes: ['application/json'] } };
  const authenticated = (action: Action, auditAction: AuditAction) => ({
    onRequest: async (request: FastifyRequest, reply: FastifyReply) =>
      audited(
        feed,
        request,
        noteOf(request, auditAction),
        async () => {
          const principal = await requireApiKey(request, reply, feed, [action]);
          requireAllowed(principal, action, (request.params as Partial<VersionParams>).id);
        },
        { onlyFailures: true },
      ),
  });

  app.put<{ Params: VersionParams }>(
    '/v3/admin/deprecations/:id/:version',
    { ...authenticated('deprecate', 'deprecate'), config: jsonBody },
    async (request, reply) => {
      await audited(feed, request, noteOf(request, 'deprecate'), async (note) => {
        const deprecation = parseDeprecation(request.body);
        const result = await deprecatePackage(feed, {
          id: request.params.id,
          versions: request.params.version,
          deprecation,
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
      await audited(feed, request, noteOf(request, 'undeprecate'), async (note) => {
        const result = await deprecatePackage(feed, {
          id: request.params.id,
          versions: request.params.version,
          deprecation: undefined,
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
      const summary = await audited(feed, request, { action: 'import-vulnerabilities' }, async (note) => {
        const replace = ['true', '1'].includes(String(request.query.replace ?? '').toLowerCase());
        const summary = await importVulnerabilities(feed, { document: request.body, replace });
        note.detail = { ...summary, replace };
        request.log.info({ ...summary, replace }, 'vulnerability advisories imported');
        return summary;
      });
      return reply.code(200).send(summary);
    },
  );

  // The audit log, newest first (docs/security.md, "Audit log"). Reading it is not itself audited.
  app.get<{ Querystring: { since?: string; limit?: string } }>(
    '/v3/admin/audit',
    {
      onRequest: async (request, reply) => {
        requireAllowed(await requireApiKey(request, reply, feed, ['read-audit-log']), 'read-audit-log');
      },
    },
    async (request) => {
      const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
        throw invalidInput(
          'limit_invalid',
          `limit must be a whole number from 1 to 10000, not '${request.query.limit}'.`,
        );
      }
      const since =
        request.query.since === undefined ? undefined : parseSince(request.query.since, feed.clock.now());
      return { entries: await feed.audit.list({ since, limit }) };
    },
  );
}
