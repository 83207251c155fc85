// Trust policies of trusted publishing (docs/trusted-publishing.md): which CI identity may trade its OpenID Connect
// token for a short-lived API key on a feed. Pure: the checks of a verified token's claims against a policy, with a
// refusal that names the claim (and the token's value of it, which its holder knows) but never the policy's value.
// The claims are GitHub's (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#understanding-the-oidc-token)
// and GitLab's (https://docs.gitlab.com/ci/secrets/id_token_authentication/#token-payload); the checks follow
// nuget.org's design (NuGet/Home accepted/2024/trusted-publishers-oidc-for-nuget-push.technical.md).
import { invalidInput } from '../errors.ts';
import type { ApiKeyScope } from './api-key-scope.ts';

export const trustPolicyKinds = ['github', 'gitlab'] as const;
export type TrustPolicyKind = (typeof trustPolicyKinds)[number];

/** A GitHub Actions workflow: repository owner and name, the workflow file, optionally a deployment environment. */
export interface GitHubCriteria {
  readonly kind: 'github';
  readonly repositoryOwner: string;
  /** The repository's name without its owner. */
  readonly repository: string;
  /** The workflow's file name under .github/workflows/, e.g. release.yml. */
  readonly workflow: string;
  readonly environment?: string | undefined;
}

/** A GitLab CI job: the project's namespace and path, the branch it runs on, optionally an environment. */
export interface GitLabCriteria {
  readonly kind: 'gitlab';
  /** The group (and subgroups) the project is in, e.g. contoso/libraries. */
  readonly namespace: string;
  /** The project's path within its namespace, e.g. core. */
  readonly project: string;
  /** The branch, e.g. main (case-sensitive: branches of differing case may coexist). */
  readonly ref: string;
  readonly environment?: string | undefined;
}

export type TrustCriteria = GitHubCriteria | GitLabCriteria;

/**
 * The numeric ids of the owner and the repository (project), recorded at first use: a repository deleted and
 * re-created under the same name by someone else has new ids, and is not trusted.
 */
export type PinnedIds = Readonly<Record<string, string>>;

export interface TrustPolicy {
  /** Random, public; what `nugget trust list` shows and `nugget trust remove` takes. */
  readonly id: string;
  readonly feed: string;
  /** The `username` a token exchange must give (nuget.org: the policy's creator). */
  readonly user: string;
  /** The issuer URL the token must come from (its `iss`). */
  readonly issuer: string;
  readonly criteria: TrustCriteria;
  /** Undefined until the first exchange records them (or the admin gave them). */
  readonly pinned?: PinnedIds | undefined;
  readonly scopes: readonly ApiKeyScope[];
  readonly packages: readonly string[];
  /** ISO 8601. */
  readonly created: string;
  readonly createdBy: string;
}

/** The id claims pinned at first use, per kind. */
export const pinnedClaims: Readonly<Record<TrustPolicyKind, readonly string[]>> = {
  github: ['repository_owner_id', 'repository_id'],
  gitlab: ['namespace_id', 'project_id'],
};

export type Claims = Readonly<Record<string, unknown>>;

export type PolicyMatch =
  | {
      readonly ok: true;
      /** Ids to record now (first use), or undefined when the policy has them already. */
      readonly pin?: PinnedIds | undefined;
    }
  | {
      readonly ok: false;
      /** The claim that did not match. */
      readonly claim: string;
      readonly reason: string;
      /** How many checks passed before this one: the closest policy is the one to report. */
      readonly passed: number;
    };

interface Check {
  readonly claim: string;
  readonly matches: (value: string) => boolean;
}

const text = (claims: Claims, name: string): string | undefined => {
  const value = claims[name];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
};

const sameText = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

function checksOf(criteria: TrustCriteria): Check[] {
  if (criteria.kind === 'github') {
    const repository = `${criteria.repositoryOwner}/${criteria.repository}`;
    const workflowPrefix = `${repository}/.github/workflows/${criteria.workflow}@`.toLowerCase();
    return [
      { claim: 'repository_owner', matches: (v) => sameText(v, criteria.repositoryOwner) },
      { claim: 'repository', matches: (v) => sameText(v, repository) },
      // The subject names the repository too; checked so that the two never disagree.
      { claim: 'sub', matches: (v) => v.toLowerCase().startsWith(`repo:${repository.toLowerCase()}:`) },
      // The workflow file the job runs: `{owner}/{repo}/.github/workflows/{file}@{ref}`.
      { claim: 'job_workflow_ref', matches: (v) => v.toLowerCase().startsWith(workflowPrefix) },
      ...(criteria.environment === undefined
        ? []
        : [{ claim: 'environment', matches: (v: string) => sameText(v, criteria.environment ?? '') }]),
    ];
  }
  return [
    { claim: 'namespace_path', matches: (v) => sameText(v, criteria.namespace) },
    { claim: 'project_path', matches: (v) => sameText(v, `${criteria.namespace}/${criteria.project}`) },
    { claim: 'ref_type', matches: (v) => v === 'branch' },
    { claim: 'ref', matches: (v) => v === criteria.ref },
    ...(criteria.environment === undefined
      ? []
      : [{ claim: 'environment', matches: (v: string) => sameText(v, criteria.environment ?? '') }]),
  ];
}

/** Whether verified `claims` satisfy `policy`; which claim did not, when they do not. */
export function matchPolicy(policy: TrustPolicy, claims: Claims): PolicyMatch {
  const checks = checksOf(policy.criteria);
  let passed = 0;
  for (const check of checks) {
    const value = text(claims, check.claim);
    if (value === undefined) {
      return {
        ok: false,
        claim: check.claim,
        passed,
        reason: `the token has no '${check.claim}' claim, which the trust policy checks`,
      };
    }
    if (!check.matches(value)) {
      return {
        ok: false,
        claim: check.claim,
        passed,
        reason: `the token's ${check.claim} '${value.slice(0, 200)}' does not match the trust policy`,
      };
    }
    passed += 1;
  }
  const pin: Record<string, string> = {};
  for (const claim of pinnedClaims[policy.criteria.kind]) {
    const value = text(claims, claim);
    if (value === undefined || !/^\d{1,20}$/.test(value)) {
      return {
        ok: false,
        claim,
        passed,
        reason: `the token has no numeric '${claim}' claim, which the trust policy records at first use`,
      };
    }
    const recorded = policy.pinned?.[claim];
    if (recorded !== undefined && recorded !== value) {
      return {
        ok: false,
        claim,
        passed,
        reason:
          `the token's ${claim} '${value}' is not the one recorded when the policy was first used: the ` +
          'repository (or its owner) was deleted and created again, or renamed. An admin re-creates the policy to ' +
          'trust the new one',
      };
    }
    pin[claim] = value;
    passed += 1;
  }
  return { ok: true, pin: policy.pinned === undefined ? pin : undefined };
}

/**
 * The name of a key issued by `policy` for a token, as the audit log shows it: the repository (project), the
 * workflow or branch, and the run, e.g. `github:contoso/lib@release.yml run 123.1`.
 */
export function issuedKeyName(policy: TrustPolicy, claims: Claims): string {
  const claim = (name: string) => (text(claims, name) ?? '?').slice(0, 100);
  const name =
    policy.criteria.kind === 'github'
      ? `github:${claim('repository')}@${policy.criteria.workflow} run ${claim('run_id')}.${claim('run_attempt')}`
      : `gitlab:${claim('project_path')}@${claim('ref')} pipeline ${claim('pipeline_id')} job ${claim('job_id')}`;
  return name.replace(/[^\x21-\x7e ]/g, '?');
}

/** What a key issued for the token records about the run, for the audit log. */
export function runDetail(policy: TrustPolicy, claims: Claims): Record<string, string> {
  const names =
    policy.criteria.kind === 'github'
      ? [
          'repository',
          'workflow_ref',
          'job_workflow_ref',
          'ref',
          'sha',
          'run_id',
          'run_attempt',
          'environment',
          'actor',
        ]
      : ['project_path', 'ref', 'sha', 'pipeline_id', 'job_id', 'environment', 'user_login'];
  return Object.fromEntries(
    names.flatMap((name) => {
      const value = text(claims, name);
      return value === undefined ? [] : [[name, value.slice(0, 300)]];
    }),
  );
}

// Names as GitHub and GitLab allow them: letters, digits, '-', '_', '.'; GitLab namespaces nest with '/'.
const githubName = /^[A-Za-z0-9_.-]{1,100}$/;
const gitlabPath = /^[A-Za-z0-9_.-]{1,255}(\/[A-Za-z0-9_.-]{1,255}){0,20}$/;
const workflowFile = /^[A-Za-z0-9_. -]{1,255}\.ya?ml$/;
const refName = /^[^\s~^:?*[\\]{1,255}$/;
const environmentName = /^[^\s,'"`]{1,255}$/;

function required(value: string | undefined, field: string, shape: RegExp, example: string): string {
  const trimmed = value?.trim() ?? '';
  if (!shape.test(trimmed)) {
    throw invalidInput(
      'trust_policy_invalid',
      trimmed === ''
        ? `A trust policy needs ${field}, e.g. ${example}.`
        : `'${trimmed.slice(0, 100)}' is not a valid ${field}: e.g. ${example}.`,
    );
  }
  return trimmed;
}

function optional(
  value: string | undefined,
  field: string,
  shape: RegExp,
  example: string,
): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : required(value, field, shape, example);
}

/** The fields of a policy as the CLI's flags and the admin API's JSON body give them. */
export interface TrustCriteriaInput {
  readonly kind?: string | undefined;
  readonly repositoryOwner?: string | undefined;
  readonly repository?: string | undefined;
  readonly workflow?: string | undefined;
  readonly namespace?: string | undefined;
  readonly project?: string | undefined;
  readonly ref?: string | undefined;
  readonly environment?: string | undefined;
}

/** Checks and normalizes what an admin gave; 400 naming the field when it is wrong. */
export function parseTrustCriteria(input: TrustCriteriaInput): TrustCriteria {
  if (input.kind === 'github') {
    let repositoryOwner = input.repositoryOwner;
    let repository = input.repository;
    // 'contoso/lib' in --repository is the owner and the name at once.
    if (repository?.includes('/') && repositoryOwner === undefined) {
      [repositoryOwner, repository] = repository.split('/', 2);
    }
    // nuget.org asks for the file name; a path to it is taken too, with either separator.
    const workflow = input.workflow
      ?.trim()
      .replace(/\\/g, '/')
      .replace(/^\.?\/?\.github\/workflows\//, '');
    return {
      kind: 'github',
      repositoryOwner: required(repositoryOwner, 'repository owner', githubName, 'contoso'),
      repository: required(repository, 'repository', githubName, 'contoso-lib'),
      workflow: required(workflow, 'workflow file', workflowFile, 'release.yml'),
      environment: optional(input.environment, 'environment', environmentName, 'production'),
    };
  }
  if (input.kind === 'gitlab') {
    return {
      kind: 'gitlab',
      namespace: required(input.namespace, 'namespace', gitlabPath, 'contoso/libraries'),
      project: required(input.project, 'project', githubName, 'core'),
      ref: required(input.ref?.replace(/^refs\/heads\//, ''), 'branch (ref)', refName, 'main'),
      environment: optional(input.environment, 'environment', environmentName, 'production'),
    };
  }
  throw invalidInput(
    'trust_policy_kind_unknown',
    `'${String(input.kind ?? '')}' is not a kind of trust policy: use ${trustPolicyKinds.join(' or ')}.`,
  );
}

/** Ids an admin gives at creation instead of trusting the first use: digits only. */
export function parsePinnedIds(
  kind: TrustPolicyKind,
  given: Readonly<Record<string, string | undefined>>,
): PinnedIds | undefined {
  const names = pinnedClaims[kind];
  const values = names.map((name) => given[name]?.trim() || undefined);
  if (values.every((value) => value === undefined)) return undefined;
  const pinned: Record<string, string> = {};
  names.forEach((name, i) => {
    const value = values[i];
    if (value === undefined || !/^\d{1,20}$/.test(value)) {
      throw invalidInput(
        'trust_policy_invalid',
        `Give both ${names.join(' and ')} as numbers, or neither (then they are recorded at first use).`,
      );
    }
    pinned[name] = value;
  });
  return pinned;
}

/** One line about what the policy trusts, for lists and the audit log. */
export function describeCriteria(criteria: TrustCriteria): string {
  const environment = criteria.environment === undefined ? '' : `, environment ${criteria.environment}`;
  return criteria.kind === 'github'
    ? `GitHub ${criteria.repositoryOwner}/${criteria.repository}, workflow ${criteria.workflow}${environment}`
    : `GitLab ${criteria.namespace}/${criteria.project}, branch ${criteria.ref}${environment}`;
}
