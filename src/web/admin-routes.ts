// The admin pages of the web UI (docs/web-ui.md), for people signed in (web-session-request.ts). Each page and
// each form calls the use case the admin API calls (routes/admin*.ts, routes/package-publish.ts), after the same
// authorize() decision, and each change is audited as the API's are, with the person's name as the actor.
// Anonymous visitors are sent to the sign-in page; a signed-in person a page is not for gets 403 with the reason
// authorize() gives (the same words the API would answer).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiKeyScopes, isApiKeyScope, type ApiKeyScope } from '../auth/api-key-scope.ts';
import { parseExpiry, parseSince } from '../auth/expiry.ts';
import { createApiKey, listApiKeys, type Requester, revokeApiKey } from '../auth/manage-api-keys.ts';
import { auditActions, type AuditAction, type AuditRecord } from '../auth/ports.ts';
import type { SignedIn } from '../auth/web-sessions.ts';
import { parseFeedChange } from '../config/feed-settings.ts';
import { invalidInput, notFound } from '../errors.ts';
import type { HttpServices } from '../http/http-services.ts';
import { receiveAndPublish } from '../http/routes/package-publish.ts';
import { audited, clientAddress, setPrincipalOf, type AuditNote } from '../http/request-auth.ts';
import { deprecatePackage, deprecationReasons, parseDeprecation } from '../packages/deprecate-package.ts';
import { listFeeds, updateFeed } from '../packages/manage-feeds.ts';
import { deletePackage, packageKey, setListed } from '../packages/manage-package.ts';
import { type AdminPages, csrfInput } from './admin-html.ts';
import { type Html, html } from './html.ts';
import { formBody } from './sign-in-routes.ts';
import {
  csrfField,
  mayDo,
  requireCsrfToken,
  requireGrant,
  signedInOf,
  toSignIn,
} from './web-session-request.ts';

type Form = Record<string, string | string[] | undefined>;
const text = (body: unknown, name: string): string => {
  const value = (body as Form | undefined)?.[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() ?? '';
};
const list = (body: unknown, name: string): string[] => {
  const value = (body as Form | undefined)?.[name];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((item) => item.trim());
};
const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

/** The signed-in person, or undefined after answering with the way to the sign-in page. */
async function signedInOrSent(
  request: FastifyRequest,
  reply: FastifyReply,
  services: HttpServices,
): Promise<SignedIn | undefined> {
  const signedIn = await signedInOf(request, services);
  if (!signedIn) {
    toSignIn(request, reply);
    return undefined;
  }
  return signedIn;
}

/** For a form: signed in (else 403, nothing done), its CSRF token right, and the audit log's actor set. */
async function formOf(request: FastifyRequest, services: HttpServices, token: unknown): Promise<SignedIn> {
  const signedIn = await signedInOf(request, services);
  if (!signedIn) {
    throw invalidInput('signed_out', 'You are not signed in (any more): sign in and send the form again.');
  }
  requireCsrfToken(request, services, signedIn, token);
  setPrincipalOf(request, signedIn.principal);
  return signedIn;
}

const requesterOf = (request: FastifyRequest, signedIn: SignedIn): Requester => ({
  actor: signedIn.name,
  keyId: signedIn.keyId,
  source: clientAddress(request),
});

interface VersionParams {
  feed: string;
  id: string;
  version: string;
}

export function adminRoutes(app: FastifyInstance, services: HttpServices, pages: AdminPages): void {
  const page = (
    request: FastifyRequest,
    reply: FastifyReply,
    title: string,
    signedIn: SignedIn,
    body: Html,
  ) => pages.send(request, reply, { title, signedIn, body });
  const feedDeps = {
    feeds: services.feedStore,
    directory: services.feeds,
    blobs: services.blobs,
    audit: services.audit,
    clock: services.clock,
  };
  const keyDeps = {
    apiKeys: services.apiKeys,
    audit: services.audit,
    clock: services.clock,
    lifetimeCap: services.lifetimeCap,
  };

  app.get('/ui/admin', async (request, reply) => {
    const signedIn = await signedInOrSent(request, reply, services);
    if (!signedIn) return reply;
    const feeds = (await services.feeds.list()).filter(
      (feed) =>
        mayDo(signedIn, 'unlist', undefined, feed.name) ||
        mayDo(signedIn, 'push', undefined, feed.name) ||
        mayDo(signedIn, 'read-audit-log', undefined, feed.name),
    );
    const serverAdmin = mayDo(signedIn, 'manage-feeds');
    if (feeds.length === 0 && !serverAdmin) {
      requireGrant(signedIn, 'read-audit-log');
    }
    return page(
      request,
      reply,
      'Admin',
      signedIn,
      html` ${
          serverAdmin
            ? html`<ul class="admin-sections">
                <li><a href="/ui/admin/feeds">Feeds and their settings</a></li>
                <li><a href="/ui/admin/keys">API keys</a></li>
                <li><a href="/ui/admin/audit">Audit log</a></li>
                <li><a href="/ui/admin/upstreams">Upstreams</a></li>
              </ul>`
            : ''
        }
        <h2>Your feeds</h2>
        <ul class="admin-feeds">
          ${feeds.map(
            (feed) =>
              html`<li>
                <strong>${feed.name}</strong>
                ${mayDo(signedIn, 'push', undefined, feed.name) ? html` <a href="/ui/admin/feeds/${feed.name}/upload">Upload a package</a>` : ''}
                ${mayDo(signedIn, 'read-audit-log', undefined, feed.name) ? html` <a href="/ui/admin/audit?feed=${feed.name}">Audit log</a>` : ''}
                <form method="get" action="/ui/admin/feeds/${feed.name}/version" class="find-version">
                  <label>Package id <input name="id" required /></label>
                  <label>Version <input name="version" required /></label>
                  <button type="submit">Manage version</button>
                </form>
              </li>`,
          )}
        </ul>`,
    );
  });

  // Feeds and their settings: for server admins, as GET/PATCH /admin/feeds.
  app.get('/ui/admin/feeds', async (request, reply) => {
    const signedIn = await signedInOrSent(request, reply, services);
    if (!signedIn) return reply;
    requireGrant(signedIn, 'manage-feeds');
    const feeds = await listFeeds(feedDeps);
    return page(
      request,
      reply,
      'Feeds',
      signedIn,
      html`<table class="feeds">
          <thead>
            <tr>
              <th>Feed</th>
              <th>Versions</th>
              <th>Private</th>
              <th>Delete behavior</th>
              <th>Max package size</th>
              <th>Repush after delete</th>
              <th>Description</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${feeds.map(
              (feed) =>
                html`<tr>
                  <td>${feed.name}</td>
                  <td>${feed.versions}</td>
                  <td colspan="6">
                    <form method="post" action="/ui/admin/feeds/${feed.name}" class="feed-settings">
                      ${csrfInput(signedIn)}
                      <select name="private" aria-label="Private">
                        ${['inherit', 'true', 'false'].map(
                          (value) =>
                            html`<option
                              value="${value}"
                              ${String(feed.overrides.private ?? 'inherit') === value ? 'selected' : ''}
                            >
                              ${value}
                            </option>`,
                        )}
                      </select>
                      <select name="deleteBehavior" aria-label="Delete behavior">
                        ${['inherit', 'unlist', 'delete'].map(
                          (value) =>
                            html`<option
                              value="${value}"
                              ${(feed.overrides.deleteBehavior ?? 'inherit') === value ? 'selected' : ''}
                            >
                              ${value}
                            </option>`,
                        )}
                      </select>
                      <input
                        name="maxPackageSize"
                        aria-label="Max package size"
                        value="${feed.overrides.maxPackageSize ?? ''}"
                        placeholder="${feed.settings.maxPackageSize}"
                      />
                      <select name="allowRepushAfterDelete" aria-label="Repush after delete">
                        ${['inherit', 'true', 'false'].map(
                          (value) =>
                            html`<option
                              value="${value}"
                              ${String(feed.overrides.allowRepushAfterDelete ?? 'inherit') === value ? 'selected' : ''}
                            >
                              ${value}
                            </option>`,
                        )}
                      </select>
                      <input name="description" aria-label="Description" value="${feed.description}" />
                      <button type="submit">Save</button>
                    </form>
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
        <p>
          Kinds of feed: every feed here is hosted (packages pushed to it). Creating and deleting feeds:
          <code>nugget feed create</code> and <code>nugget feed delete</code> (docs/feeds.md).
        </p>`,
    );
  });

  app.post<{ Params: { name: string } }>(
    '/ui/admin/feeds/:name',
    { config: formBody },
    async (request, reply) => {
      const signedIn = await formOf(request, services, text(request.body, csrfField));
      await audited(
        services,
        request,
        { action: 'update-feed', feed: request.params.name },
        async () => {
          requireGrant(signedIn, 'manage-feeds');
          const setting = (name: string) => {
            const value = text(request.body, name);
            return value === 'inherit' || value === '' ? null : value;
          };
          const change = parseFeedChange({
            description: text(request.body, 'description'),
            private: setting('private'),
            deleteBehavior: setting('deleteBehavior'),
            maxPackageSize: setting('maxPackageSize'),
            allowRepushAfterDelete: setting('allowRepushAfterDelete'),
          });
          await updateFeed(feedDeps, requesterOf(request, signedIn), request.params.name, change);
        },
        { onlyFailures: true },
      );
      return reply.redirect('/ui/admin/feeds', 303);
    },
  );

  // Upstreams and their health, as `nugget upstream status` shows them (docs/upstreams.md, "Operations"): the
  // breaker, the last success and error, the stale answers and what each keeps cached.
  app.get('/ui/admin/upstreams', async (request, reply) => {
    const signedIn = await signedInOrSent(request, reply, services);
    if (!signedIn) return reply;
    requireGrant(signedIn, 'manage-feeds');
    const upstreams = (await services.upstreamReport?.()) ?? [];
    return page(
      request,
      reply,
      'Upstreams',
      signedIn,
      upstreams.length === 0
        ? html`<p class="upstreams-none">
            No feed of this server reads from an upstream. Add one with
            <code
              >nugget feed create nuget-org --kind upstream --source https://api.nuget.org/v3/index.json</code
            >
            (docs/upstreams.md).
          </p>`
        : html`<table class="upstreams">
            <thead>
              <tr>
                <th scope="col">Feed</th>
                <th scope="col">Source</th>
                <th scope="col">Breaker</th>
                <th scope="col">Last success</th>
                <th scope="col">Last error</th>
                <th scope="col">Stale answers</th>
                <th scope="col">Cached packages</th>
              </tr>
            </thead>
            <tbody>
              ${upstreams.map(
                (u) =>
                  html`<tr>
                    <td>${u.feed}</td>
                    <td><code>${u.source}</code></td>
                    <td class="${`breaker-${u.breaker}`}">${u.breaker}</td>
                    <td>${u.lastSuccess ?? 'never'}</td>
                    <td>${u.lastError ? `${u.lastError.at}: ${u.lastError.message}` : 'none'}</td>
                    <td>${String(u.staleAnswers)}</td>
                    <td>${String(u.cachedPackages)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`,
    );
  });

  // API keys: server-wide, as `nugget apikey` (manage-api-keys.ts).
  const keysPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    signedIn: SignedIn,
    created?: { key: string; name: string },
  ) => {
    const keys = await listApiKeys(services);
    const feeds = await services.feeds.list();
    return page(
      request,
      reply,
      'API keys',
      signedIn,
      html` ${
          created
            ? html`<section class="new-key" aria-live="polite">
                <h2>Key ${created.name} created</h2>
                <p>Copy it now: it is shown only this once, and only a hash of it is kept.</p>
                <p><code class="secret" id="new-key">${created.key}</code></p>
              </section>`
            : ''
        }
        <table class="keys">
          <thead>
            <tr>
              <th>Name</th>
              <th>Id</th>
              <th>Scopes</th>
              <th>Ids</th>
              <th>Feeds</th>
              <th>Created</th>
              <th>Expires</th>
              <th>Last used</th>
              <th>Revoked</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${keys.map(
              (key) =>
                html`<tr data-key="${key.name}">
                  <td>${key.name}</td>
                  <td>${key.keyId}</td>
                  <td>${key.scopes.join(', ')}</td>
                  <td>${key.packages.join(', ')}</td>
                  <td>${key.feeds.join(', ')}</td>
                  <td>${key.created}</td>
                  <td>${key.expires ?? 'never'}</td>
                  <td>${key.lastUsed ?? ''}</td>
                  <td>${key.revoked ?? ''}</td>
                  <td>
                    ${
                      key.revoked
                        ? ''
                        : html`<form method="post" action="/ui/admin/keys/${key.keyId}/revoke">
                            ${csrfInput(signedIn)}<button type="submit">Revoke</button>
                          </form>`
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
        <h2>Create a key</h2>
        <form method="post" action="/ui/admin/keys" class="create-key">
          ${csrfInput(signedIn)}
          <label>Name <input name="name" required pattern="[A-Za-z0-9][A-Za-z0-9._@\\-]{0,63}" /></label>
          <fieldset>
            <legend>Scopes</legend>
            ${apiKeyScopes.map(
              (scope) =>
                html`<label><input type="checkbox" name="scopes" value="${scope}" /> ${scope}</label> `,
            )}
          </fieldset>
          <label>Package ids (comma-separated patterns) <input name="packages" value="*" /></label>
          <label
            >Feeds (comma-separated; * for every feed) <input name="feeds" value="*" list="feed-names"
          /></label>
          <datalist id="feed-names">
            ${feeds.map((feed) => html`<option value="${feed.name}"></option>`)}
          </datalist>
          <label>Expires (90d, 12h, 2w, a date, or never) <input name="expires" value="90d" /></label>
          <button type="submit">Create</button>
        </form>`,
    );
  };

  app.get('/ui/admin/keys', async (request, reply) => {
    const signedIn = await signedInOrSent(request, reply, services);
    if (!signedIn) return reply;
    requireGrant(signedIn, 'manage-api-keys');
    return keysPage(request, reply, signedIn);
  });

  app.post('/ui/admin/keys', { config: formBody }, async (request, reply) => {
    const signedIn = await formOf(request, services, text(request.body, csrfField));
    requireGrant(signedIn, 'manage-api-keys');
    const scopes = list(request.body, 'scopes');
    const unknown = scopes.filter((scope) => !isApiKeyScope(scope));
    if (scopes.length === 0 || unknown.length > 0) {
      throw invalidInput('scopes_missing', `Choose at least one scope of ${apiKeyScopes.join(', ')}.`);
    }
    const expires = parseExpiry(text(request.body, 'expires') || 'never', services.clock.now());
    const created = await createApiKey(keyDeps, requesterOf(request, signedIn), {
      name: text(request.body, 'name'),
      scopes: scopes as ApiKeyScope[],
      packages: commaList(text(request.body, 'packages') || '*'),
      feeds: commaList(text(request.body, 'feeds') || '*'),
      expires,
    });
    // The secret is in this answer only: never cached, never in a URL.
    return keysPage(request, reply, signedIn, { key: created.key, name: created.apiKey.name });
  });

  app.post<{ Params: { keyId: string } }>(
    '/ui/admin/keys/:keyId/revoke',
    { config: formBody },
    async (request, reply) => {
      const signedIn = await formOf(request, services, text(request.body, csrfField));
      requireGrant(signedIn, 'manage-api-keys');
      await revokeApiKey(keyDeps, requesterOf(request, signedIn), request.params.keyId);
      return reply.redirect('/ui/admin/keys', 303);
    },
  );

  // The audit log, with filters: server-wide for server admins, one feed's for that feed's admins.
  app.get<{ Querystring: Record<string, string | undefined> }>('/ui/admin/audit', async (request, reply) => {
    const signedIn = await signedInOrSent(request, reply, services);
    if (!signedIn) return reply;
    const feed = request.query.feed || undefined;
    requireGrant(signedIn, 'read-audit-log', feed);
    const now = services.clock.now();
    const since = request.query.since ? parseSince(request.query.since, now) : undefined;
    const limit = Math.min(Math.max(Number(request.query.limit ?? 100) || 100, 1), 1000);
    const action = request.query.action || undefined;
    if (action !== undefined && !(auditActions as readonly string[]).includes(action)) {
      throw invalidInput(
        'audit_action_unknown',
        `'${action}' is not an audit action: use one of ${auditActions.join(', ')}.`,
      );
    }
    const actor = request.query.actor?.trim() || undefined;
    const packageId = request.query.package?.trim().toLowerCase() || undefined;
    const entries = (await services.audit.list({ since, limit: 10_000, feed })).filter(
      (entry: AuditRecord) =>
        (action === undefined || entry.action === (action as AuditAction)) &&
        (actor === undefined || entry.actor === actor) &&
        (packageId === undefined || entry.packageId?.toLowerCase() === packageId),
    );
    return page(
      request,
      reply,
      feed ? `Audit log of ${feed}` : 'Audit log',
      signedIn,
      html`<form method="get" action="/ui/admin/audit" class="audit-filters">
          <label>Feed <input name="feed" value="${feed ?? ''}" /></label>
          <label
            >Since <input name="since" value="${request.query.since ?? ''}" placeholder="24h, 7d or a date"
          /></label>
          <label
            >Action
            <select name="action">
              <option value="">any</option>
              ${auditActions.map(
                (name) => html`<option value="${name}" ${name === action ? 'selected' : ''}>${name}</option>`,
              )}
            </select></label
          >
          <label>Who <input name="actor" value="${actor ?? ''}" /></label>
          <label>Package <input name="package" value="${request.query.package ?? ''}" /></label>
          <label>At most <input name="limit" type="number" min="1" max="1000" value="${limit}" /></label>
          <button type="submit">Filter</button>
        </form>
        <table class="audit">
          <thead>
            <tr>
              <th>When</th>
              <th>Feed</th>
              <th>Who</th>
              <th>Action</th>
              <th>Package</th>
              <th>Version</th>
              <th>From</th>
              <th>Outcome</th>
            </tr>
          </thead>
          <tbody>
            ${entries.slice(0, limit).map(
              (entry) =>
                html`<tr>
                  <td>${entry.at}</td>
                  <td>${entry.feed ?? '(server)'}</td>
                  <td>${entry.actor}</td>
                  <td>${entry.action}</td>
                  <td>${entry.packageId ?? ''}</td>
                  <td>${entry.version ?? ''}</td>
                  <td>${entry.source ?? ''}</td>
                  <td>${entry.outcome}</td>
                </tr>`,
            )}
          </tbody>
        </table>`,
    );
  });

  // One version and the actions on it.
  const openFeed = async (signedIn: SignedIn, name: string) => {
    const feed = await services.feeds.find(name);
    // A private feed the person may neither read nor change is one that does not exist for them (the API lets a
    // push key push to a private feed it may not read, so such a key sees the feed here too).
    const visible = (['read', 'push-new', 'push', 'unlist', 'deprecate'] as const).some((action) =>
      mayDo(signedIn, action, undefined, name),
    );
    if (!feed || (feed.feed.settings.private && !visible)) {
      throw notFound('feed_not_found', `There is no feed '${name}'.`);
    }
    return feed;
  };

  app.get<{ Params: { feed: string }; Querystring: { id?: string; version?: string } }>(
    '/ui/admin/feeds/:feed/version',
    async (request, reply) => {
      const signedIn = await signedInOrSent(request, reply, services);
      if (!signedIn) return reply;
      const { feed, stores } = await openFeed(signedIn, request.params.feed);
      const id = request.query.id?.trim() ?? '';
      const version = request.query.version?.trim() ?? '';
      if (!id || !version) throw invalidInput('version_missing', 'Give the package id and the version.');
      const { lowerId, lowerVersion } = packageKey(id, version);
      const found = await stores.packages.findVersion(lowerId, lowerVersion);
      if (!found)
        throw notFound('package_not_found', `There is no package ${id} ${version} on feed ${feed.name}.`);
      const may = (action: 'unlist' | 'relist' | 'delete' | 'deprecate') =>
        mayDo(signedIn, action, found.id, feed.name);
      if (!may('unlist') && !may('deprecate')) requireGrant(signedIn, 'unlist', feed.name, found.id);
      const action = (verb: string) =>
        `/ui/admin/feeds/${feed.name}/packages/${found.id}/${found.version}/${verb}`;
      return page(
        request,
        reply,
        `${found.id} ${found.fullVersion}`,
        signedIn,
        html`<p>
            Feed <strong>${feed.name}</strong>; ${found.listed ? 'listed' : 'unlisted'}; published
            ${found.published}.
            ${found.deprecation ? html` Deprecated (${found.deprecation.reasons.join(', ')}).` : ''}
          </p>
          ${
            may('unlist')
              ? found.listed
                ? html`<form method="post" action="${action('unlist')}">
                    ${csrfInput(signedIn)}<button type="submit">Unlist</button>
                  </form>`
                : html`<form method="post" action="${action('relist')}">
                    ${csrfInput(signedIn)}<button type="submit">Relist</button>
                  </form>`
              : ''
          }
          ${
            may('delete') && feed.settings.deleteBehavior === 'delete'
              ? html`<form method="post" action="${action('delete')}">
                  ${csrfInput(signedIn)}<button type="submit">Delete for good</button>
                </form>`
              : ''
          }
          ${
            may('deprecate')
              ? html`<form method="post" action="${action('deprecate')}" class="deprecate">
                    ${csrfInput(signedIn)}
                    <fieldset>
                      <legend>Deprecate</legend>
                      ${deprecationReasons.map(
                        (reason) =>
                          html`<label
                            ><input type="checkbox" name="reasons" value="${reason}" /> ${reason}</label
                          > `,
                      )}
                      <label>Message <input name="message" /></label>
                      <label>Alternate package <input name="alternateId" /></label>
                      <label>its versions <input name="alternateRange" placeholder="*" /></label>
                      <button type="submit">Deprecate</button>
                    </fieldset>
                  </form>
                  ${
                    found.deprecation
                      ? html`<form method="post" action="${action('undeprecate')}">
                          ${csrfInput(signedIn)}<button type="submit">Remove the deprecation</button>
                        </form>`
                      : ''
                  }`
              : ''
          }`,
      );
    },
  );

  const versionAction = (
    verb: 'unlist' | 'relist' | 'delete' | 'deprecate' | 'undeprecate',
    run: (
      request: FastifyRequest<{ Params: VersionParams }>,
      feed: Awaited<ReturnType<typeof openFeed>>,
      note: AuditNote,
    ) => Promise<void>,
  ) =>
    app.post<{ Params: VersionParams }>(
      `/ui/admin/feeds/:feed/packages/:id/:version/${verb}`,
      { config: formBody },
      async (request, reply) => {
        const signedIn = await formOf(request, services, text(request.body, csrfField));
        const feed = await openFeed(signedIn, request.params.feed);
        const { id, version } = request.params;
        const action = verb === 'undeprecate' ? 'deprecate' : verb;
        await audited(
          services,
          request,
          { action: verb, feed: feed.feed.name, packageId: id, version },
          async (note) => {
            requireGrant(signedIn, action, feed.feed.name, id);
            await run(request, feed, note);
          },
        );
        return reply.redirect(
          `/ui/admin/feeds/${feed.feed.name}/version?id=${encodeURIComponent(id)}&version=${encodeURIComponent(version)}`,
          303,
        );
      },
    );

  versionAction('unlist', async (request, { stores }) =>
    setListed(stores, { ...request.params, listed: false }),
  );
  versionAction('relist', async (request, { stores }) =>
    setListed(stores, { ...request.params, listed: true }),
  );
  versionAction('delete', async (request, { feed, stores }) => {
    if (feed.settings.deleteBehavior !== 'delete') {
      throw invalidInput(
        'delete_not_allowed',
        `Feed '${feed.name}' unlists instead of deleting (deleteBehavior unlist).`,
      );
    }
    await deletePackage({ ...stores, blobs: services.blobs, deleteBehavior: 'delete' }, request.params);
  });
  versionAction('deprecate', async (request, { stores }, note) => {
    const alternateId = text(request.body, 'alternateId');
    const deprecation = parseDeprecation({
      reasons: list(request.body, 'reasons'),
      message: text(request.body, 'message'),
      ...(alternateId
        ? { alternatePackage: { id: alternateId, range: text(request.body, 'alternateRange') || '*' } }
        : {}),
    });
    const result = await deprecatePackage(stores, {
      id: request.params.id,
      versions: request.params.version,
      deprecation,
    });
    note.detail = { ...result };
  });
  versionAction('undeprecate', async (request, { stores }, note) => {
    const result = await deprecatePackage(stores, {
      id: request.params.id,
      versions: request.params.version,
      deprecation: undefined,
    });
    note.detail = { ...result };
  });

  // Upload a .nupkg: the same streaming, size limit and publish use case as a push (routes/package-publish.ts).
  app.get<{ Params: { feed: string } }>('/ui/admin/feeds/:feed/upload', async (request, reply) => {
    const signedIn = await signedInOrSent(request, reply, services);
    if (!signedIn) return reply;
    const { feed } = await openFeed(signedIn, request.params.feed);
    if (!mayDo(signedIn, 'push-new', undefined, feed.name)) requireGrant(signedIn, 'push', feed.name);
    return page(
      request,
      reply,
      `Upload to ${feed.name}`,
      signedIn,
      // Multipart bodies are streamed to the publish use case unparsed: the CSRF token travels in the action URL.
      html`<form
        method="post"
        enctype="multipart/form-data"
        class="upload"
        action="/ui/admin/feeds/${feed.name}/upload?${csrfField}=${encodeURIComponent(signedIn.csrfToken)}"
      >
        <label>Package (.nupkg) <input type="file" name="package" accept=".nupkg" required /></label>
        <button type="submit">Upload</button>
      </form>`,
    );
  });

  app.post<{ Params: { feed: string }; Querystring: Record<string, string | undefined> }>(
    '/ui/admin/feeds/:feed/upload',
    { config: { requestBody: { mediaTypes: ['multipart/form-data'], streamed: true } } },
    async (request, reply) => {
      const signedIn = await formOf(request, services, request.query[csrfField]);
      const { feed, stores } = await openFeed(signedIn, request.params.feed);
      const published = await audited(
        services,
        request,
        { action: 'push', feed: feed.name },
        async (note) => {
          if (!mayDo(signedIn, 'push-new', undefined, feed.name)) requireGrant(signedIn, 'push', feed.name);
          return (await receiveAndPublish(request, services, { feed, stores }, note, signedIn.principal))
            .published;
        },
      );
      return reply.redirect(
        `/ui/admin/feeds/${feed.name}/version?id=${encodeURIComponent(published.id)}&version=${encodeURIComponent(published.fullVersion)}`,
        303,
      );
    },
  );
}
