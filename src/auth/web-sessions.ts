// Sessions of the web UI (docs/web-ui.md, decision docs/decisions/0016-webui-admin-sessions-and-sign-in.md). A session is a
// row on the server, and the browser holds only `nus_<session id>_<secret>` in an HttpOnly cookie: the id finds the
// row, the secret is checked against its SHA-256 hash in constant time (as for API keys, api-key.ts), so a cookie
// made up or altered matches no session. Being on the server is what makes ending a session real: signing out
// revokes the row on every node, and each request rebuilds what the session may do from the key it was made with
// (revoked, expired or narrowed keys take effect at once) or from the SSO claims under the current role rules.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { forbidden } from '../errors.ts';
import type { Clock } from '../packages/ports.ts';
import { hashSecret, secretMatches } from './api-key.ts';
import { authenticate } from './authenticate.ts';
import { bootstrapPrincipal, type Principal } from './authorize.ts';
import type { ApiKeyStore } from './ports.ts';
import { claimsForRules, principalOfClaims, type SsoRoleRule } from './sso-roles.ts';

export type SignInMethod = 'api-key' | 'bootstrap' | 'sso';

export interface WebSession {
  readonly id: string;
  /** hashSecret(secret): the secret itself is never stored. */
  readonly secretHash: string;
  readonly method: SignInMethod;
  /** The key's name, 'bootstrap', or the SSO user's name (e-mail, else subject). */
  readonly name: string;
  /** The managed key the session was made with. */
  readonly keyId?: string | undefined;
  /**
   * bootstrap: a digest of the bootstrap key keyed with the session's secret (a session ends when the key
   * changes, and the row reveals nothing guessable about the key); sso: `issuer subject`.
   */
  readonly subject?: string | undefined;
  /** sso: the values of the claims the role rules read (sso-roles.ts). */
  readonly claims?: Readonly<Record<string, readonly string[]>> | undefined;
  /** The synchronizer token every form of the session carries (CSRF). */
  readonly csrfToken: string;
  /** ISO 8601. */
  readonly created: string;
  readonly expires: string;
  readonly revoked?: string | undefined;
}

export interface WebSessionStore {
  insert(session: WebSession): Promise<void>;
  find(id: string): Promise<WebSession | undefined>;
  /** Marks the session revoked at `at` (signing out); a revoked or unknown session stays so. */
  revoke(id: string, at: Date): Promise<void>;
  /** Removes sessions that expired or were revoked before `before`; returns how many. */
  deleteEnded(before: Date): Promise<number>;
}

export interface WebSessionDeps {
  readonly sessions: WebSessionStore;
  readonly apiKeys: ApiKeyStore;
  readonly clock: Clock;
  readonly bootstrapKey?: string | undefined;
  readonly ssoRules: readonly SsoRoleRule[];
  /** How long a session lasts at most (--session-lifetime); a key's expiry ends it sooner. */
  readonly lifetimeMs: number;
}

/** Single sign-on through an OpenID Connect provider (--sso-issuer ...; docs/web-ui.md). */
export interface SsoSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret?: string | undefined;
  /** The claim that names a person; default email, else preferred_username, else sub. */
  readonly nameClaim?: string | undefined;
}

/** What the web UI's sign-in needs, built in compose.ts. */
export interface WebSignInServices {
  readonly sessions: WebSessionStore;
  readonly ssoRules: readonly SsoRoleRule[];
  readonly lifetimeMs: number;
  /** Undefined when single sign-on is not configured: sign-in is with a key only. */
  readonly sso?: SsoSettings | undefined;
}

/** Someone signed in: who, what they may do (through authorize(), as a key would), and their forms' CSRF token. */
export interface SignedIn {
  readonly sessionId: string;
  readonly method: SignInMethod;
  readonly name: string;
  readonly keyId?: string | undefined;
  readonly principal: Principal;
  readonly csrfToken: string;
  readonly expires: string;
}

const tokenPattern = /^nus_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

/** Ended sessions are kept this long (a person who signs in again meanwhile is told nothing odd), then removed. */
const keepEndedMs = 24 * 3_600_000;

const bootstrapDigest = (secret: string, bootstrapKey: string): string =>
  createHash('sha256').update(`${secret}\n${bootstrapKey}`, 'utf8').digest('hex');

const sameText = (a: string, b: string): boolean => {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
};

async function startSession(
  deps: WebSessionDeps,
  fields: Omit<WebSession, 'id' | 'secretHash' | 'csrfToken' | 'created' | 'expires' | 'subject'> & {
    expiresNoLaterThan?: string | undefined;
    subject?: (secret: string) => string;
  },
): Promise<{ token: string; signedIn: SignedIn; session: WebSession }> {
  const now = deps.clock.now();
  const id = randomBytes(16).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const lifetimeEnd = now.getTime() + deps.lifetimeMs;
  const keyEnd = fields.expiresNoLaterThan ? Date.parse(fields.expiresNoLaterThan) : Number.POSITIVE_INFINITY;
  const session: WebSession = {
    id,
    secretHash: hashSecret(secret),
    method: fields.method,
    name: fields.name,
    keyId: fields.keyId,
    subject: fields.subject?.(secret),
    claims: fields.claims,
    csrfToken: randomBytes(32).toString('base64url'),
    created: now.toISOString(),
    expires: new Date(Math.min(lifetimeEnd, keyEnd)).toISOString(),
  };
  await deps.sessions.deleteEnded(new Date(now.getTime() - keepEndedMs));
  await deps.sessions.insert(session);
  const token = `nus_${id}_${secret}`;
  const signedIn = await resumeSession(deps, token);
  if (!signedIn) throw new Error('a session just made could not be resumed');
  return { token, signedIn, session };
}

/**
 * Signs in with an API key (a managed key, or the bootstrap key): checked by authenticate(), as every API request
 * is. A wrong, revoked or expired key is refused with authenticate()'s reason.
 */
export async function signInWithKey(
  deps: WebSessionDeps,
  presented: string,
): Promise<{ token: string; signedIn: SignedIn }> {
  const result = await authenticate(
    { apiKeys: deps.apiKeys, clock: deps.clock, bootstrapKey: deps.bootstrapKey },
    presented.trim(),
  );
  if (!result.ok) throw forbidden(result.code, result.reason);
  const { principal } = result;
  if (principal.keyId === undefined) {
    const bootstrapKey = deps.bootstrapKey ?? '';
    return startSession(deps, {
      method: 'bootstrap',
      name: principal.name,
      subject: (secret) => bootstrapDigest(secret, bootstrapKey),
    });
  }
  const key = await deps.apiKeys.find(principal.keyId);
  return startSession(deps, {
    method: 'api-key',
    name: principal.name,
    keyId: principal.keyId,
    expiresNoLaterThan: key?.expires,
  });
}

/** What an OpenID Connect provider said about the person (ID token claims merged with userinfo). */
export interface SsoIdentity {
  readonly issuer: string;
  readonly subject: string;
  /** What the pages and the audit log call the person: e-mail, preferred user name, else subject. */
  readonly name: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Signs in someone the provider vouched for, with the roles the rules give their claims; none is a refusal. */
export async function signInWithSso(
  deps: WebSessionDeps,
  identity: SsoIdentity,
): Promise<{ token: string; signedIn: SignedIn }> {
  const name = `sso:${identity.name}`;
  if (!principalOfClaims(deps.ssoRules, identity.claims, name)) {
    throw forbidden(
      'sso_no_role',
      `You signed in as ${identity.name}, but none of your groups or claims gives you a role on this server. ` +
        'Ask its admin to add you to a group named in its sso-roles setting.',
    );
  }
  return startSession(deps, {
    method: 'sso',
    name,
    subject: () => `${identity.issuer} ${identity.subject}`,
    claims: claimsForRules(deps.ssoRules, identity.claims),
  });
}

/** What a session may do now, or undefined when what it was made with no longer lets it in. */
async function principalOf(
  deps: WebSessionDeps,
  session: WebSession,
  secret: string,
): Promise<Principal | undefined> {
  const now = deps.clock.now().getTime();
  switch (session.method) {
    case 'bootstrap':
      return deps.bootstrapKey !== undefined &&
        session.subject !== undefined &&
        sameText(session.subject, bootstrapDigest(secret, deps.bootstrapKey))
        ? bootstrapPrincipal
        : undefined;
    case 'api-key': {
      const key = session.keyId === undefined ? undefined : await deps.apiKeys.find(session.keyId);
      if (!key || key.revoked || (key.expires && Date.parse(key.expires) <= now)) return undefined;
      return {
        name: key.name,
        keyId: key.keyId,
        scopes: key.scopes,
        packages: key.packages,
        feeds: key.feeds,
      };
    }
    case 'sso':
      return principalOfClaims(deps.ssoRules, session.claims ?? {}, session.name);
  }
}

/** The person a session cookie stands for, or undefined (unknown, forged, expired, signed out, key revoked). */
export async function resumeSession(deps: WebSessionDeps, token: string): Promise<SignedIn | undefined> {
  const match = tokenPattern.exec(token);
  if (!match?.[1] || !match[2]) return undefined;
  const session = await deps.sessions.find(match[1]);
  if (!session || !secretMatches(match[2], session.secretHash)) return undefined;
  if (session.revoked || Date.parse(session.expires) <= deps.clock.now().getTime()) return undefined;
  const principal = await principalOf(deps, session, match[2]);
  if (!principal) return undefined;
  return {
    sessionId: session.id,
    method: session.method,
    name: session.name,
    keyId: session.keyId,
    principal,
    csrfToken: session.csrfToken,
    expires: session.expires,
  };
}

/** Ends the session for good, on every node. */
export async function signOut(
  deps: Pick<WebSessionDeps, 'sessions' | 'clock'>,
  sessionId: string,
): Promise<void> {
  await deps.sessions.revoke(sessionId, deps.clock.now());
}

/** Whether a form's token is the session's, in constant time. */
export const csrfTokenMatches = (signedIn: SignedIn, given: unknown): boolean =>
  typeof given === 'string' && sameText(given, signedIn.csrfToken);
