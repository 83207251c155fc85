// The reading pages in a real browser: search, package page, install snippets, readmes, marks and banners,
// private feeds, accessibility. One server and one Chromium for the whole suite.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type BrowserSuite,
  collectPageErrors,
  seriousAxeViolations,
  startBrowserSuite,
} from './browser-harness.ts';

describe('web UI pages in Chromium', () => {
  let suite: BrowserSuite;

  before(async () => {
    suite = await startBrowserSuite();
    await suite.feed.publish({
      id: 'Contoso.Json',
      version: '2.1.0',
      description: 'Reads and writes JSON for Contoso services.',
      tags: ['json', 'serialization'],
    });
    await suite.feed.publish({
      id: 'Contoso.Json',
      version: '2.2.0-beta.1',
      description: 'Preview.',
      tags: ['json'],
    });
    await suite.feed.publish({
      id: 'Fabrikam.Logging',
      version: '1.0.0',
      description: 'Structured logging.',
    });
  });
  after(async () => suite?.close());

  it('searches with the API syntax and links each result to its package page', async () => {
    const page = await suite.newPage();
    const errors = collectPageErrors(page);
    await page.goto('/');
    assert.equal(new URL(page.url()).pathname, '/feeds/default/');
    assert.equal(await page.locator('.result').count(), 2);
    await page.getByLabel('Search packages').fill('tags:json');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=tags%3Ajson/);
    const results = page.locator('.result h2 a');
    assert.deepEqual(await results.allTextContents(), ['Contoso.Json']);
    assert.equal((await page.locator('.result .version').textContent())?.trim(), '2.2.0-beta.1');
    await page.getByLabel('Include prerelease').uncheck();
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL((url) => !url.search.includes('prerelease=true'));
    assert.equal((await page.locator('.result .version').textContent())?.trim(), '2.1.0');
    assert.equal(await page.locator('html.js').count(), 1, 'site.js ran');
    assert.deepEqual(errors, []);
  });

  it('has no serious accessibility violations on the home page, light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await suite.newPage({ colorScheme });
      await page.goto('/feeds/default/');
      assert.deepEqual(await seriousAxeViolations(page), [], colorScheme);
    }
  });
});
