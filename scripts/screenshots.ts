// `npm run screenshots`: starts a real nugget server (node src/main.ts on a free port, fresh data dir), loads the
// demo packages through its HTTP API (push, deprecation, vulnerabilities), and writes PNGs of the main pages to
// docs/screenshots/ with Debian's chromium (tools/install-chromium.sh): light, one dark, one phone.
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { launchChromium } from '../test/browser/browser-harness.ts';
import { createWorkspace, startFeed } from '../test/e2e/harness.ts';
import { buildNupkg } from '../test/fixtures/build-nupkg.ts';
import { demoAdvisory, demoDeprecation, demoPackages } from '../test/fixtures/demo-packages.ts';

const outDir = resolve(import.meta.dirname, '..', 'docs', 'screenshots');

async function call(url: string, key: string, init: RequestInit): Promise<void> {
  const response = await fetch(url, { ...init, headers: { 'x-nuget-apikey': key, ...init.headers } });
  if (!response.ok) throw new Error(`${init.method} ${url}: ${response.status} ${await response.text()}`);
}

const shots: { file: string; path: string; dark?: boolean; phone?: boolean }[] = [
  { file: 'home.png', path: '/feeds/default/' },
  { file: 'search.png', path: '/feeds/default/?q=tags%3Alogging&prerelease=true' },
  { file: 'package.png', path: '/feeds/default/packages/Contoso.Json/' },
  { file: 'vulnerable-version.png', path: '/feeds/default/packages/Contoso.Json/1.1.0/' },
  { file: 'deprecated-version.png', path: '/feeds/default/packages/Fabrikam.Logging/2.0.0/' },
  { file: 'getting-started.png', path: '/feeds/default/getting-started' },
  { file: 'package-dark.png', path: '/feeds/default/packages/Contoso.Json/', dark: true },
  { file: 'package-phone.png', path: '/feeds/default/packages/Contoso.Json/', phone: true },
];

async function main(): Promise<void> {
  const workspace = await createWorkspace('nugget-screenshots-');
  const server = await startFeed(workspace);
  const browser = await launchChromium();
  try {
    const v3 = server.serviceIndexUrl.replace(/\/index\.json$/, '');
    const origin = new URL(server.serviceIndexUrl).origin;
    for (const spec of demoPackages) {
      const form = new FormData();
      form.append('package', new Blob([await buildNupkg(spec)]), 'package.nupkg');
      await call(`${v3}/package`, server.apiKey, { method: 'PUT', body: form });
    }
    const json = { 'content-type': 'application/json' };
    await call(`${v3}/admin/deprecations/${demoDeprecation.id}/${demoDeprecation.version}`, server.apiKey, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify(demoDeprecation.deprecation),
    });
    const { id, severity, ...advisory } = demoAdvisory;
    await call(`${v3}/admin/vulnerabilities`, server.apiKey, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify([
        { packageId: id, severity: ['low', 'moderate', 'high', 'critical'][severity], ...advisory },
      ]),
    });
    // Downloads over time: a few restores' worth, counted by the server.
    for (const version of ['2.0.0', '2.0.0', '2.0.0', '1.1.0']) {
      await fetch(`${v3}/flatcontainer/contoso.json/${version}/contoso.json.${version}.nupkg`).then((r) =>
        r.arrayBuffer(),
      );
    }
    await new Promise((done) => setTimeout(done, 1500));
    for (const shot of shots) {
      const context = await browser.newContext({
        colorScheme: shot.dark ? 'dark' : 'light',
        viewport: shot.phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
        deviceScaleFactor: shot.phone ? 2 : 1,
        isMobile: shot.phone ?? false,
      });
      const page = await context.newPage();
      // The demo readme's image is on GitHub, out of reach here: a placeholder stands in for it.
      await page.route(/^https:\/\//, (route) => route.fulfill({ status: 404, body: '' }));
      await page.goto(`${origin}${shot.path}`, { waitUntil: 'load' });
      await writeFile(join(outDir, shot.file), await page.screenshot({ fullPage: !shot.phone }));
      await context.close();
      console.log(`wrote docs/screenshots/${shot.file}`);
    }
  } finally {
    await browser.close();
    await server.stop();
    await workspace.dispose();
  }
}

await main();
