// The admin API of trusted publishing's policies (docs/trusted-publishing.md), beside /admin/feeds: keys with the
// admin scope manage the policies of the feeds they are valid for. Creating and removing a policy are audited,
// refusals included.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasScope, parseScopes } from '../../auth/api-key-scope.ts';
import { validForFeed, type Principal } from '../../auth/authorize.ts';
import { parseIdPatterns } from '../../auth/id-pattern.ts';
import type { Requester } from '../../auth/manage-api-keys.ts';
import {
  createTrustPolicy,
  listTrustPolicies,
  removeTrustPolicy,
  showTrustPolicy,
  type TrustPolicyAdminDeps,
} from '../../auth/manage-trust-policies.ts';
import { parsePinnedIds, type TrustPolicy, type TrustPolicyKind } from '../../auth/trust-policy.ts';
import { forbidden, invalidInput } from '../../errors.ts';
import type { HttpServices } from '../http-services.ts';
import { jsonBody } from './admin.ts';
import { audited, clientAddress, requireAllowed, requireApiKey } from '../request-auth.ts';

interface IdParams {
  id: string;
}

const fieldsOf = (body: unknown): Record<string, unknown> => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidInput(
      'trust_policy_invalid',
      'Send the policy as a JSON object, e.g. {"feed": "default", "user": "ci", "kind": "github", ' +
        '"repositoryOwner": "contoso", "repository": "lib", "workflow": "release.yml", "scopes": ["push-new", "push"]}.',
    );
  }
  return body as Record<string, unknown>;
};

const textField = (fields: Record<string, unknown>, name: string): string | undefined => {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  if (typeof value !== 'string') throw invalidInput('trust_policy_invalid', `${name} must be a string.`);
  return value;
};

/** A list given as a JSON array or as comma-separated text. */
const listField = (fields: Record<string, unknown>, name: string): string => {
  const value = fields[name];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(',');
  return textField(fields, name) ?? '';
};

export function adminTrustRoutes(app: FastifyInstance, services: HttpServices): void {
  const deps: TrustPolicyAdminDeps = {
    policies: services.trust.policies,
    apiKeys: services.apiKeys,
    audit: services.audit,
    clock: services.clock,
    issuers: services.trust.issuers,
    requireFeed: (name) => services.feeds.get(name),
  };

  /** Any key with the admin scope may ask; which feeds it may manage is checked per policy. */
  const admin = async (request: FastifyRequest, reply: FastifyReply): Promise<Principal> => {
    const principal = await requireApiKey(request, reply, services, [], undefined);
    if (!hasScope(principal.scopes, 'admin')) {
      throw forbidden(
        'api_key_out_of_scope',
        `key '${principal.name}' may not manage trust policies: that needs the admin scope, and it has ` +
          `${principal.scopes.join(', ') || 'none'}.`,
      );
    }
    return principal;
  };
  const requesterOf = (request: FastifyRequest, principal: Principal): Requester => ({
    actor: principal.name,
    keyId: principal.keyId,
    source: clientAddress(request),
  });
  const view = (policy: TrustPolicy) => policy;

  app.get<{ Querystring: { feed?: string } }>('/admin/trust-policies', async (request, reply) => {
    const principal = await admin(request, reply);
    const feed = request.query.feed;
    if (feed !== undefined) requireAllowed(principal, 'manage-trust-policies', feed);
    const policies = await listTrustPolicies(deps, feed);
    return { policies: policies.filter((policy) => validForFeed(principal, policy.feed)).map(view) };
  });

  app.get<{ Params: IdParams }>('/admin/trust-policies/:id', async (request, reply) => {
    const principal = await admin(request, reply);
    const policy = await showTrustPolicy(deps, request.params.id);
    requireAllowed(principal, 'manage-trust-policies', policy.feed);
    return view(policy);
  });

  // The key is checked before the body is read (request-guards.ts); which feed it may manage, after.
  const adminFirst = {
    onRequest: async (request: FastifyRequest, reply: FastifyReply) =>
      audited(services, request, { action: 'create-trust-policy' }, () => admin(request, reply), {
        onlyFailures: true,
      }),
    config: jsonBody,
  };

  app.post('/admin/trust-policies', adminFirst, async (request, reply) => {
    const created = await audited(
      services,
      request,
      { action: 'create-trust-policy' },
      async (note) => {
        const principal = await admin(request, reply);
        const fields = fieldsOf(request.body);
        const feed = textField(fields, 'feed') ?? '';
        note.feed = feed || undefined;
        requireAllowed(principal, 'manage-trust-policies', feed);
        const kind = textField(fields, 'kind');
        const pinnedNames =
          kind === 'gitlab'
            ? { namespace_id: 'namespaceId', project_id: 'projectId' }
            : { repository_owner_id: 'repositoryOwnerId', repository_id: 'repositoryId' };
        return createTrustPolicy(deps, requesterOf(request, principal), {
          feed,
          user: textField(fields, 'user') ?? '',
          issuer: textField(fields, 'issuer'),
          criteria: {
            kind,
            repositoryOwner: textField(fields, 'repositoryOwner'),
            repository: textField(fields, 'repository'),
            workflow: textField(fields, 'workflow'),
            namespace: textField(fields, 'namespace'),
            project: textField(fields, 'project'),
            ref: textField(fields, 'ref'),
            environment: textField(fields, 'environment'),
          },
          pinned:
            kind === 'github' || kind === 'gitlab'
              ? parsePinnedIds(
                  kind as TrustPolicyKind,
                  Object.fromEntries(
                    Object.entries(pinnedNames).map(([claim, field]) => [claim, textField(fields, field)]),
                  ),
                )
              : undefined,
          scopes: parseScopes(listField(fields, 'scopes')),
          packages: parseIdPatterns(listField(fields, 'packages')),
        });
      },
      { onlyFailures: true },
    );
    return reply.code(201).send(view(created));
  });

  app.delete<{ Params: IdParams }>('/admin/trust-policies/:id', async (request, reply) =>
    audited(
      services,
      request,
      { action: 'delete-trust-policy' },
      async (note) => {
        const principal = await admin(request, reply);
        const policy = await showTrustPolicy(deps, request.params.id);
        note.feed = policy.feed;
        requireAllowed(principal, 'manage-trust-policies', policy.feed);
        const { revokedKeys } = await removeTrustPolicy(deps, requesterOf(request, principal), policy.id);
        return { removed: policy.id, revokedKeys };
      },
      { onlyFailures: true },
    ),
  );
}
