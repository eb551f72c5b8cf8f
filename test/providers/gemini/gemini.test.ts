import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImagegenError, withSignal } from '../../../src/imagegen/index.ts';
import { createGeminiProvider } from '../../../src/providers/gemini/index.ts';
import { startGeminiFake } from '../../fakes/gemini-fake.ts';
import type { FakeServer } from '../../fakes/hosted-fake-http.ts';
import { b64, rectMask, solidPng } from '../../helpers/app.ts';
import { startTestDaemon } from '../../helpers/hosted-daemon.ts';

const KEY = 'AIza-test';

describe('gemini provider through the daemon', () => {
  let fake: FakeServer;
  let daemon: Awaited<ReturnType<typeof startTestDaemon>>;

  before(async () => {
    fake = await startGeminiFake({ apiKey: KEY });
    daemon = await startTestDaemon(
      {
        providers: {
          google: { type: 'gemini', base_url: `${fake.url}/v1beta`, api_key_env: 'TEST_GEMINI_KEY', timeout_ms: 600 },
          badkey: { type: 'gemini', base_url: `${fake.url}/v1beta`, api_key_env: 'WRONG_GEMINI_KEY' },
        },
        models: [
          { id: 'nano', provider: 'google', model: 'gemini-2.5-flash-image' },
          { id: 'imagen', provider: 'google', model: 'imagen-4.0-generate-001' },
          { id: 'badkey', provider: 'badkey', model: 'gemini-2.5-flash-image' },
        ],
      },
      { TEST_GEMINI_KEY: KEY, WRONG_GEMINI_KEY: 'nope' },
    );
  });
  after(async () => {
    await daemon.close();
    await fake.close();
  });

  it('generates with generateContent: IMAGE modality, aspect ratio from size (warned), seeds sent and reported per call', async () => {
    const before = fake.requests.length;
    const { status, body } = await daemon.post('/v1/generate', { model: 'nano', prompt: 'a banana', n: 2, size: '1600x900', seed: 40, steps: 20 });
    assert.equal(status, 200, JSON.stringify(body));
    const calls = fake.requests.slice(before);
    assert.equal(calls.length, 2);
    assert.equal(calls[0]!.path, '/v1beta/models/gemini-2.5-flash-image:generateContent');
    assert.equal(calls[0]!.headers['x-goog-api-key'], KEY);
    const seeds = calls.map((c) => c.json.generationConfig.seed).sort();
    assert.deepEqual(seeds, [40, 41]);
    assert.deepEqual(calls[0]!.json.contents, [{ role: 'user', parts: [{ text: 'a banana' }] }]);
    assert.deepEqual(calls[0]!.json.generationConfig.responseModalities, ['IMAGE']);
    assert.deepEqual(calls[0]!.json.generationConfig.imageConfig, { aspectRatio: '16:9' });
    assert.deepEqual(body.images.map((i: any) => i.seed).sort(), [40, 41]);
    assert.deepEqual([body.images[0].width, body.images[0].height], [256, 144]);
    assert.deepEqual(body.warnings.map((w: any) => `${w.type}:${w.setting}`).sort(), ['changed:size', 'changed:size', 'unsupported:steps', 'unsupported:steps']);
    assert.equal(body.usage.total_tokens, 2604);
  });

  it('edits with the image as an inlineData part; a mask is a warning (prompt-driven), or 422 with strict_knobs', async () => {
    const image = await solidPng(48, 32, [200, 0, 0]);
    const mask = await rectMask(48, 32, { x: 0, y: 0, w: 10, h: 10 });
    const { status, body } = await daemon.post('/v1/edit', { model: 'nano', prompt: 'make it blue', image: b64(image), mask: b64(mask), strength: 0.5 });
    assert.equal(status, 200, JSON.stringify(body));
    const parts = fake.requests.at(-1)!.json.contents[0].parts;
    assert.deepEqual(parts[1], { inlineData: { mimeType: 'image/png', data: b64(image) } });
    assert.deepEqual([body.images[0].width, body.images[0].height], [48, 32]);
    assert.deepEqual(body.warnings.map((w: any) => w.setting).sort(), ['mask', 'strength']);
    assert.match(body.warnings.find((w: any) => w.setting === 'mask').message, /prompt-driven/);
    const strict = await daemon.post('/v1/edit', { model: 'nano', prompt: 'x', image: b64(image), mask: b64(mask), strict_knobs: true });
    assert.equal(strict.status, 422);
    assert.equal(strict.body.error.param, 'mask');
  });

  it('Imagen: sampleCount, a filtered image is missing with a content_blocked warning, all filtered is content_blocked', async () => {
    const { status, body } = await daemon.post('/v1/generate', { model: 'imagen', prompt: 'a filter test', n: 3, size: '768x1024', cfg_scale: 9, seed: 3 });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(fake.requests.at(-1)!.json, { instances: [{ prompt: 'a filter test' }], parameters: { sampleCount: 3, aspectRatio: '3:4', guidanceScale: 9, includeRaiReason: true } });
    assert.equal(body.images.length, 2);
    const partial = body.warnings.find((w: any) => w.type === 'partial');
    assert.match(partial.message, /content_blocked: .*2 of 3 images; 1 filtered \(Your current safety filter/);
    assert.ok(body.warnings.some((w: any) => w.type === 'unsupported' && w.setting === 'seed'));
    const all = await daemon.post('/v1/generate', { model: 'imagen', prompt: 'allfiltered', n: 2 });
    assert.equal(all.status, 422);
    assert.equal(all.body.error.code, 'content_blocked');
  });

  it('maps blocked prompts and safety finish reasons to content_blocked, Google errors to typed ones, and times out', async () => {
    for (const prompt of ['blocked thing', 'unsafe thing']) {
      const { status, body } = await daemon.post('/v1/generate', { model: 'nano', prompt });
      assert.equal(status, 422);
      assert.equal(body.error.code, 'content_blocked');
    }
    const overloaded = await daemon.post('/v1/generate', { model: 'nano', prompt: 'overload' });
    assert.equal(overloaded.status, 502);
    assert.match(overloaded.body.error.message, /503: UNAVAILABLE: The model is overloaded/);
    const badKey = await daemon.post('/v1/generate', { model: 'badkey', prompt: 'x' });
    assert.equal(badKey.status, 502);
    assert.match(badKey.body.error.message, /INVALID_ARGUMENT: API key not valid/);
    const slow = await daemon.post('/v1/generate', { model: 'nano', prompt: 'slow' });
    assert.equal(slow.status, 504);
  });
});

describe('gemini provider as a library', () => {
  it('errors are typed with retryable from the status, aborts cancel, listModels finds the image models', async () => {
    const fake = await startGeminiFake({ apiKey: KEY });
    try {
      const provider = createGeminiProvider({ baseURL: `${fake.url}/v1beta`, apiKey: KEY });
      await assert.rejects(provider.imageModel('gemini-2.5-flash-image').generate('overload'), (error: unknown) => ImagegenError.is(error, 'provider_error') && error.retryable && error.status === 503);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      await assert.rejects(provider.imageModel('gemini-2.5-flash-image').generate('slow', withSignal(controller.signal)), (error: unknown) => ImagegenError.is(error, 'cancelled'));
      assert.deepEqual((await provider.listModels!()).map((m) => [m.id, m.capabilities.join('+')]), [
        ['gemini-2.5-flash-image', 'txt2img+img2img+inpaint'],
        ['imagen-4.0-generate-001', 'txt2img'],
      ]);
    } finally {
      await fake.close();
    }
  });
});
