// A feed's retention policy and runs over HTTP (docs/retention.md), for a key with the admin scope on the feed:
// GET/PUT/DELETE /v3/admin/retention (the policy), POST /v3/admin/retention/run (a run; {"dryRun": true} plans
// only). Not part of NuGet's protocol. The run is the same use case as `nugget retention run`.
import { baseUrlOf } from '../base-url.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Requester } from '../../auth/manage-api-keys.ts';
import type { AuditAction } from '../../auth/ports.ts';
import { invalidInput } from '../../errors.ts';
import {
  removeRetentionPolicy,
  setRetentionPolicy,
  showRetentionPolicy,
} from '../../packages/manage-retention.ts';
import { runRetention } from '../../packages/run-retention.ts';
import { feedOf } from '../feed-of-request.ts';
import type { HttpServices } from '../http-services.ts';
import { audited, clientAddress, principalOf, requireAllowed, requireApiKey } from '../request-auth.ts';
import { jsonBody } from './admin.ts';

const requesterOf = (request: FastifyRequest): Requester => {
  const principal = principalOf(request);
  return { actor: principal?.name ?? 'unknown key', keyId: principal?.keyId, source: clientAddress(request) };
};

export function adminRetentionRoutes(app: FastifyInstance, services: HttpServices): void {
  // Key checks before any body is read; a refusal is audited here, a done change by its use case.
  const allowed = (auditAction: AuditAction | undefined) => ({
    onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
      const check = async () => {
        const { name } = feedOf(request).feed;
        requireAllowed(
          await requireApiKey(request, reply, services, ['manage-retention'], name),
          'manage-retention',
          name,
        );
      };
      if (auditAction === undefined) await check();
      else await audited(services, request, { action: auditAction }, check, { onlyFailures: true });
    },
  });
  const deps = (request: FastifyRequest) => ({
    feed: feedOf(request).feed,
    policies: services.retention.policies,
    audit: services.audit,
    clock: services.clock,
  });

  app.get('/v3/admin/retention', allowed(undefined), async (request) => {
    const stored = await showRetentionPolicy(deps(request));
    return { ...stored.policy, updated: stored.updated, updatedBy: stored.updatedBy };
  });

  app.put(
    '/v3/admin/retention',
    { ...allowed('set-retention-policy'), config: jsonBody },
    async (request) => {
      const stored = await setRetentionPolicy(deps(request), requesterOf(request), request.body);
      return { ...stored.policy, updated: stored.updated, updatedBy: stored.updatedBy };
    },
  );

  app.delete('/v3/admin/retention', allowed('remove-retention-policy'), async (request, reply) => {
    await removeRetentionPolicy(deps(request), requesterOf(request));
    return reply.code(204).send();
  });

  app.post('/v3/admin/retention/run', { ...allowed('run-retention'), config: jsonBody }, async (request) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (body['dryRun'] !== undefined && typeof body['dryRun'] !== 'boolean') {
      throw invalidInput(
        'retention_run_invalid',
        'dryRun: give true (only plan) or false (carry the plan out).',
      );
    }
    const { feed, stores } = feedOf(request);
    return runRetention(
      {
        feed,
        stores,
        blobs: services.blobs,
        audit: services.audit,
        clock: services.clock,
        ...services.retention,
        baseUrl: baseUrlOf(request, services.options),
      },
      requesterOf(request),
      { dryRun: body['dryRun'] === true },
    );
  });
}
