// The web UI's CSS and JavaScript, read once at start and served under a name that carries a hash of the content
// (`/static/site.3f2a…css`): a browser may keep each for a year without asking again, and a new release changes
// the name, so no page ever mixes an old stylesheet with new markup.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface StaticAsset {
  /** The path it is served at: `/static/{name}.{hash}.{ext}`. */
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
  readonly etag: string;
}

export const staticPathPrefix = '/static/';

const contentTypes: Readonly<Record<string, string>> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
};

/** The assets by their plain name (`site.css`), and by the path they are served at. */
export class StaticAssets {
  readonly #byName = new Map<string, StaticAsset>();
  readonly #byPath = new Map<string, StaticAsset>();

  add(name: string, body: Buffer): void {
    const dot = name.lastIndexOf('.');
    const ext = name.slice(dot + 1);
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
    const asset: StaticAsset = {
      path: `${staticPathPrefix}${name.slice(0, dot)}.${hash}.${ext}`,
      contentType: contentTypes[ext] ?? 'application/octet-stream',
      body,
      etag: `"${hash}"`,
    };
    this.#byName.set(name, asset);
    this.#byPath.set(asset.path, asset);
  }

  /** The URL path of an asset by its plain name; a name that is not an asset is a programming error. */
  url(name: string): string {
    const asset = this.#byName.get(name);
    if (!asset) throw new Error(`no static asset '${name}'`);
    return asset.path;
  }

  find(path: string): StaticAsset | undefined {
    return this.#byPath.get(path);
  }
}

const own = (name: string) => fileURLToPath(new URL(`./assets/${name}`, import.meta.url));

/**
 * Reads the assets: the site's own, and highlight.js's GitHub themes (light and dark) for the code blocks of
 * readmes, each under the colour scheme the reader's system prefers.
 */
export async function loadStaticAssets(): Promise<StaticAssets> {
  const assets = new StaticAssets();
  for (const name of ['site.css', 'site.js', 'icon.svg']) assets.add(name, await readFile(own(name)));
  const require = createRequire(import.meta.url);
  const theme = (file: string) => readFile(require.resolve(`highlight.js/styles/${file}`), 'utf8');
  const code =
    `@media (prefers-color-scheme: light) {\n${await theme('github.css')}\n}\n` +
    `@media (prefers-color-scheme: dark) {\n${await theme('github-dark.css')}\n}\n`;
  assets.add('code.css', Buffer.from(code));
  return assets;
}
