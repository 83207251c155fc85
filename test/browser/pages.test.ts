// The reading pages in a real browser: search, package page, install snippets, readmes with images and code,
// deprecated and vulnerable versions, local dates, private feeds before sign-in, hostile readmes, accessibility.
// One server and one Chromium for the whole suite; every test opens its own browser context.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/auth/manage-api-keys.ts';
import { loadDemoPackages } from '../fixtures/demo-packages.ts';
import { testApiKey } from '../http/feed-fixture.ts';
import {
  type BrowserSuite,
  collectPageErrors,
  seriousAxeViolations,
  startBrowserSuite,
} from './browser-harness.ts';

const onePixelPng = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describe('web UI pages in Chromium', () => {
  let suite: BrowserSuite;
  let partnerReader: string;
  let otherReader: string;

  before(async () => {
    suite = await startBrowserSuite();
    const { feed } = suite;
    await loadDemoPackages((spec) => feed.publish(spec), feed.feed);
    const admin = { 'x-nuget-apikey': testApiKey, 'content-type': 'application/json' };
    for (const [name, settings] of [
      ['partner', { private: true }],
      ['other', { private: true }],
    ] as const) {
      const created = await feed.request('PUT', `/admin/feeds/${name}`, {
        headers: admin,
        body: JSON.stringify(settings),
      });
      assert.equal(created.statusCode, 201, created.body);
    }
    const pushed = await feed.push(
      await (
        await import('../fixtures/build-nupkg.ts')
      ).buildNupkg({
        id: 'Partner.Secret',
        version: '1.0.0',
        description: 'Only partners may see this.',
      }),
      { feed: 'partner' },
    );
    assert.equal(pushed.statusCode, 201, pushed.body);
    const cli = { actor: 'test', source: 'test' };
    const key = async (name: string, feeds: string[]) =>
      (await createApiKey(feed.feed, cli, { name, scopes: ['read'], packages: ['*'], feeds })).key;
    partnerReader = await key('partner-reader', ['partner']);
    otherReader = await key('other-reader', ['other']);
  });
  after(async () => suite?.close());

  it('searches with the API syntax, the prerelease toggle and the package type filter', async () => {
    const page = await suite.newPage();
    const errors = collectPageErrors(page);
    await page.goto('/');
    assert.equal(new URL(page.url()).pathname, '/feeds/default/');
    assert.equal(await page.locator('.result').count(), 5);
    await page.getByLabel('Search packages').fill('tags:json');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=tags%3Ajson/);
    assert.deepEqual(await page.locator('.result h2 a').allTextContents(), ['Contoso.Json']);
    assert.equal((await page.locator('.result .version').textContent())?.trim(), '2.1.0-beta.1');
    await page.getByLabel('Include prerelease').uncheck();
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL((url) => !url.search.includes('prerelease=true'));
    assert.equal((await page.locator('.result .version').textContent())?.trim(), '2.0.0');
    await page.getByLabel('Search packages').fill('');
    await page.getByLabel('Type').selectOption('DotnetTool');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/packageType=DotnetTool/);
    assert.deepEqual(await page.locator('.result h2 a').allTextContents(), ['Contoso.Tool']);
    assert.equal(await page.locator('html.js').count(), 1, 'site.js ran');
    assert.deepEqual(errors, []);
  });

  it('marks deprecated, vulnerable and prerelease-only packages in the results', async () => {
    const page = await suite.newPage();
    await page.goto('/feeds/default/?q=&prerelease=true');
    const badges = async (id: string) =>
      (
        await page
          .locator('.result', { has: page.getByRole('link', { name: id, exact: true }) })
          .locator('.badge')
          .allTextContents()
      ).map((t) => t.trim());
    assert.deepEqual(await badges('Northwind.Preview'), ['Prerelease only']);
    assert.deepEqual(await badges('Fabrikam.Logging'), []);
    await page.goto('/feeds/default/packages/Fabrikam.Logging/2.0.0/');
    assert.match((await page.locator('.package-head .badge').allTextContents()).join(), /Deprecated/);
  });

  it('shows a package page with its readme (highlighted code, resolved images), dependencies and versions', async () => {
    const page = await suite.newPage();
    const errors = collectPageErrors(page);
    // The readme's images are on the repository's host: answered here (the test has no network), so the test sees
    // the page's Content-Security-Policy let them load.
    const requested: string[] = [];
    await page.route(/^https:\/\//, (route) => {
      requested.push(route.request().url());
      return route.fulfill({ status: 200, contentType: 'image/png', body: onePixelPng });
    });
    await page.goto('/feeds/default/packages/Contoso.Json/');
    assert.equal(
      await page
        .locator('h1')
        .first()
        .textContent()
        .then((t) => t?.replace(/\s+/g, ' ').trim()),
      'Contoso.Json 2.0.0',
    );
    const readme = page.locator('article.readme');
    assert.equal(
      await readme.locator('img').getAttribute('src'),
      'https://raw.githubusercontent.com/contoso/json/4f2a9c1e0b7d/docs/logo.png',
    );
    assert.equal(await readme.locator('img').getAttribute('alt'), 'Contoso.Json logo');
    await page.waitForFunction("document.querySelector('article.readme img').naturalWidth === 1");
    assert.deepEqual(requested, [
      'https://raw.githubusercontent.com/contoso/json/4f2a9c1e0b7d/docs/logo.png',
    ]);
    assert.ok((await readme.locator('code.language-csharp span.hljs-keyword').count()) >= 2);
    assert.equal(await readme.locator('table td').first().textContent(), 'Read 1 KB');
    assert.equal(
      await readme.getByRole('link', { name: 'the usage guide' }).getAttribute('href'),
      'https://github.com/contoso/json/blob/4f2a9c1e0b7d/docs/usage.md',
    );
    assert.deepEqual(await page.locator('.dependencies h3').allTextContents(), ['net8.0', '.NETStandard2.0']);
    await page.getByRole('link', { name: 'Fabrikam.Logging' }).first().click();
    await page.waitForURL(/\/packages\/Fabrikam\.Logging\/$/);
    await page.goBack();
    const versions = await page.locator('table.versions tbody tr td:first-child').allTextContents();
    assert.deepEqual(
      versions.map((v) => v.trim()),
      ['2.1.0-beta.1', '2.0.0', '1.1.0', '1.0.0'],
    );
    // Dates are printed in UTC on the server; site.js shows them in the reader's time zone, with the UTC in a title.
    const published = page.locator('table.versions time').first();
    assert.match((await published.getAttribute('title')) ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(errors, []);
  });

  it('copies an install snippet to the clipboard', async () => {
    const page = await suite.newPage();
    await page.goto('/feeds/default/packages/Contoso.Json/2.0.0/');
    await page.getByRole('tab', { name: 'PackageReference' }).click();
    assert.equal(await page.locator('#install-dotnet-cli').isVisible(), false);
    await page.getByRole('button', { name: 'Copy the PackageReference snippet' }).click();
    await page
      .getByRole('button', { name: 'Copy the PackageReference snippet' })
      .filter({ hasText: 'Copied' })
      .waitFor();
    assert.equal(
      await page.evaluate('navigator.clipboard.readText()'),
      '<PackageReference Include="Contoso.Json" Version="2.0.0" />',
    );
    await page.getByRole('tab', { name: '.NET CLI' }).click();
    await page.getByRole('button', { name: 'Copy the .NET CLI snippet' }).click();
    await page
      .getByRole('button', { name: 'Copy the .NET CLI snippet' })
      .filter({ hasText: 'Copied' })
      .waitFor();
    assert.equal(
      await page.evaluate('navigator.clipboard.readText()'),
      'dotnet add package Contoso.Json --version 2.0.0',
    );
  });

  it('says what to move to from a vulnerable and from a deprecated version', async () => {
    const page = await suite.newPage();
    await page.goto('/feeds/default/packages/Contoso.Json/1.1.0/');
    const vulnerable = page.getByRole('note', { name: 'Vulnerable' });
    assert.match((await vulnerable.textContent()) ?? '', /high severity/);
    assert.equal(
      await vulnerable.getByRole('link', { name: '2.0.0' }).getAttribute('href'),
      '/feeds/default/packages/Contoso.Json/2.0.0/',
    );
    assert.equal(await page.locator('table.versions .badge.vulnerable').count(), 2);
    await page.goto('/feeds/default/packages/Fabrikam.Logging/2.0.0/');
    const deprecated = page.getByRole('note', { name: 'Deprecated' });
    assert.match(
      (await deprecated.textContent()) ?? '',
      /legacy[\s\S]*Version 2 writes no structured fields/,
    );
    await deprecated.getByRole('link', { name: 'Fabrikam.Telemetry' }).click();
    await page.waitForURL(/\/packages\/Fabrikam\.Telemetry\/$/);
  });

  it('shows nothing of a private feed before sign-in, and nothing of feed B to a reader of feed A', async () => {
    const anonymous = await suite.newPage();
    for (const path of [
      '/feeds/partner/',
      '/feeds/partner/packages/Partner.Secret/',
      '/feeds/partner/getting-started',
    ]) {
      const response = await anonymous.goto(path);
      assert.equal(response?.status(), 401, path);
      const text = (await anonymous.locator('body').textContent()) ?? '';
      assert.doesNotMatch(text, /Partner\.Secret|Only partners/, path);
      assert.equal((await anonymous.getByRole('link', { name: 'Sign in' }).count()) > 0, true);
    }
    await anonymous.goto('/feeds/default/');
    assert.equal(await anonymous.locator('.feed-switcher a', { hasText: 'partner' }).count(), 0);

    const partner = await suite.newPage({ headers: { 'x-nuget-apikey': partnerReader } });
    await partner.goto('/feeds/partner/');
    assert.deepEqual(await partner.locator('.result h2 a').allTextContents(), ['Partner.Secret']);
    await partner.locator('.feed-switcher summary').click();
    assert.deepEqual(await partner.locator('.feed-switcher a').allTextContents(), ['default', 'partner']);

    const other = await suite.newPage({ headers: { 'x-nuget-apikey': otherReader } });
    const refused = await other.goto('/feeds/partner/packages/Partner.Secret/');
    assert.equal(refused?.status(), 403);
    assert.doesNotMatch((await other.locator('main').textContent()) ?? '', /Partner\.Secret|Only partners/);
  });

  it('draws downloads over time for the package and for the version shown', async () => {
    for (const version of ['2.0.0', '2.0.0', '3.0.0']) {
      const download = await suite.feed.get(
        `/v3/flatcontainer/fabrikam.logging/${version}/fabrikam.logging.${version}.nupkg`,
      );
      assert.equal(download.statusCode, 200);
    }
    await suite.feed.feed.downloads.flush();
    const page = await suite.newPage();
    await page.goto('/feeds/default/packages/Fabrikam.Logging/3.0.0/');
    const charts = page.locator('figure.downloads svg[role="img"]');
    assert.match(
      (await charts.nth(0).getAttribute('aria-label')) ?? '',
      /^All versions: 3 downloads in the last 90 days/,
    );
    assert.match((await charts.nth(1).getAttribute('aria-label')) ?? '', /^Version 3\.0\.0: 1 download in/);
    assert.equal(await charts.nth(0).locator('rect.bar').count(), 90);
  });

  it('has no serious accessibility violations on the main pages, light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await suite.newPage({ colorScheme });
      for (const path of [
        '/feeds/default/',
        '/feeds/default/?q=nothing-matches-this',
        '/feeds/default/packages/Contoso.Json/1.1.0/',
        '/feeds/default/packages/Fabrikam.Logging/2.0.0/',
        '/feeds/default/getting-started',
        '/feeds/partner/',
      ]) {
        await page.goto(path);
        assert.deepEqual(await seriousAxeViolations(page), [], `${colorScheme} ${path}`);
      }
    }
  });
});
