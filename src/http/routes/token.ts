// The token service of trusted publishing (docs/trusted-publishing.md; nuget.org's `/api/v2/token`, which the
// NuGet/login GitHub action calls): `POST` with `Authorization: Bearer <the CI's OpenID Connect token>` and
// `{"username": ..., "tokenType": "ApiKey"}`, answered 200 `{"apiKey": ...}`, or a 4xx `{"error": "<message>"}`
// that the action prints (hence not the `{error: {code, message}}` of the other routes; the code is beside it).
// `/feeds/{name}/api/v2/token` exchanges for that feed only; at `/api/v2/token` the matching policy decides.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { exchangeToken } from '../../auth/exchange-token.ts';
import { isNuggetError, notFound, unauthenticated } from '../../errors.ts';
import { noSuchFeed } from '../../packages/feed-directory.ts';
import { describeError } from '../error-handler.ts';
import type { HttpServices } from '../http-services.ts';
import { refuseWhileOverLimit } from '../request-auth.ts';
import { jsonBody } from './admin.ts';

interface FeedParams {
  feed?: string;
}

/** RFC 6750 §3: a refused bearer token is challenged, saying the token is the problem. */
const bearerChallenge = 'Bearer realm="nugget", error="invalid_token"';

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) {
    throw unauthenticated(
      'oidc_token_missing',
      'Send the CI platform\'s OpenID Connect token as "Authorization: Bearer <token>" (NuGet/login does).',
    );
  }
  return match[1];
}

export function tokenRoutes(app: FastifyInstance, services: HttpServices): void {
  void app.register(async (scope) => {
    scope.setErrorHandler((error: Error, request, reply) => {
      const { status, code, message } = describeError(error, request, reply);
      if (status === 401) reply.header('www-authenticate', bearerChallenge);
      return reply
        .code(status)
        .header('cache-control', 'no-store')
        .type('application/json; charset=utf-8')
        .send({ error: message, code });
    });

    // Before the body is read (request-guards.ts): is the service on, does the feed exist, is the client over the
    // limit of failures, did it send a token at all.
    const check = async (request: FastifyRequest<{ Params: FeedParams }>, reply: FastifyReply) => {
      if (!services.trust.verifier) {
        throw notFound(
          'trusted_publishing_disabled',
          'Trusted publishing is not enabled on this server: its admin gives --trusted-publishing-audience ' +
            '(or --public-url) to turn it on (docs/trusted-publishing.md).',
        );
      }
      const feed = request.params.feed;
      if (feed !== undefined && !(await services.feeds.find(feed))) throw noSuchFeed(feed);
      refuseWhileOverLimit(request, reply, services);
      // No token at all identifies nobody: it is not counted as a failed authentication.
      bearerToken(request);
    };

    const exchange = async (request: FastifyRequest<{ Params: FeedParams }>, reply: FastifyReply) => {
      const verifier = services.trust.verifier;
      if (!verifier) throw new Error('unreachable: checked in onRequest');
      const { address, now } = refuseWhileOverLimit(request, reply, services);
      try {
        const issued = await exchangeToken(
          {
            verifier,
            policies: services.trust.policies,
            usedTokens: services.trust.usedTokens,
            apiKeys: services.apiKeys,
            audit: services.audit,
            clock: services.clock,
            lifetimeCap: (name) => services.lifetimeCap([name]),
          },
          { token: bearerToken(request), body: request.body, feed: request.params.feed, source: address },
        );
        request.log.info({ key: issued.key.name, feed: issued.feed }, 'trusted publishing key issued');
        return reply
          .header('cache-control', 'no-store')
          .send({ apiKey: issued.apiKey, tokenType: 'ApiKey', expires: issued.expires, feed: issued.feed });
      } catch (error) {
        if (isNuggetError(error) && (error.kind === 'Unauthenticated' || error.kind === 'Forbidden')) {
          services.authFailures.recordFailure(address, now);
        }
        throw error;
      }
    };

    // A token and a user name: a few KB at most.
    const route = { onRequest: check, bodyLimit: 64 * 1024, config: jsonBody };
    scope.post('/api/v2/token', route, exchange);
    scope.post('/feeds/:feed/api/v2/token', route, exchange);
  });
}
