// The use cases behind `nugget retention show|set|clear` and the admin API's /v3/admin/retention (docs/retention.md):
// a feed's retention policy, checked when it is set, and each change audited on the feed.
import type { AuditLog } from '../auth/ports.ts';
import type { Requester } from '../auth/manage-api-keys.ts';
import { notFound } from '../errors.ts';
import type { Feed } from './feed.ts';
import type { Clock } from './ports.ts';
import { parseRetentionPolicy } from './retention-policy.ts';
import type { RetentionPolicyStore, StoredRetentionPolicy } from './run-retention.ts';

export interface RetentionAdminDeps {
  readonly feed: Feed;
  readonly policies: RetentionPolicyStore;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

export async function showRetentionPolicy(
  deps: Pick<RetentionAdminDeps, 'feed' | 'policies'>,
): Promise<StoredRetentionPolicy> {
  const stored = await deps.policies.find(deps.feed.name);
  if (!stored) {
    throw notFound(
      'retention_policy_not_found',
      `Feed '${deps.feed.name}' has no retention policy: nothing is ever removed by retention there. Set one ` +
        `with nugget retention set --feed ${deps.feed.name} --file policy.json (docs/retention.md).`,
    );
  }
  return stored;
}

/** Checks and stores the policy (400 naming the field when it is wrong). */
export async function setRetentionPolicy(
  deps: RetentionAdminDeps,
  requester: Requester,
  input: unknown,
): Promise<StoredRetentionPolicy> {
  const policy = parseRetentionPolicy(input);
  const at = deps.clock.now().toISOString();
  const stored = { policy, updated: at, updatedBy: requester.actor };
  await deps.policies.set(deps.feed.name, stored);
  await deps.audit.append({
    feed: deps.feed.name,
    at,
    actor: requester.actor,
    keyId: requester.keyId,
    source: requester.source,
    action: 'set-retention-policy',
    outcome: 'success',
    detail: { policy },
  });
  return stored;
}

export async function removeRetentionPolicy(deps: RetentionAdminDeps, requester: Requester): Promise<void> {
  if (!(await deps.policies.remove(deps.feed.name))) await showRetentionPolicy(deps);
  await deps.audit.append({
    feed: deps.feed.name,
    at: deps.clock.now().toISOString(),
    actor: requester.actor,
    keyId: requester.keyId,
    source: requester.source,
    action: 'remove-retention-policy',
    outcome: 'success',
  });
}
