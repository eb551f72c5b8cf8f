import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONSOLE_CONFIG, screenshot, signIn, skipReason, startConsole } from './browser.ts';

/** Beside the stub, dall-e-3 behind a gateway: size and n only, text to image only (never called here). */
const CONFIG = {
  ...CONSOLE_CONFIG,
  providers: { ...CONSOLE_CONFIG.providers, gateway: { type: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key_env: 'GATEWAY_KEY' } },
  models: [...CONSOLE_CONFIG.models, { id: 'gateway-model', provider: 'gateway', model: 'dall-e-3' }],
};

describe('web console: key and playground', { skip: skipReason }, () => {
  let session: Awaited<ReturnType<typeof startConsole>>;
  before(async () => {
    session = await startConsole(CONFIG, { GATEWAY_KEY: 'unused' });
  });
  after(async () => {
    await session?.close();
  });

  it("shows the API's 401 message for a bad key, and asks again", async () => {
    const { page, daemon } = session;
    await signIn(page, daemon.url, 'kim_not-a-real-key');
    const error = page.locator('#key-error');
    await error.waitFor();
    assert.equal(await error.textContent(), 'the API key is not valid (unknown or revoked)');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('kimaging.key')), null, 'a refused key is forgotten');
    await screenshot(page, 'key');
  });

  it('generates with a seed and shows each image with its seed', async () => {
    const { page, daemon } = session;
    const key = await session.key('acme');
    await signIn(page, daemon.url, key);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('kimaging.key')), key);
    await page.getByLabel('Prompt', { exact: true }).fill('a red fox in the snow');
    await page.getByLabel('Size').fill('128x128');
    await page.getByLabel('Images', { exact: true }).fill('2');
    await page.getByLabel('Seed', { exact: true }).fill('4242');
    assert.equal(await page.getByLabel('Lock').isChecked(), true, 'typing a seed locks it');
    await page.getByLabel('Sampler').selectOption('euler_a');
    await page.getByRole('button', { name: 'Generate' }).click();

    const captions = page.locator('#grid .result .seed');
    await captions.nth(1).waitFor();
    const texts = await captions.allTextContents();
    assert.match(texts[0]!, /^seed 4242 · 128×128 · stub/);
    assert.match(texts[1]!, /^seed 4243 · 128×128 · stub/);
    // The page shows what the API gives for the same request (the stub is deterministic).
    const api = await daemon.post('/v1/generate', { prompt: 'a red fox in the snow', size: '128x128', n: 2, seed: 4242, sampler: 'euler_a' }, { authorization: `Bearer ${key}` });
    const shown = await page.locator('#grid .result img').first().getAttribute('src');
    assert.equal(shown, `data:image/png;base64,${api.body.images[0].b64_json}`);
    await screenshot(page, 'playground');
  });

  it('runs an async job whose progress bar climbs to 100 %, and cancels one', async () => {
    const { page } = session;
    // Record every value the bar shows while the job runs.
    await page.evaluate(() => {
      const bar = document.querySelector('#job-bar')!;
      const seen: number[] = ((window as any).seenProgress = []);
      new MutationObserver(() => seen.push(Number(bar.getAttribute('aria-valuenow')))).observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
    });
    await page.getByLabel('Images', { exact: true }).fill('5');
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.locator('#job-label', { hasText: 'Done: 100 %' }).waitFor();
    const seen = (await page.evaluate(() => (window as any).seenProgress)) as number[];
    assert.equal(seen.at(-1), 100);
    assert.ok(seen.some((v) => v > 0 && v < 100), `no progress between 0 and 100 was shown: ${seen.join(',')}`);
    assert.equal(await page.locator('#job-bar').getAttribute('aria-valuenow'), '100');
    assert.equal(await page.locator('#grid .result').count(), 7);

    await page.getByLabel('Images', { exact: true }).fill('10');
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.locator('#job-label', { hasText: 'Running' }).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#job-label', { hasText: 'Cancelled' }).waitFor();
    assert.equal(await page.locator('#grid .result').count(), 7, 'a cancelled job adds no images');
  });

  it('inpaints where the mask was drawn and keeps the rest', async () => {
    const { page } = session;
    const edits: Record<string, unknown>[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/v1/edit')) edits.push(request.postDataJSON());
    });
    await page.getByLabel('Prompt', { exact: true }).fill('a blue door');
    await page.getByLabel('Images', { exact: true }).fill('1');
    const original = page.locator('#grid .result').first();
    const source = await original.locator('img').getAttribute('src');
    await original.getByRole('button', { name: 'Inpaint' }).click();
    const canvas = page.locator('#mask-canvas');
    await canvas.waitFor();
    await page.waitForFunction(() => (document.querySelector('#mask-canvas') as HTMLCanvasElement).width === 128);
    // Paint the left quarter of the image, top to bottom.
    const box = (await canvas.boundingBox())!;
    await page.getByLabel(/Brush/).fill('60');
    await page.mouse.move(box.x + box.width * 0.12, box.y + 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.12, box.y + box.height - 2, { steps: 8 });
    await page.mouse.up();
    await screenshot(page, 'inpaint', false);
    await page.locator('#mask-run').click();
    await page.locator('#grid .result .seed', { hasText: 'inpainted' }).waitFor();

    assert.equal(edits.length, 1);
    assert.equal(edits[0]!.image, source);
    assert.match(String(edits[0]!.mask), /^data:image\/png;base64,/);
    assert.equal(edits[0]!.prompt, 'a blue door');
    // Compare pixels in the page: the painted left side changed, the unpainted right side did not.
    const diff = await page.evaluate(async ([before, afterSrc]) => {
      const pixels = async (src: string) => {
        const img = new Image();
        img.src = src;
        await img.decode();
        const c = document.createElement('canvas');
        c.width = img.naturalWidth;
        c.height = img.naturalHeight;
        const ctx = c.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        return ctx.getImageData(0, 0, c.width, c.height);
      };
      const [a, b] = await Promise.all([pixels(before!), pixels(afterSrc!)]);
      const changed = (x0: number, x1: number) => {
        let count = 0;
        for (let y = 0; y < a.height; y++) for (let x = x0; x < x1; x++) if (a.data[(y * a.width + x) * 4] !== b.data[(y * a.width + x) * 4]) count++;
        return count;
      };
      return { left: changed(4, 24), right: changed(64, 128), size: [b.width, b.height] };
    }, [source, await page.locator('#grid .result img').first().getAttribute('src')] as const);
    assert.deepEqual(diff.size, [128, 128]);
    assert.equal(diff.right, 0, 'pixels outside the mask must be kept');
    assert.ok(diff.left > 500, `the masked area should be repainted (${diff.left} pixels changed)`);
    assert.deepEqual(session.pageErrors, []);
  });

  it('upscales a result, reuses its settings, and uses it as an init image', async () => {
    const { page } = session;
    const edits: Record<string, unknown>[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/v1/edit')) edits.push(request.postDataJSON());
    });
    const cards = page.locator('#grid .result');
    const before = await cards.count();
    await page.getByLabel('Upscale with').selectOption('lanczos:2');
    await cards.first().getByRole('button', { name: 'Upscale' }).click();
    await page.locator('#grid .result .seed', { hasText: 'upscaled 2x (lanczos)' }).waitFor();
    assert.match((await cards.first().locator('.seed').textContent())!, /256×256/);
    assert.equal(await cards.count(), before + 1);

    // The second card is the inpainted one: seed 4242, prompt "a blue door".
    await page.getByLabel('Prompt', { exact: true }).fill('something else');
    await page.getByLabel('Seed', { exact: true }).fill('');
    await cards.nth(1).getByRole('button', { name: 'Reuse settings' }).click();
    assert.equal(await page.getByLabel('Prompt', { exact: true }).inputValue(), 'a blue door');
    assert.equal(await page.getByLabel('Seed', { exact: true }).inputValue(), '4242');
    assert.equal(await page.getByLabel('Lock').isChecked(), true);
    assert.equal(await page.getByLabel('Sampler').inputValue(), 'euler_a');

    const init = await cards.nth(1).locator('img').getAttribute('src');
    await cards.nth(1).getByRole('button', { name: 'Use as init image' }).click();
    await page.getByRole('button', { name: 'Generate from init image' }).click();
    await page.locator('#grid .result .seed', { hasText: 'from init image' }).waitFor();
    assert.equal(edits.length, 1);
    assert.equal(edits[0]!.image, init);
    assert.equal(edits[0]!.mask, undefined);
    assert.equal(edits[0]!.strength, 0.75);
  });

  it("greys out the knobs a model cannot honour, and what it cannot do", async () => {
    const { page } = session;
    await page.getByLabel('Model', { exact: true }).selectOption('gateway-model');
    for (const label of ['Steps', 'CFG scale', 'Sampler', 'Scheduler', 'Negative prompt']) {
      assert.equal(await page.getByLabel(label, { exact: true }).isDisabled(), true, label);
    }
    assert.equal(await page.getByLabel('Seed', { exact: true }).isDisabled(), true);
    assert.equal(await page.getByLabel('Size').isDisabled(), false);
    assert.match((await page.locator('#model-info').textContent())!, /Cannot honour: .*steps/);
    const card = page.locator('#grid .result').first();
    assert.equal(await card.getByRole('button', { name: 'Inpaint' }).isDisabled(), true);
    assert.equal(await card.getByRole('button', { name: 'Use as init image' }).isDisabled(), true);
    assert.equal(await card.getByRole('button', { name: 'Upscale' }).isDisabled(), false);
    await page.getByLabel('Model', { exact: true }).selectOption('stub');
    assert.equal(await page.getByLabel('Steps', { exact: true }).isDisabled(), false);
    assert.equal(await card.getByRole('button', { name: 'Inpaint' }).isDisabled(), false);
    assert.deepEqual(session.pageErrors, []);
  });
});
