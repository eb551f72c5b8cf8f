/**
 * The web console: `/` and `/console/*`, plain files from web/console/ plus uPlot's dist files
 * from node_modules, read once at start (a handful of small files) and served from memory. No
 * key is needed for these: they hold no data, and the page itself calls /v1/* with the key the
 * user gives it. Only the files listed at start are served, so no path from a request ever
 * reaches the file system.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { SAMPLER_ALIASES, SCHEDULER_ALIASES } from '../../knobs/index.ts';
import type { AppEnv } from '../app.ts';

/** src/server/routes and dist/server/routes are both three levels below the package root. */
const CONSOLE_DIR = fileURLToPath(new URL('../../../web/console/', import.meta.url));
const UPLOT_DIST = dirname(createRequire(import.meta.url).resolve('uplot'));
const UPLOT_FILES = ['uPlot.esm.js', 'uPlot.min.css'];

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/**
 * Scripts only from here; images may be data:/blob: (results are base64, previews are blobs).
 * Inline styles are allowed because uPlot sizes its own elements.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

interface Asset {
  body: Uint8Array;
  type: string;
}

function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const add = (path: string, file: string) => {
    const type = MIME[extname(file)];
    if (type) assets.set(path, { body: readFileSync(file), type });
  };
  for (const name of readdirSync(CONSOLE_DIR)) add(`/console/${name}`, join(CONSOLE_DIR, name));
  for (const name of UPLOT_FILES) add(`/console/vendor/${name}`, join(UPLOT_DIST, name));
  // The knob vocabulary for the sampler and scheduler pickers, from the one table the backends use.
  const choices = (table: Record<string, readonly string[]>) => Object.entries(table).map(([id, spellings]) => ({ id, label: spellings[0] ?? id }));
  const vocabulary = { samplers: choices(SAMPLER_ALIASES), schedulers: choices(SCHEDULER_ALIASES) };
  assets.set('/console/vocabulary.json', { body: Buffer.from(JSON.stringify(vocabulary)), type: MIME['.json']! });
  assets.set('/', assets.get('/console/index.html')!);
  return assets;
}

export function registerConsoleRoutes(app: OpenAPIHono<AppEnv>): void {
  const assets = loadAssets();
  app.get('/', (c) => serve(c, assets.get('/')!));
  app.get('/console/*', async (c, next) => {
    const asset = assets.get(c.req.path);
    if (asset) return serve(c, asset);
    await next(); // the app's 404
  });
}

function serve(c: Context<AppEnv>, asset: Asset): Response {
  return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, {
    'Content-Type': asset.type,
    // Revalidate each time: a daemon upgrade must not leave an old page talking to a new API.
    'Cache-Control': 'no-cache',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
  });
}
