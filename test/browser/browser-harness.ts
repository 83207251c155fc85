// The browser tier (docs/architecture.md rule 11): a real server on a loopback port and a real Chromium (Debian's
// `chromium`, installed by tools/install-chromium.sh when missing) driven by playwright-core. One server and one
// browser per suite; every test opens its own context (cookies, permissions) and the suite closes both.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { startFeed, type FeedSettings, type TestFeed } from '../http/feed-fixture.ts';

const installScript = fileURLToPath(new URL('../../tools/install-chromium.sh', import.meta.url));

/** The path of Debian's chromium, installing it first when it is missing (CI runs as root on a fresh machine). */
export function chromiumPath(): string {
  execFileSync('bash', [installScript], { stdio: ['ignore', 'ignore', 'inherit'] });
  return execFileSync('bash', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
}

export async function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'], timeout: 60_000 });
}

export interface BrowserSuite {
  readonly feed: TestFeed;
  readonly browser: Browser;
  /** http://127.0.0.1:{port} */
  readonly origin: string;
  /** A fresh context (own cookies, clipboard permission), closed with the suite. */
  newPage(options?: {
    colorScheme?: 'light' | 'dark';
    headers?: Record<string, string>;
    /** Switch the page's Content-Security-Policy off, to test what holds without it. */
    bypassCsp?: boolean;
  }): Promise<Page>;
  close(): Promise<void>;
}

export async function startBrowserSuite(settings: FeedSettings = {}): Promise<BrowserSuite> {
  const feed = await startFeed(settings);
  const contexts: BrowserContext[] = [];
  let browser: Browser | undefined;
  try {
    await feed.app.listen({ host: '127.0.0.1', port: 0 });
    const address = feed.app.server.address();
    assert.ok(address && typeof address === 'object');
    const origin = `http://127.0.0.1:${address.port}`;
    browser = await launchChromium();
    const opened = browser;
    return {
      feed,
      browser: opened,
      origin,
      async newPage(options = {}) {
        const context = await opened.newContext({
          baseURL: origin,
          colorScheme: options.colorScheme ?? 'light',
          permissions: ['clipboard-read', 'clipboard-write'],
          extraHTTPHeaders: options.headers ?? {},
          bypassCSP: options.bypassCsp ?? false,
        });
        contexts.push(context);
        return context.newPage();
      },
      async close() {
        for (const context of contexts) await context.close().catch(() => undefined);
        await opened.close();
        await feed.close();
      },
    };
  } catch (error) {
    await browser?.close();
    await feed.close();
    throw error;
  }
}

/** Errors the page reported (uncaught exceptions, console errors such as CSP refusals), gathered while it lives. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return errors;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * The serious and critical accessibility violations axe-core finds on the page. axe is evaluated through the
 * DevTools protocol, which the page's Content-Security-Policy does not govern, so the page keeps its real CSP.
 */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run: (o: unknown) => Promise<{ violations: unknown[] }> } }
    ).axe;
    return (await axe.run({ resultTypes: ['violations'] })).violations;
  });
  return (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`);
}
