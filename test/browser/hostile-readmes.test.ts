// Hostile readmes pushed as packages and looked at in a real browser, with the page's Content-Security-Policy
// switched off (bypassCSP): what keeps them harmless here is the sanitizer alone (src/web/readme.ts), and the CSP
// is a second wall. Nothing may run (no dialog), and the rendered DOM holds no script, handler, javascript: URL,
// form, frame or style.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hostileReadmes } from '../fixtures/hostile-readmes.ts';
import { type BrowserSuite, startBrowserSuite } from './browser-harness.ts';

const idOf = (index: number) => `Hostile.Readme${index}`;

describe('hostile readmes in Chromium', () => {
  let suite: BrowserSuite;

  before(async () => {
    suite = await startBrowserSuite();
    for (const [index, [name, markdown]] of hostileReadmes.entries()) {
      await suite.feed.publish({
        id: idOf(index),
        version: '1.0.0',
        description: name,
        readme: { path: 'README.md', content: `# ${name}\n\n${markdown}\n\nafter` },
      });
    }
  });
  after(async () => suite?.close());

  it('run nothing and leave no script, handler, javascript: URL, form, frame or style in the page', async () => {
    const page = await suite.newPage({ bypassCsp: true });
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    // Nothing outside the server is reachable anyway; answering keeps the check about the page, not the network.
    await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.fulfill({ status: 404, body: '' }));
    for (const [index, [name]] of hostileReadmes.entries()) {
      await page.goto(`/feeds/default/packages/${idOf(index)}/`);
      await page.waitForLoadState('load');
      const readme = page.locator('article.readme');
      assert.equal(await readme.count(), 1, name);
      const findings = (await page.evaluate(`(() => {
        const root = document.querySelector('article.readme');
        const found = [];
        for (const element of root.querySelectorAll('*')) {
          const tag = element.tagName.toLowerCase();
          if (['script', 'style', 'iframe', 'frame', 'form', 'input', 'button', 'textarea', 'object', 'embed',
               'base', 'meta', 'link', 'svg', 'math', 'template', 'noscript'].includes(tag)) found.push('<' + tag + '>');
          for (const attribute of element.attributes) {
            const value = attribute.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
            if (attribute.name.startsWith('on')) found.push(tag + ' ' + attribute.name);
            if (['style', 'srcset', 'formaction', 'srcdoc', 'id', 'name'].includes(attribute.name)) found.push(tag + ' ' + attribute.name);
            if (attribute.name === 'class' && !/^(hljs|language-)/.test(attribute.value)) found.push(tag + ' class=' + attribute.value);
            if (/^(javascript|data|vbscript):/.test(value)) found.push(tag + ' ' + attribute.name + '=' + value);
          }
        }
        // Scripts anywhere in the page are nugget's own (one, from /static/).
        for (const script of document.querySelectorAll('script')) {
          if (!script.src.includes('/static/site.')) found.push('page script ' + (script.src || 'inline'));
        }
        if (document.querySelectorAll('base, meta[http-equiv], style').length > 0) found.push('head element');
        if (getComputedStyle(document.body).display === 'none') found.push('body hidden');
        if (document.getElementById('main')?.tagName !== 'MAIN') found.push('id clobbered');
        return found;
      })()`)) as string[];
      assert.deepEqual(findings, [], name);
      assert.match(
        (await readme.textContent()) ?? '',
        /after/,
        `${name}: the rest of the readme is still shown`,
      );
    }
    assert.deepEqual(dialogs, [], 'a hostile readme ran script');
  });
});
