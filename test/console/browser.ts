/**
 * Browser tests of the web console: Debian's Chromium driven by playwright-core against a real
 * daemon on the stub. One browser per test file (Chromium is heavy on a small machine), a fresh
 * profile each time. KIMAGING_SCREENSHOTS=1 saves the pages under examples/console/.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestDaemon } from '../helpers/hosted-daemon.ts';
import { keyFor } from '../helpers/policy.ts';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOTS = fileURLToPath(new URL('../../examples/console/', import.meta.url));

/** Why the browser tests cannot run here, or undefined when they can. */
export const skipReason = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install -y chromium); the browser tests are skipped`;
if (skipReason) console.log(`# ${skipReason}`);

/** Two tenants (one admin), a stub slow enough per image that a job shows its progress. */
export const CONSOLE_CONFIG = {
  providers: { blocks: { type: 'stub', latency_ms: 120 } },
  models: [{ id: 'stub', provider: 'blocks' }],
  log: { level: 'warn' },
  tenants: [
    { id: 'acme', quota: { images_per_day: 200 } },
    { id: 'ops', admin: true },
  ],
};

export async function startConsole(config: Record<string, unknown> = CONSOLE_CONFIG, env: NodeJS.ProcessEnv = {}) {
  const daemon = await startTestDaemon(config, env);
  // launch() gives every newContext() a fresh, empty profile of its own.
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  } catch (error) {
    await daemon.close();
    throw error;
  }
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(15_000);
  // tsx compiles the tests with esbuild's keepNames: functions passed to page.evaluate call a
  // `__name` helper that only exists in Node.
  await context.addInitScript('globalThis.__name = (fn) => fn');
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return {
    daemon,
    page,
    pageErrors,
    key: (tenant: string) => keyFor(daemon.engine, tenant),
    async close() {
      await browser.close();
      await daemon.close();
    },
  };
}

/** Open the console and give it a key through its own form. */
export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('Key', { exact: true }).fill(key);
  await page.getByRole('button', { name: 'Use this key' }).click();
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  if (!process.env.KIMAGING_SCREENSHOTS) return;
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.waitForTimeout(300); // let the progress bar's transition finish
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage });
}
