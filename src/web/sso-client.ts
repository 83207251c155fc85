// Single sign-on with any OpenID Connect provider, through openid-client (a certified relying party library):
// the authorization code flow with PKCE (S256), state and nonce (OpenID Connect Core 1.0 §3.1, RFC 7636). The
// provider's metadata is discovered once, and again after a failure. docs/web-ui.md.
import * as client from 'openid-client';
import type { SsoIdentity, SsoSettings } from '../auth/web-sessions.ts';
import { NuggetError, unavailable } from '../errors.ts';

/** What the browser keeps between the redirect to the provider and its return (a short-lived HttpOnly cookie). */
export interface PendingSignIn {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** Where to go once signed in (a local path). */
  readonly next: string;
}

const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);

export class SsoClient {
  readonly #settings: SsoSettings;
  #configuration: Promise<client.Configuration> | undefined;

  constructor(settings: SsoSettings) {
    this.#settings = settings;
  }

  #discover(): Promise<client.Configuration> {
    this.#configuration ??= (async () => {
      const issuer = new URL(this.#settings.issuer);
      // Plain http only to a provider on this machine (a test, or a provider beside nugget); never over a network.
      const insecure = issuer.protocol === 'http:' && loopback.has(issuer.hostname);
      try {
        return await client.discovery(
          issuer,
          this.#settings.clientId,
          this.#settings.clientSecret,
          this.#settings.clientSecret === undefined ? client.None() : undefined,
          insecure ? { execute: [client.allowInsecureRequests], timeout: 10 } : { timeout: 10 },
        );
      } catch (error) {
        this.#configuration = undefined;
        throw unavailable(
          'sso_provider_unreachable',
          `The single sign-on provider ${this.#settings.issuer} could not be reached or did not describe itself ` +
            `(${(error as Error).message}); sign in with an API key, or ask the admin to check --sso-issuer.`,
          { cause: error },
        );
      }
    })();
    return this.#configuration;
  }

  /** The provider's authorization URL for a new sign-in, and what to keep until the browser comes back. */
  async start(redirectUri: string, next: string): Promise<{ url: string; pending: PendingSignIn }> {
    const configuration = await this.#discover();
    const codeVerifier = client.randomPKCECodeVerifier();
    const pending: PendingSignIn = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier,
      next,
    };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url: url.href, pending };
  }

  /**
   * Exchanges the code the provider sent back (checking state, nonce, PKCE and the ID token) and reads userinfo;
   * the claims of both make the identity. A refusal by the provider or a failed check is the person's to retry.
   */
  async finish(callbackUrl: URL, pending: PendingSignIn): Promise<SsoIdentity> {
    const configuration = await this.#discover();
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (!idClaims) throw new Error('the provider sent no ID token');
      claims = { ...idClaims };
      if (configuration.serverMetadata().userinfo_endpoint) {
        const userInfo = await client.fetchUserInfo(configuration, tokens.access_token, idClaims.sub);
        claims = { ...userInfo, ...idClaims };
      }
    } catch (error) {
      if (error instanceof NuggetError) throw error;
      throw new NuggetError(
        'Forbidden',
        'sso_sign_in_failed',
        `Single sign-on did not complete (${(error as Error).message}): go back to the sign-in page and try again.`,
        { cause: error },
      );
    }
    const sub = String(claims.sub);
    const named = [this.#settings.nameClaim, 'email', 'preferred_username']
      .filter((claim): claim is string => claim !== undefined)
      .map((claim) => claims[claim])
      .find((value): value is string => typeof value === 'string' && value !== '');
    return { issuer: configuration.serverMetadata().issuer, subject: sub, name: named ?? sub, claims };
  }
}
