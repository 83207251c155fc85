// How to use a feed: the NuGet.Config with its URL (and credentials when it is private), the commands that add
// it, restore from it and push to it, and how to get a key (docs/feeds.md, docs/security.md).
import { type Html, html } from '../html.ts';
import { pageUrls } from '../page-urls.ts';

export interface GettingStartedView {
  readonly feed: string;
  /** The feed's service index as clients reach it (absolute). */
  readonly serviceIndex: string;
  readonly private: boolean;
}

function copyable(id: string, label: string, text: string): Html {
  return html`<div class="snippet">
    <pre class="config"><code id="${id}">${text}</code></pre>
    <button type="button" class="copy" data-copy="${id}" aria-label="Copy ${label}">Copy</button>
  </div>`;
}

export function nugetConfigFor(view: GettingStartedView): string {
  const source = view.feed.replace(/[^A-Za-z0-9._-]/g, '_');
  // NuGet refuses http sources unless the source allows it (NU1803 / NU1302).
  const insecure = view.serviceIndex.startsWith('http:') ? ' allowInsecureConnections="true"' : '';
  const credentials = view.private
    ? `\n  <packageSourceCredentials>\n    <${source}>\n      <add key="Username" value="${source}" />\n` +
      `      <add key="ClearTextPassword" value="%NUGGET_READ_KEY%" />\n    </${source}>\n  </packageSourceCredentials>`
    : '';
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <packageSources>\n` +
    `    <add key="${source}" value="${view.serviceIndex}" protocolVersion="3"${insecure} />\n` +
    `  </packageSources>${credentials}\n</configuration>`
  );
}

export function gettingStartedPage(view: GettingStartedView): { title: string; main: Html } {
  const source = view.feed.replace(/[^A-Za-z0-9._-]/g, '_');
  const add = view.private
    ? `dotnet nuget add source ${view.serviceIndex} --name ${source} --username ${source} --password <read key> --store-password-in-clear-text`
    : `dotnet nuget add source ${view.serviceIndex} --name ${source}`;
  return {
    title: `Getting started · ${view.feed}`,
    main: html`<h1>Use the feed <code>${view.feed}</code></h1>
      <p>Its NuGet V3 service index, which every NuGet client takes as the source:</p>
      ${copyable('service-index', 'the service index URL', view.serviceIndex)}
      <h2>NuGet.Config</h2>
      <p>
        Put this <code>NuGet.Config</code> beside your
        solution${
          view.private
            ? html`, and set <code>NUGGET_READ_KEY</code> to a key that may read this feed (the feed is
                private)`
            : ''
        }:
      </p>
      ${copyable('nuget-config', 'the NuGet.Config', nugetConfigFor(view))}
      <p>Or add the source once for your user:</p>
      ${copyable('add-source', 'the command that adds the source', add)}
      <h2>Restore</h2>
      ${copyable('restore', 'the restore command', 'dotnet restore')}
      <h2>Push</h2>
      ${copyable(
        'push',
        'the push command',
        `dotnet nuget push bin/Release/*.nupkg --source ${view.serviceIndex} --api-key <push key>`,
      )}
      <p>
        Symbol packages (<code>.snupkg</code>) beside them are pushed by the same command to the feed's symbol
        server.
      </p>
      <h2>Get a key</h2>
      <p>
        Pushing needs an API key with the <code>push</code> scope (<code>push-new</code> for new package ids)
        that is valid for this
        feed${view.private ? html`; reading this private feed needs one with <code>read</code>` : ''}. An
        admin creates one with:
      </p>
      ${copyable(
        'create-key',
        'the command that creates a key',
        `nugget apikey create --name my-ci --scopes push-new,push --feeds ${view.feed}`,
      )}
      <p>
        Admins can also create keys from the admin pages after
        <a href="${pageUrls.signIn(pageUrls.gettingStarted(view.feed))}">signing in</a>. A key is shown once:
        keep it in your CI's secret store, never in a NuGet.Config you commit.
      </p>`,
  };
}
