import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Claims,
  issuedKeyName,
  matchPolicy,
  parsePinnedIds,
  parseTrustCriteria,
  type TrustPolicy,
} from './trust-policy.ts';

const base = {
  id: 'p1',
  feed: 'default',
  user: 'ci',
  scopes: ['push-new', 'push'] as const,
  packages: ['Contoso.*'],
  created: '2026-01-01T00:00:00.000Z',
  createdBy: 'cli',
};

const github: TrustPolicy = {
  ...base,
  issuer: 'https://token.actions.githubusercontent.com',
  criteria: parseTrustCriteria({
    kind: 'github',
    repositoryOwner: 'Contoso',
    repository: 'Lib',
    workflow: 'release.yml',
  }),
};

// The claims of a GitHub Actions token for contoso/lib's release.yml on main (GitHub's documented shape).
const githubClaims: Claims = {
  sub: 'repo:contoso/lib:ref:refs/heads/main',
  repository: 'contoso/lib',
  repository_owner: 'contoso',
  repository_owner_id: '1001',
  repository_id: '2002',
  job_workflow_ref: 'contoso/lib/.github/workflows/release.yml@refs/heads/main',
  workflow_ref: 'contoso/lib/.github/workflows/release.yml@refs/heads/main',
  ref: 'refs/heads/main',
  run_id: '123',
  run_attempt: '2',
};

const gitlab: TrustPolicy = {
  ...base,
  issuer: 'https://gitlab.com',
  criteria: parseTrustCriteria({
    kind: 'gitlab',
    namespace: 'contoso/libraries',
    project: 'core',
    ref: 'main',
    environment: 'production',
  }),
};

const gitlabClaims: Claims = {
  sub: 'project_path:contoso/libraries/core:ref_type:branch:ref:main',
  namespace_path: 'contoso/libraries',
  namespace_id: '77',
  project_path: 'contoso/libraries/core',
  project_id: 88,
  ref: 'main',
  ref_type: 'branch',
  environment: 'production',
  pipeline_id: '500',
  job_id: '600',
};

describe('matchPolicy', () => {
  test("a GitHub token of the policy's repository and workflow matches, and pins the ids at first use", () => {
    assert.deepEqual(matchPolicy(github, githubClaims), {
      ok: true,
      pin: { repository_owner_id: '1001', repository_id: '2002' },
    });
  });

  test('once pinned, the same ids match and nothing new is pinned', () => {
    const pinned = { ...github, pinned: { repository_owner_id: '1001', repository_id: '2002' } };
    assert.deepEqual(matchPolicy(pinned, githubClaims), { ok: true, pin: undefined });
  });

  const refusals: [string, TrustPolicy, Claims, string, RegExp][] = [
    ['another owner', github, { ...githubClaims, repository_owner: 'evil' }, 'repository_owner', /'evil'/],
    [
      'another repository',
      github,
      { ...githubClaims, repository: 'contoso/other' },
      'repository',
      /'contoso\/other'/,
    ],
    [
      'a subject of another repository',
      github,
      { ...githubClaims, sub: 'repo:contoso/other:ref:refs/heads/main' },
      'sub',
      /does not match/,
    ],
    [
      'another workflow',
      github,
      { ...githubClaims, job_workflow_ref: 'contoso/lib/.github/workflows/ci.yml@refs/heads/main' },
      'job_workflow_ref',
      /ci\.yml/,
    ],
    [
      "a workflow whose name starts like the policy's",
      github,
      {
        ...githubClaims,
        job_workflow_ref: 'contoso/lib/.github/workflows/release.yml.evil.yml@refs/heads/x',
      },
      'job_workflow_ref',
      /does not match/,
    ],
    [
      'a reusable workflow of another repository',
      github,
      { ...githubClaims, job_workflow_ref: 'evil/lib/.github/workflows/release.yml@refs/heads/main' },
      'job_workflow_ref',
      /does not match/,
    ],
    [
      'a re-created repository (other ids)',
      { ...github, pinned: { repository_owner_id: '1001', repository_id: '2002' } },
      { ...githubClaims, repository_id: '9999' },
      'repository_id',
      /deleted and created again/,
    ],
    ['no repository ids', github, { ...githubClaims, repository_id: undefined }, 'repository_id', /numeric/],
    [
      'no environment where the policy needs one',
      { ...github, criteria: { ...github.criteria, environment: 'production' } as TrustPolicy['criteria'] },
      githubClaims,
      'environment',
      /has no 'environment' claim/,
    ],
    [
      'GitLab: another project',
      gitlab,
      { ...gitlabClaims, project_path: 'contoso/libraries/x' },
      'project_path',
      /x'/,
    ],
    ['GitLab: a tag, not a branch', gitlab, { ...gitlabClaims, ref_type: 'tag' }, 'ref_type', /'tag'/],
    ['GitLab: a branch of another case', gitlab, { ...gitlabClaims, ref: 'Main' }, 'ref', /'Main'/],
    [
      'GitLab: another environment',
      gitlab,
      { ...gitlabClaims, environment: 'staging' },
      'environment',
      /'staging'/,
    ],
  ];
  for (const [what, policy, claims, claim, reason] of refusals) {
    test(`${what} -> refused on ${claim}`, () => {
      const result = matchPolicy(policy, claims);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.claim, claim);
      assert.match(result.reason, reason);
    });
  }

  test("a refusal names the token's value, never the policy's", () => {
    const result = matchPolicy(github, { ...githubClaims, repository: 'someone/else' });
    assert.equal(result.ok, false);
    if (!result.ok) assert.doesNotMatch(result.reason, /contoso\/lib|Lib/);
  });

  test('owner, repository and environment compare case-insensitively; a GitLab branch does not', () => {
    assert.equal(
      matchPolicy(github, { ...githubClaims, repository_owner: 'CONTOSO', repository: 'CONTOSO/LIB' }).ok,
      true,
    );
    assert.equal(matchPolicy(gitlab, { ...gitlabClaims, environment: 'Production' }).ok, true);
  });

  test('the closest policy has passed the most checks', () => {
    const far = matchPolicy(github, { ...githubClaims, repository_owner: 'x' });
    const near = matchPolicy(github, {
      ...githubClaims,
      job_workflow_ref: 'contoso/lib/.github/workflows/x.yml@r',
    });
    assert.ok(!far.ok && !near.ok && near.passed > far.passed);
  });
});

describe('parseTrustCriteria', () => {
  test('a workflow path is taken as its file name', () => {
    const criteria = parseTrustCriteria({
      kind: 'github',
      repository: 'contoso/lib',
      workflow: '.github\\workflows\\release.yml',
    });
    assert.deepEqual(criteria, {
      kind: 'github',
      repositoryOwner: 'contoso',
      repository: 'lib',
      workflow: 'release.yml',
      environment: undefined,
    });
  });

  const bad: [string, Parameters<typeof parseTrustCriteria>[0], RegExp][] = [
    ['an unknown kind', { kind: 'jenkins' }, /not a kind of trust policy: use github or gitlab/],
    [
      'no workflow',
      { kind: 'github', repositoryOwner: 'a', repository: 'b' },
      /needs workflow file, e\.g\. release\.yml/,
    ],
    [
      'a workflow that is not YAML',
      { kind: 'github', repositoryOwner: 'a', repository: 'b', workflow: 'x.sh' },
      /not a valid workflow file/,
    ],
    [
      'an owner with a slash',
      { kind: 'github', repositoryOwner: 'a/b', repository: 'c', workflow: 'r.yml' },
      /repository owner/,
    ],
    ['no GitLab branch', { kind: 'gitlab', namespace: 'a', project: 'b' }, /branch \(ref\)/],
  ];
  for (const [what, input, message] of bad) {
    test(`${what} -> 400`, () => {
      assert.throws(
        () => parseTrustCriteria(input),
        (error: Error & { kind?: string }) => {
          assert.equal(error.kind, 'InvalidInput');
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }
});

test('parsePinnedIds: both or neither, digits only', () => {
  assert.equal(parsePinnedIds('github', {}), undefined);
  assert.deepEqual(parsePinnedIds('github', { repository_owner_id: '1', repository_id: '2' }), {
    repository_owner_id: '1',
    repository_id: '2',
  });
  assert.throws(
    () => parsePinnedIds('github', { repository_id: '2' }),
    /both repository_owner_id and repository_id/,
  );
  assert.throws(() => parsePinnedIds('gitlab', { namespace_id: '1', project_id: 'x' }), /as numbers/);
});

test('issuedKeyName names the repository, the workflow or branch, and the run', () => {
  assert.equal(issuedKeyName(github, githubClaims), 'github:contoso/lib@release.yml run 123.2');
  assert.equal(
    issuedKeyName(gitlab, gitlabClaims),
    'gitlab:contoso/libraries/core@main pipeline 500 job 600',
  );
  assert.equal(
    issuedKeyName(github, { ...githubClaims, repository: 'a/b\nforged' }),
    'github:a/b?forged@release.yml run 123.2',
  );
});
