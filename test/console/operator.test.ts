import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { screenshot, signIn, skipReason, startConsole } from './browser.ts';

describe('web console: compose and operator views', { skip: skipReason }, () => {
  let session: Awaited<ReturnType<typeof startConsole>>;
  let acme: Record<string, string>;
  before(async () => {
    session = await startConsole();
    acme = { authorization: `Bearer ${await session.key('acme')}` };
    // Usage for the chart: 3 images on stub today.
    for (const n of [1, 2]) assert.equal((await session.daemon.post('/v1/generate', { prompt: 'usage', n, size: '64x64' }, acme)).status, 200);
    await signIn(session.page, session.daemon.url, await session.key('ops'));
  });
  after(async () => {
    await session?.close();
  });

  it('previews a template live and gives the og:image URL of the same card', async () => {
    const { page, daemon } = session;
    await page.getByRole('link', { name: 'Compose' }).click();
    await page.getByLabel('Template').selectOption('og');
    const preview = page.locator('#compose-preview');
    await page.waitForFunction(() => (document.querySelector('#compose-preview') as HTMLImageElement).src.startsWith('data:image/png'));
    const first = await preview.getAttribute('src');
    await page.getByLabel('title *').fill('Release 2.0');
    await page.getByLabel('theme').selectOption('dark');
    await page.waitForFunction((old) => (document.querySelector('#compose-preview') as HTMLImageElement).src !== old, first);
    const url = await page.getByLabel('og:image URL').inputValue();
    assert.equal(url, `${daemon.url}/v1/compose/og?title=Release+2.0&theme=dark`);
    // The URL draws the very card the preview shows (same input, same bytes).
    await page.waitForFunction(() => (document.querySelector('#compose-preview') as HTMLImageElement).complete);
    const card = await fetch(url, { headers: acme });
    assert.equal(card.status, 200);
    assert.equal(await preview.getAttribute('src'), `data:image/png;base64,${Buffer.from(await card.arrayBuffer()).toString('base64')}`);
    const size = await preview.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]);
    assert.deepEqual(size, [1200, 630]);

    // A field the API refuses shows the API's message.
    await page.getByLabel('title *').fill('');
    await page.locator('#compose-error').waitFor();
    assert.match((await page.locator('#compose-error').textContent())!, /title/);
    await page.getByLabel('title *').fill('Release 2.0');
    await page.locator('#compose-error').waitFor({ state: 'hidden' });
    await screenshot(page, 'compose');
  });

  it('draws usage by day and model with uPlot, and shows quota and backend health', async () => {
    const { page } = session;
    await page.getByRole('link', { name: 'Operator' }).click();
    const canvas = page.locator('#usage-chart canvas').first();
    await canvas.waitFor();
    const box = await canvas.evaluate((c: HTMLCanvasElement) => [c.width, c.height]);
    assert.ok(box[0]! > 0 && box[1]! > 0, `the chart canvas has no size: ${box}`);
    assert.match((await page.locator('#usage-chart .u-legend').textContent())!, /stub/);
    const stubRow = page.locator('#usage-table tbody tr', { hasText: 'stub' });
    await stubRow.waitFor();
    assert.deepEqual((await stubRow.locator('th, td').allTextContents()).slice(0, 3), ['stub', '2', '3']);

    const quota = page.locator('#quota-table tbody tr', { hasText: 'acme' });
    await quota.waitFor();
    assert.match((await quota.textContent())!, /3 \/ 200/);
    const backend = page.locator('#health-table tbody tr', { hasText: 'blocks' });
    await backend.waitFor();
    assert.match((await backend.textContent())!, /closed/);
    // Live: a request made now shows up without touching the page.
    await session.daemon.post('/v1/generate', { prompt: 'live', n: 1, size: '64x64' }, acme);
    await page.locator('#quota-table tbody tr', { hasText: '4 / 200' }).waitFor();
    await screenshot(page, 'operator');
  });

  it('creates a key shown once, and revokes it', async () => {
    const { page, daemon } = session;
    await page.getByLabel('Tenant', { exact: true }).selectOption('acme');
    await page.getByLabel('Name', { exact: true }).fill('from-console');
    await page.getByRole('button', { name: 'Create key' }).click();
    const created = page.getByLabel('New key');
    await created.waitFor();
    const key = await created.inputValue();
    assert.match(key, /^kim_/);
    const headers = { authorization: `Bearer ${key}` };
    assert.equal((await daemon.post('/v1/generate', { prompt: 'k', size: '64x64' }, headers)).status, 200);

    const row = page.locator('#keys-table tbody tr', { hasText: 'from-console' });
    await row.waitFor();
    assert.ok(!(await page.locator('#keys-table').textContent())!.includes(key), 'the list shows a prefix, never the key');
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: /Revoke/ }).click();
    await row.getByText('revoked').waitFor();
    assert.equal((await daemon.post('/v1/generate', { prompt: 'k', size: '64x64' }, headers)).status, 401);
  });

  it('fits a phone screen, follows dark mode, and hides operator views from a tenant key', async () => {
    const { page, daemon } = session;
    await page.emulateMedia({ colorScheme: 'dark' });
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgb(15, 17, 21)');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Playground' }).click();
    await page.locator('#view-playground').waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scrolling at phone width');
    await screenshot(page, 'phone-dark');

    await page.evaluate((key) => sessionStorage.setItem('kimaging.key', key), acme.authorization!.slice('Bearer '.length));
    await page.goto(`${daemon.url}/#operator`);
    await page.reload(); // a hash change alone keeps the page (and the admin key's state)
    await page.locator('#view-playground').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Operator' }).count(), 0);
    assert.equal(await page.locator('#who').textContent(), 'tenant key');
    assert.deepEqual(session.pageErrors, []);
  });
});
