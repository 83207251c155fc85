// A local OpenID Connect issuer for trusted-publishing tests: one https server on 127.0.0.1 (certificate from a
// throwaway CA, test/fixtures/test-certificate.ts) serving the discovery document and key set of two issuers,
// `/github` and `/gitlab`, that sign tokens shaped like GitHub Actions' and GitLab CI's (docs/trusted-publishing.md
// links their claim lists). Keys can be rotated; every request is counted.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { createTestCertificate, type TestCertificate } from '../fixtures/test-certificate.ts';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

export async function newSigningKey(kid = `k-${randomUUID().slice(0, 8)}`): Promise<SigningKey> {
  const pair = await generateKeyPair('RS256', { extractable: true });
  return {
    kid,
    privateKey: pair.privateKey,
    jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' },
  };
}

export interface GitHubRun {
  owner?: string;
  repository?: string;
  ownerId?: string;
  repositoryId?: string;
  workflow?: string;
  environment?: string;
  runId?: string;
}

export interface GitLabJob {
  namespace?: string;
  project?: string;
  namespaceId?: string;
  projectId?: string;
  ref?: string;
  refType?: string;
  environment?: string;
  jobId?: string;
}

export interface TestIssuer {
  readonly certificate: TestCertificate;
  readonly githubUrl: string;
  readonly gitlabUrl: string;
  /** https://127.0.0.1:{port} */
  readonly base: string;
  /** `github=<url>,gitlab=<url>` for --trusted-publishing-issuers. */
  readonly issuersFlag: string;
  /** The keys each issuer publishes now (the first signs). */
  keys: SigningKey[];
  /** Requests served, by path. */
  readonly requests: string[];
  /** A GitHub Actions token for `audience`, valid around `now`; `claims` override any claim. */
  github(audience: string, now: Date, run?: GitHubRun, claims?: JWTPayload): Promise<string>;
  gitlab(audience: string, now: Date, job?: GitLabJob, claims?: JWTPayload): Promise<string>;
  /** Signs any claims with `key` (default the current key) and `alg`. */
  sign(claims: JWTPayload, options?: { key?: SigningKey; kid?: string }): Promise<string>;
  close(): Promise<void>;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

export async function startTestIssuer(dir: string): Promise<TestIssuer> {
  const certificate = await createTestCertificate(dir);
  const server: Server = createServer({
    cert: await readFile(certificate.certFile),
    key: await readFile(certificate.keyFile),
  });
  const requests: string[] = [];
  const state = { keys: [await newSigningKey()] };
  let base = '';
  server.on('request', (request, response) => {
    const path = request.url ?? '';
    requests.push(path);
    const issuer = /^\/(github|gitlab)\//.exec(path)?.[1];
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (path === '/redirect') {
      // For the fetcher's tests: a key set is never fetched from where a redirect points.
      response.writeHead(302, { location: `${base}/github/jwks` });
      response.end();
    } else if (path === '/huge') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(Buffer.alloc(2 * 1024 * 1024, 0x20));
    } else if (issuer && path.endsWith('/.well-known/openid-configuration')) {
      send(200, { issuer: `${base}/${issuer}`, jwks_uri: `${base}/${issuer}/jwks` });
    } else if (issuer && path.endsWith('/jwks')) {
      send(200, { keys: state.keys.map((key) => key.jwk) });
    } else {
      send(404, { error: 'not found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const githubUrl = `${base}/github`;
  const gitlabUrl = `${base}/gitlab`;

  const sign: TestIssuer['sign'] = (claims, options = {}) => {
    const key = options.key ?? state.keys[0];
    if (!key) throw new Error('the test issuer has no key');
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? key.kid, typ: 'JWT' })
      .sign(key.privateKey);
  };
  const times = (now: Date) => ({
    iat: seconds(now) - 5,
    nbf: seconds(now) - 5,
    exp: seconds(now) + 300,
    jti: randomUUID(),
  });

  return {
    certificate,
    githubUrl,
    gitlabUrl,
    base,
    issuersFlag: `github=${githubUrl},gitlab=${gitlabUrl}`,
    get keys() {
      return state.keys;
    },
    set keys(keys: SigningKey[]) {
      state.keys = keys;
    },
    requests,
    github(audience, now, run = {}, claims = {}) {
      const owner = run.owner ?? 'contoso';
      const repository = `${owner}/${run.repository ?? 'lib'}`;
      const workflowRef = `${repository}/.github/workflows/${run.workflow ?? 'release.yml'}@refs/heads/main`;
      return sign({
        iss: githubUrl,
        aud: audience,
        ...times(now),
        sub: run.environment
          ? `repo:${repository}:environment:${run.environment}`
          : `repo:${repository}:ref:refs/heads/main`,
        ref: 'refs/heads/main',
        sha: 'a'.repeat(40),
        repository,
        repository_owner: owner,
        repository_owner_id: run.ownerId ?? '1001',
        repository_id: run.repositoryId ?? '2002',
        repository_visibility: 'private',
        actor: 'octocat',
        workflow: 'Release',
        workflow_ref: workflowRef,
        job_workflow_ref: workflowRef,
        event_name: 'push',
        ref_type: 'branch',
        run_id: run.runId ?? '4242',
        run_number: '7',
        run_attempt: '1',
        runner_environment: 'github-hosted',
        ...(run.environment ? { environment: run.environment } : {}),
        ...claims,
      });
    },
    gitlab(audience, now, job = {}, claims = {}) {
      const namespace = job.namespace ?? 'contoso/libraries';
      const projectPath = `${namespace}/${job.project ?? 'core'}`;
      const ref = job.ref ?? 'main';
      return sign({
        iss: gitlabUrl,
        aud: audience,
        ...times(now),
        sub: `project_path:${projectPath}:ref_type:${job.refType ?? 'branch'}:ref:${ref}`,
        namespace_id: job.namespaceId ?? '77',
        namespace_path: namespace,
        project_id: job.projectId ?? '88',
        project_path: projectPath,
        user_id: '5',
        user_login: 'alice',
        pipeline_id: '500',
        pipeline_source: 'push',
        job_id: job.jobId ?? '600',
        ref,
        ref_type: job.refType ?? 'branch',
        ref_protected: 'true',
        ...(job.environment ? { environment: job.environment, environment_protected: 'true' } : {}),
        ...claims,
      });
    },
    sign,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
