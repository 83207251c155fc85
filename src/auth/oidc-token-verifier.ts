// Verifies the OpenID Connect token a CI job presents for trusted publishing (docs/trusted-publishing.md): its
// signature against the issuer's published keys (OpenID Connect Discovery 1.0 §4: `{issuer}/.well-known/
// openid-configuration` names the `jwks_uri`), or against keys configured by hand where the server cannot reach the
// issuer; then issuer, audience, expiry and not-before, with a small clock skew. The JOSE work is jose's.
//
// Only asymmetric algorithms are accepted: with a symmetric one (HS256) the "secret" would be the issuer's PUBLIC
// key, which anyone can fetch, and `none` is no signature at all. Until a token has passed these checks the
// refusal says only what is wrong with the token, never anything about the server's trust policies.
import type * as Jose from 'jose';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';
import { type NuggetError, unauthenticated, unavailable } from '../errors.ts';
import { importedOnce } from '../lazy-import.ts';
import type { TrustPolicyKind } from './trust-policy.ts';

/** The asymmetric JWS algorithms (RFC 7518 §3.1, RFC 8037) a CI platform signs with. */
export const acceptedAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'EdDSA',
  'Ed25519',
] as const;

/** Seconds of disagreement between our clock and the issuer's that expiry and not-before allow. */
export const clockSkewSeconds = 60;

/** How a key set is fetched: jose's fetch contract, so the server can bring its own CA bundle and limits. */
export type KeyFetch = (
  url: string,
  options: { headers: Headers; method: 'GET'; redirect: 'manual'; signal: AbortSignal },
) => Promise<Response>;

export interface OidcIssuerConfig {
  readonly kind: TrustPolicyKind;
  /** The issuer URL exactly as tokens carry it in `iss`, e.g. https://token.actions.githubusercontent.com. */
  readonly url: string;
  /** Keys configured by hand (air-gapped sites): nothing is fetched for this issuer. */
  readonly jwks?: JSONWebKeySet | undefined;
}

export interface VerifiedToken {
  readonly issuer: OidcIssuerConfig;
  readonly claims: JWTPayload;
  /** When the token stops being valid (its exp): until then a replay must be refused. */
  readonly expires: Date;
  /** What identifies this token among the issuer's tokens, for replay detection (its jti, or a hash). */
  readonly tokenId: string | undefined;
}

const maxTokenLength = 16 * 1024;
const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

// jose is loaded with the first token verified, not at start: trusted publishing is off on most servers, and the
// library is some 45 modules.
const loadJose: () => Promise<typeof Jose> = importedOnce(() => import('jose'));

const refuse = (code: string, reason: string): NuggetError => unauthenticated(code, reason);

export class OidcTokenVerifier {
  readonly #issuers: ReadonlyMap<string, OidcIssuerConfig>;
  readonly #audiences: readonly string[];
  readonly #fetch: KeyFetch;
  readonly #cooldownMs: number;
  readonly #keySets = new Map<string, Promise<JWTVerifyGetKey>>();

  constructor(options: {
    issuers: readonly OidcIssuerConfig[];
    audiences: readonly string[];
    fetch: KeyFetch;
    /** How soon after a fetch an unknown key id may fetch the key set again (default 30 s). */
    refetchCooldownMs?: number;
  }) {
    this.#issuers = new Map(options.issuers.map((issuer) => [issuer.url, issuer]));
    this.#audiences = options.audiences;
    this.#fetch = options.fetch;
    this.#cooldownMs = options.refetchCooldownMs ?? 30_000;
  }

  get issuers(): readonly OidcIssuerConfig[] {
    return [...this.#issuers.values()];
  }

  get audiences(): readonly string[] {
    return this.#audiences;
  }

  /** The verified token, or a NuggetError: Unauthenticated for the token's faults, Unavailable for the issuer's. */
  async verify(token: string, now: Date): Promise<VerifiedToken> {
    if (token.length > maxTokenLength || !compactJws.test(token)) {
      throw refuse(
        'oidc_token_malformed',
        'The bearer token is not a signed JWT (three base64url parts separated by dots).',
      );
    }
    const { decodeProtectedHeader, decodeJwt, errors, jwtVerify } = await loadJose();
    let alg: string | undefined;
    let unverified: JWTPayload;
    try {
      alg = decodeProtectedHeader(token).alg;
      unverified = decodeJwt(token);
    } catch {
      throw refuse(
        'oidc_token_malformed',
        'The bearer token is not a JWT: its header or claims are not JSON.',
      );
    }
    if (!(acceptedAlgorithms as readonly string[]).includes(alg ?? '')) {
      throw refuse(
        'oidc_token_algorithm',
        `The token is signed with '${String(alg).slice(0, 20)}', which is not accepted: only asymmetric ` +
          `signatures (${acceptedAlgorithms.join(', ')}) are.`,
      );
    }
    const issuer = typeof unverified.iss === 'string' ? this.#issuers.get(unverified.iss) : undefined;
    if (!issuer) {
      throw refuse(
        'oidc_token_issuer',
        `The token's issuer '${String(unverified.iss).slice(0, 200)}' is not one this server trusts ` +
          `(${[...this.#issuers.keys()].join(', ') || 'none configured'}).`,
      );
    }
    const keys = await this.#keysOf(issuer);
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, {
        issuer: issuer.url,
        audience: [...this.#audiences],
        algorithms: [...acceptedAlgorithms],
        clockTolerance: clockSkewSeconds,
        currentDate: now,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw this.#refusalOf(errors, error, issuer, unverified);
    }
    return {
      issuer,
      claims,
      expires: new Date((claims.exp ?? 0) * 1000),
      tokenId: typeof claims.jti === 'string' && claims.jti !== '' ? claims.jti : undefined,
    };
  }

  #refusalOf(
    errors: typeof Jose.errors,
    error: unknown,
    issuer: OidcIssuerConfig,
    unverified: JWTPayload,
  ): NuggetError {
    if (error instanceof errors.JWTExpired) {
      const exp = typeof unverified.exp === 'number' ? new Date(unverified.exp * 1000).toISOString() : '?';
      return refuse(
        'oidc_token_expired',
        `The token expired at ${exp}: request a new one from the CI platform just before the exchange.`,
      );
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.claim === 'nbf' || error.claim === 'iat') {
        return refuse(
          'oidc_token_not_yet_valid',
          `The token is not valid yet (its ${error.claim} is in the future): check the clocks of the CI runner and this server.`,
        );
      }
      if (error.claim === 'aud') {
        return refuse(
          'oidc_token_audience',
          `The token's audience ${JSON.stringify(unverified.aud)?.slice(0, 200)} is not this server's: request ` +
            `the token with audience ${this.#audiences.map((a) => `'${a}'`).join(' or ')} (NuGet/login: ` +
            `audience; GitLab: id_tokens aud).`,
        );
      }
      return refuse('oidc_token_invalid', `The token's ${error.claim} claim is not valid: ${error.reason}.`);
    }
    if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
      return refuse(
        'oidc_token_key_unknown',
        `No signing key of ${issuer.url} matches the token's key id: the token was not signed by that issuer.`,
      );
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return refuse('oidc_token_signature', 'The token signature is invalid.');
    }
    if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
      return refuse('oidc_token_algorithm', `The token's algorithm is not accepted: ${error.message}.`);
    }
    if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
      return refuse('oidc_token_malformed', `The bearer token is not a valid JWT: ${error.message}.`);
    }
    return keysUnavailable(issuer, error);
  }

  /** The issuer's key set: configured, or discovered once and then kept by jose (refetched for an unknown kid). */
  #keysOf(issuer: OidcIssuerConfig): Promise<JWTVerifyGetKey> {
    const { jwks } = issuer;
    if (jwks) return loadJose().then(({ createLocalJWKSet }) => createLocalJWKSet(jwks));
    let keys = this.#keySets.get(issuer.url);
    if (!keys) {
      keys = this.#discover(issuer);
      // A failed discovery is tried again by the next exchange, not remembered.
      keys.catch(() => this.#keySets.delete(issuer.url));
      this.#keySets.set(issuer.url, keys);
    }
    return keys;
  }

  async #discover(issuer: OidcIssuerConfig): Promise<JWTVerifyGetKey> {
    const url = `${issuer.url.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let document: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const response = await this.#fetch(url, {
        headers: new Headers({ accept: 'application/json' }),
        method: 'GET',
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
      document = (await response.json()) as typeof document;
    } catch (error) {
      throw keysUnavailable(issuer, error);
    }
    // OpenID Connect Discovery 1.0 §4.3: the document's issuer must be the one asked for, exactly.
    if (document.issuer !== issuer.url || typeof document.jwks_uri !== 'string') {
      throw keysUnavailable(issuer, new Error(`${url} names another issuer, or no jwks_uri`));
    }
    const jwksUri = new URL(document.jwks_uri);
    if (jwksUri.protocol !== 'https:') {
      throw keysUnavailable(issuer, new Error(`its jwks_uri ${document.jwks_uri} is not https`));
    }
    const { createRemoteJWKSet, customFetch } = await loadJose();
    return createRemoteJWKSet(jwksUri, {
      [customFetch]: this.#fetch,
      timeoutDuration: 10_000,
      // An unknown kid (the issuer rotated its keys) refetches the set, at most once per cooldown.
      cooldownDuration: this.#cooldownMs,
      cacheMaxAge: 10 * 60_000,
    });
  }
}

function keysUnavailable(issuer: OidcIssuerConfig, error: unknown): NuggetError {
  return unavailable(
    'oidc_keys_unavailable',
    `The signing keys of ${issuer.url} could not be fetched (${(error as Error).message ?? String(error)}): ` +
      'try again later; the server admin checks that it can reach the issuer over https.',
    { cause: error },
  );
}
