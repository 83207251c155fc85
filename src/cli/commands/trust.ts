// `nugget trust add|list|show|remove`: trust policies of trusted publishing (docs/trusted-publishing.md). Works on
// the configured storage directly, also while servers run: every node sees a new or removed policy at its next
// exchange. The same operations are on the admin API (/admin/trust-policies).
import type { Command } from 'commander';
import { parseScopes } from '../../auth/api-key-scope.ts';
import { parseIdPatterns } from '../../auth/id-pattern.ts';
import type { Requester } from '../../auth/manage-api-keys.ts';
import {
  createTrustPolicy,
  listTrustPolicies,
  removeTrustPolicy,
  showTrustPolicy,
  type TrustPolicyAdminDeps,
} from '../../auth/manage-trust-policies.ts';
import { describeCriteria, parsePinnedIds, type TrustPolicy } from '../../auth/trust-policy.ts';
import type { Nugget } from '../../compose.ts';
import { addConfigOptions } from '../../config/config.ts';
import { withFeed } from '../open-feed.ts';

const cli: Requester = { actor: 'cli', source: 'cli' };

const adminDeps = ({ services, feeds }: Nugget): TrustPolicyAdminDeps => ({
  policies: services.trust.policies,
  apiKeys: services.apiKeys,
  audit: services.audit,
  clock: services.clock,
  issuers: services.trust.issuers,
  requireFeed: (name) => feeds.get(name),
});

function describe(policy: TrustPolicy): string {
  const ids = policy.pinned
    ? Object.entries(policy.pinned)
        .map(([claim, value]) => `${claim} ${value}`)
        .join(', ')
    : 'recorded at first use';
  return [
    `${policy.id}: ${describeCriteria(policy.criteria)}`,
    `  feed      ${policy.feed}`,
    `  user      ${policy.user}`,
    `  issuer    ${policy.issuer}`,
    `  ids       ${ids}`,
    `  scopes    ${policy.scopes.join(',')}`,
    `  packages  ${policy.packages.join(',')}`,
    `  created   ${policy.created} by ${policy.createdBy}`,
  ].join('\n');
}

function addCommand(
  trust: Command,
  kind: 'github' | 'gitlab',
  configure: (command: Command) => Command,
): void {
  addConfigOptions(
    configure(
      trust
        .command(`add-${kind}`)
        .description(
          `trust a ${kind === 'github' ? 'GitHub Actions workflow' : 'GitLab CI job'} to publish to a feed`,
        )
        .requiredOption('--feed <name>', 'the feed its keys may push to')
        .requiredOption(
          '--user <name>',
          'the user name the CI job gives (NuGet/login: user; the body: username)',
        )
        .requiredOption('--scopes <scopes>', 'comma-separated: push-new, push, unlist, read')
        .option('--packages <globs>', 'comma-separated id patterns its keys may touch, e.g. "Contoso.*"', '*')
        .option('--environment <name>', 'only jobs that deploy to this environment')
        .option('--issuer <url>', `the ${kind} issuer, when --trusted-publishing-issuers names several`),
    ),
  ).action(async (flags: Record<string, unknown>) => {
    const text = (name: string) => (typeof flags[name] === 'string' ? flags[name] : undefined);
    await withFeed(flags, async (nugget) => {
      const policy = await createTrustPolicy(adminDeps(nugget), cli, {
        feed: String(flags['feed']),
        user: String(flags['user']),
        issuer: text('issuer'),
        criteria: {
          kind,
          repositoryOwner: text('owner'),
          repository: text('repository'),
          workflow: text('workflow'),
          namespace: text('namespace'),
          project: text('project'),
          ref: text('branch'),
          environment: text('environment'),
        },
        pinned: parsePinnedIds(
          kind,
          kind === 'github'
            ? { repository_owner_id: text('ownerId'), repository_id: text('repositoryId') }
            : { namespace_id: text('namespaceId'), project_id: text('projectId') },
        ),
        scopes: parseScopes(String(flags['scopes'])),
        packages: parseIdPatterns(String(flags['packages'])),
      });
      console.log(`Added trust policy ${policy.id}.\n${describe(policy)}`);
    });
  });
}

export function trustCommand(program: Command): void {
  const trust = program
    .command('trust')
    .description('trust policies: CI jobs that exchange their identity token for a short-lived key');

  addCommand(trust, 'github', (command) =>
    command
      .requiredOption('--owner <owner>', 'the repository owner (user or organization), e.g. contoso')
      .requiredOption('--repository <name>', 'the repository name, e.g. lib')
      .requiredOption('--workflow <file>', 'the workflow file in .github/workflows/, e.g. release.yml')
      .option('--owner-id <id>', 'the numeric owner id (default: recorded at first use)')
      .option('--repository-id <id>', 'the numeric repository id (default: recorded at first use)'),
  );
  addCommand(trust, 'gitlab', (command) =>
    command
      .requiredOption('--namespace <path>', 'the group (and subgroups), e.g. contoso/libraries')
      .requiredOption('--project <path>', 'the project path in the namespace, e.g. core')
      .requiredOption('--branch <name>', 'the branch its jobs run on, e.g. main')
      .option('--namespace-id <id>', 'the numeric namespace id (default: recorded at first use)')
      .option('--project-id <id>', 'the numeric project id (default: recorded at first use)'),
  );

  addConfigOptions(
    trust
      .command('list')
      .description('list trust policies')
      .option('--feed <name>', "only this feed's")
      .option('--json', 'print JSON'),
  ).action(async (flags: Record<string, unknown>) => {
    await withFeed(flags, async (nugget) => {
      const feed = typeof flags['feed'] === 'string' ? flags['feed'] : undefined;
      const policies = await listTrustPolicies(adminDeps(nugget), feed);
      if (flags['json']) console.log(JSON.stringify(policies, null, 2));
      else if (policies.length === 0)
        console.log('No trust policies. Add one with: nugget trust add-github ...');
      else console.log(policies.map(describe).join('\n\n'));
    });
  });

  addConfigOptions(trust.command('show').description('show a trust policy').argument('<id>')).action(
    async (id: string, flags: Record<string, unknown>) => {
      await withFeed(flags, async (nugget) =>
        console.log(describe(await showTrustPolicy(adminDeps(nugget), id))),
      );
    },
  );

  addConfigOptions(
    trust
      .command('remove')
      .description('remove a trust policy and revoke the keys it issued')
      .argument('<id>', 'the policy id (nugget trust list)'),
  ).action(async (id: string, flags: Record<string, unknown>) => {
    await withFeed(flags, async (nugget) => {
      const { policy, revokedKeys } = await removeTrustPolicy(adminDeps(nugget), cli, id);
      console.log(
        `Removed trust policy ${policy.id} (${describeCriteria(policy.criteria)}); revoked ${revokedKeys} key(s).`,
      );
    });
  });
}
