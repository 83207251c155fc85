// Trusted publishing end to end (docs/trusted-publishing.md): the built server as a process, trusting a local
// OpenID Connect issuer's CA through NODE_EXTRA_CA_CERTS as an operator would; a policy added with the CLI; a
// GitHub-shaped token exchanged the way the NuGet/login action does it, and a GitLab-shaped one with the curl
// command of the docs' GitLab job; then the real `dotnet nuget push` with each issued key.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildNupkg } from '../fixtures/build-nupkg.ts';
import { startTestIssuer, type TestIssuer } from '../support/oidc-issuer.ts';
import {
  assertFailed,
  assertSucceeded,
  createDotnetEnv,
  createWorkspace,
  type DotnetEnv,
  describeResult,
  type FeedServer,
  outputOf,
  requireDotnet,
  runCommand,
  startFeed,
  type Workspace,
  writeFiles,
} from './harness.ts';

const stepTimeout = { timeout: 600_000 };
const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const audience = 'https://nuget.e2e.test';

describe('trusted publishing with the dotnet CLI', () => {
  let workspace: Workspace;
  let issuer: TestIssuer;
  let server: FeedServer | undefined;
  let client: DotnetEnv;
  let base: string;
  let completedSteps = 0;

  const serverLog = () =>
    `--- nugget output (tail) ---\n${(server?.output() ?? '(not started)').slice(-8000)}`;
  const feed = (): FeedServer => {
    assert.ok(server, 'the server is not running');
    return server;
  };
  const requireStep = (step: number) =>
    assert.ok(completedSteps >= step, `step ${step} did not complete, so this step cannot run`);
  const nugget = (...args: string[]) =>
    runCommand(process.execPath, ['src/cli/main.ts', ...args, '--data-dir', feed().dataDir], {
      cwd: repoRoot,
      env: process.env,
    });
  const push = async (id: string, key: string) => {
    const file = path.join(client.root, `${id}.1.0.0.nupkg`);
    await writeFiles(client.root, { [path.basename(file)]: await buildNupkg({ id, version: '1.0.0' }) });
    return client.runDotnet([
      'nuget',
      'push',
      file,
      '-s',
      'release',
      '-k',
      key,
      '--configfile',
      client.configFile,
    ]);
  };

  before(async () => {
    await requireDotnet();
    workspace = await createWorkspace('nugget-trust-');
    issuer = await startTestIssuer(await workspace.makeDir('issuer'));
    server = await startFeed(workspace, {
      extraArgs: [
        '--trusted-publishing-audience',
        audience,
        '--trusted-publishing-issuers',
        issuer.issuersFlag,
      ],
      // The operator's way to trust a private CA for the whole process (Node reads it at start).
      env: { NODE_EXTRA_CA_CERTS: issuer.certificate.caFile },
    });
    base = server.serviceIndexUrl.replace(/\/v3\/index\.json$/, '');
    client = await createDotnetEnv(workspace, {
      name: 'ci-runner',
      sources: [{ name: 'release', url: `${base}/feeds/release/v3/index.json` }],
    });
  });

  after(async () => {
    await server?.stop();
    await issuer?.close();
    await workspace?.dispose();
  });

  it('1. the CLI creates the feed and the GitHub and GitLab policies', stepTimeout, async () => {
    assertSucceeded(await nugget('feed', 'create', 'release'), serverLog);
    const github = await nugget(
      ...['trust', 'add-github', '--feed', 'release', '--user', 'ci-bot', '--owner', 'contoso'],
      ...[
        '--repository',
        'lib',
        '--workflow',
        'release.yml',
        '--scopes',
        'push-new,push',
        '--packages',
        'Contoso.*',
      ],
      ...['--trusted-publishing-issuers', issuer.issuersFlag],
    );
    assertSucceeded(github, serverLog);
    assert.match(github.stdout, /GitHub contoso\/lib, workflow release\.yml/, describeResult(github));
    const gitlab = await nugget(
      ...[
        'trust',
        'add-gitlab',
        '--feed',
        'release',
        '--user',
        'gitlab-ci',
        '--namespace',
        'contoso/libraries',
      ],
      ...['--project', 'core', '--branch', 'main', '--environment', 'production', '--scopes', 'push-new'],
      ...['--packages', 'Contoso.*', '--trusted-publishing-issuers', issuer.issuersFlag],
    );
    assertSucceeded(gitlab, serverLog);
    completedSteps = 1;
  });

  it(
    '2. a GitHub token exchanged as NuGet/login does it gives a key dotnet nuget push works with',
    stepTimeout,
    async () => {
      requireStep(1);
      // The action's request (NuGet/login src/index.ts): POST, JSON body, bearer token, its user agent.
      const response = await fetch(`${base}/api/v2/token`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${await issuer.github(audience, new Date())}`,
          'User-Agent': 'nuget/login-action',
        },
        body: JSON.stringify({ username: 'ci-bot', tokenType: 'ApiKey' }),
      });
      const body = (await response.json()) as { apiKey?: string; error?: string };
      assert.equal(response.status, 200, `${JSON.stringify(body)}\n${serverLog()}`);
      assert.ok(body.apiKey);

      assertSucceeded(await push('Contoso.FromGitHub', body.apiKey), serverLog);
      // Not outside the policy's ids.
      const outside = await push('Other.Lib', body.apiKey);
      assertFailed(outside, serverLog);
      assert.match(outputOf(outside), /403|may push only ids matching Contoso\.\*/, describeResult(outside));
      completedSteps = 2;
    },
  );

  it(
    '3. a refused exchange prints the reason where the action would show it, and gives no key',
    stepTimeout,
    async () => {
      requireStep(1);
      const response = await fetch(`${base}/api/v2/token`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${await issuer.github(audience, new Date(), { workflow: 'ci.yml' })}`,
        },
        body: JSON.stringify({ username: 'ci-bot', tokenType: 'ApiKey' }),
      });
      assert.equal(response.status, 403);
      const body = (await response.json()) as { error?: unknown; apiKey?: unknown };
      assert.equal(typeof body.error, 'string');
      assert.match(String(body.error), /job_workflow_ref .*ci\.yml.* does not match the trust policy/);
      assert.equal(body.apiKey, undefined);
    },
  );

  it(
    '4. the GitLab job of the docs: curl to the token endpoint, then dotnet nuget push',
    stepTimeout,
    async () => {
      requireStep(1);
      const tokenFile = path.join(client.root, 'token.json');
      const exchange = await runCommand(
        'bash',
        [
          '-c',
          'set -eo pipefail; curl --fail-with-body --silent --show-error -X POST "$NUGGET_URL/api/v2/token" ' +
            '-H "Authorization: Bearer $NUGGET_ID_TOKEN" -H "Content-Type: application/json" ' +
            `-d '{"username": "gitlab-ci", "tokenType": "ApiKey"}' -o "$TOKEN_FILE"; ` +
            `sed -n 's/.*"apiKey":"\\([^"]*\\)".*/\\1/p' "$TOKEN_FILE"`,
        ],
        {
          cwd: client.root,
          env: {
            ...process.env,
            NUGGET_URL: base,
            NUGGET_ID_TOKEN: await issuer.gitlab(audience, new Date(), { environment: 'production' }),
            TOKEN_FILE: tokenFile,
          },
        },
      );
      assertSucceeded(exchange, serverLog);
      const key = exchange.stdout.trim();
      assert.match(key, /^ngt_/, describeResult(exchange));
      assertSucceeded(await push('Contoso.FromGitLab', key), serverLog);
      completedSteps = 4;
    },
  );

  it('5. the audit log names the repository and run of each push', stepTimeout, async () => {
    requireStep(4);
    const audit = await nugget('audit', '--since', '1h', '--json');
    assertSucceeded(audit, serverLog);
    const entries = JSON.parse(audit.stdout) as {
      action: string;
      actor: string;
      packageId?: string;
      outcome: string;
    }[];
    const pushedBy = (id: string) =>
      entries.find((e) => e.action === 'push' && e.packageId === id && e.outcome === 'success')?.actor;
    assert.equal(pushedBy('Contoso.FromGitHub'), 'github:contoso/lib@release.yml run 4242.1');
    assert.equal(pushedBy('Contoso.FromGitLab'), 'gitlab:contoso/libraries/core@main pipeline 500 job 600');
  });

  it("6. nugget apikey create obeys the feed's maxApiKeyLifetime", stepTimeout, async () => {
    requireStep(1);
    assertSucceeded(await nugget('feed', 'update', 'release', '--set', 'maxApiKeyLifetime=8d'), serverLog);
    const tooLong = await nugget(
      'apikey',
      'create',
      '--name',
      'long',
      '--scopes',
      'push',
      '--feeds',
      'release',
      '--expires',
      '30d',
    );
    assertFailed(tooLong, serverLog);
    assert.match(
      outputOf(tooLong),
      /Feed 'release' allows API keys of at most 8 days/,
      describeResult(tooLong),
    );
    // Without --expires, the key lives as long as the feed allows.
    const capped = await nugget(
      'apikey',
      'create',
      '--name',
      'capped',
      '--scopes',
      'push',
      '--feeds',
      'release',
    );
    assertSucceeded(capped, serverLog);
    const expires = /expires (\S+)\)/.exec(capped.stdout)?.[1];
    const days = (Date.parse(expires ?? '') - Date.now()) / 86_400_000;
    assert.ok(days > 7.9 && days <= 8, `expires ${expires}\n${describeResult(capped)}`);
  });
});
