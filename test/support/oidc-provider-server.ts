// A real OpenID Connect provider for the web UI's single sign-on tests: the certified `oidc-provider` package,
// in-process on 127.0.0.1, with one confidential client (nugget) that must use PKCE. Its login and consent
// interactions finish at once as the account the test chose (`signInAs`), so a test drives the real
// authorization code flow, redirects and cookies included, without a login form.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestAccount {
  readonly sub: string;
  readonly email: string;
  readonly groups: readonly string[];
}

export interface TestOidcProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The account the next sign-in completes as. */
  signInAs(account: TestAccount): void;
  close(): Promise<void>;
}

/**
 * `redirectUri` may be a function: read at the provider's first request (a browser suite learns its server's
 * port after the provider must be named in its configuration).
 */
export async function startOidcProvider(options: {
  redirectUri: string | (() => string);
}): Promise<TestOidcProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'nugget';
  const clientSecret = 'nugget-test-client-secret-0123456789';
  const accounts = new Map<string, TestAccount>();
  let next: TestAccount | undefined;
  const makeProvider = () =>
    new Provider(issuer, {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: [
            typeof options.redirectUri === 'string' ? options.redirectUri : options.redirectUri(),
          ],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      pkce: { required: () => true },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
      findAccount: async (_ctx, sub) => {
        const account = accounts.get(sub);
        return account
          ? {
              accountId: sub,
              claims: async () => ({
                sub,
                email: account.email,
                email_verified: true,
                groups: [...account.groups],
              }),
            }
          : undefined;
      },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      cookies: { keys: ['nugget-test-cookie-key-0123456789'] },
      jwks: {
        keys: [
          {
            ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
            kid: 'test',
            use: 'sig',
          },
        ],
      },
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    });
  let made: { provider: Provider; callback: ReturnType<Provider['callback']> } | undefined;
  server.on('request', (request, response) => {
    if (!made) {
      const provider = makeProvider();
      made = { provider, callback: provider.callback() };
    }
    const { provider, callback } = made;
    if (!request.url?.startsWith('/interaction/')) {
      void callback(request, response);
      return;
    }
    void (async () => {
      const details = await provider.interactionDetails(request, response);
      if (details.prompt.name === 'login') {
        if (!next) throw new Error('call signInAs before signing in');
        accounts.set(next.sub, next);
        await provider.interactionFinished(request, response, { login: { accountId: next.sub } });
        return;
      }
      const grant = new provider.Grant({
        accountId: String(details.session?.accountId),
        clientId: String(details.params['client_id']),
      });
      grant.addOIDCScope(String(details.params['scope']));
      const grantId = await grant.save();
      await provider.interactionFinished(
        request,
        response,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    })().catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  return {
    issuer,
    clientId,
    clientSecret,
    signInAs: (account) => {
      next = account;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
