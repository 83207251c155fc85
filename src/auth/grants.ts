// A person signed in to the web UI may hold several grants: a key is one, an SSO sign-in one per role rule it
// matched (sso-roles.ts: publisher on one feed, reader on another). Each grant is a Principal and each decision is
// authorize()'s, so the pages allow exactly what the API allows (docs/web-ui.md).
import { type Action, authorize, type Decision, type Principal } from './authorize.ts';

/** Allowed when some grant allows; otherwise the refusal of the first grant valid for the feed, for its reason. */
export function authorizeGrants(
  grants: readonly Principal[],
  action: Action,
  id?: string,
  feed?: string,
): Decision {
  const decisions = grants.map((grant) => authorize(grant, action, id, feed));
  const allowed = decisions.find((decision) => decision.allowed);
  if (allowed) return allowed;
  const refusal =
    decisions.find((decision) => !decision.allowed && decision.code !== 'api_key_wrong_feed') ?? decisions[0];
  return (
    refusal ?? {
      allowed: false,
      code: 'api_key_out_of_scope',
      reason: 'Sign in first: this needs a key or a single sign-on role that allows it.',
    }
  );
}

export const mayGrants = (
  grants: readonly Principal[],
  action: Action,
  id?: string,
  feed?: string,
): boolean => authorizeGrants(grants, action, id, feed).allowed;
