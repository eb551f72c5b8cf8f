import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import sharp from 'sharp';
import { ConfigError, parseConfig } from '../../../src/config/index.ts';
import { createSdapiUpscaler } from '../../../src/providers/sdapi/sdapi-upscale.ts';
import { createUpscaler, type UpscaleSettings } from '../../../src/upscale/index.ts';
import { upscaleSettingsFrom } from '../../../src/upscale/settings.ts';
import { startSdapiUpscaleFake, type SdapiUpscaleFake } from '../../fakes/sdapi-upscale-fake.ts';
import { scenePng } from '../../upscale/helpers.ts';

const LIMITS = { maxBytes: 1 << 24, maxPixels: 1 << 24 };

describe('the provider method: SDAPI extra-single-image', () => {
  let fake: SdapiUpscaleFake;
  let settings: UpscaleSettings;
  before(async () => {
    fake = await startSdapiUpscaleFake();
    settings = {
      defaultMethod: 'esrgan', workers: 1, maxQueue: 4, maxOutputPixels: 4096 * 4096, tileSize: 128, tileOverlap: 8,
      provider: { name: 'a1111', baseURL: fake.url, upscaler: 'R-ESRGAN 4x+', timeoutMs: 2000 },
    };
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.answerSize = undefined;
    fake.delayMs = 0;
  });

  it('sends the native body and answers the exact size, alpha kept', async () => {
    const upscaler = createUpscaler(settings, { decodeLimits: LIMITS });
    const png = await sharp({ create: { width: 20, height: 10, channels: 4, background: { r: 9, g: 99, b: 199, alpha: 0.25 } } }).png().toBuffer();
    const outcome = await upscaler.upscale({ image: png, scale: 4, method: 'provider' });
    const { data, info } = await sharp(outcome.image.bytes).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [80, 40, 4]);
    assert.equal(data[3], 64, 'alpha from the input, upscaled here (the server answers RGB)');
    assert.deepEqual([outcome.provider, outcome.model, outcome.method], ['a1111', 'R-ESRGAN 4x+', 'provider']);
    const sent = fake.requests[0]!;
    assert.deepEqual(
      { resize_mode: sent.resize_mode, upscaling_resize: sent.upscaling_resize, upscaler_1: sent.upscaler_1, upscaler_2: sent.upscaler_2 },
      { resize_mode: 0, upscaling_resize: 4, upscaler_1: 'R-ESRGAN 4x+', upscaler_2: 'None' },
    );
    await upscaler.close();
  });

  it('an upscaler the server does not know: provider_error, 500, not retryable, the server message', async () => {
    const client = createSdapiUpscaler({ baseURL: fake.url, provider: 'a1111' });
    await assert.rejects(client.upscale({ image: await scenePng(8, 8), scale: 2, upscaler: 'SwinIR 9x' }), (error: any) => {
      assert.equal(error.code, 'provider_error');
      assert.equal(error.status, 500);
      assert.equal(error.retryable, false);
      assert.match(error.message, /could not find upscaler named SwinIR 9x/);
      return true;
    });
  });

  it('a validation failure (422) becomes provider_error with pydantic message', async () => {
    const client = createSdapiUpscaler({ baseURL: fake.url, provider: 'a1111' });
    await assert.rejects(client.upscale({ image: await scenePng(8, 8), scale: 'two' as unknown as number, upscaler: 'Lanczos' }), (error: any) => {
      assert.equal(error.code, 'provider_error');
      assert.equal(error.status, 422);
      assert.match(error.message, /not a valid float/);
      return true;
    });
  });

  it('an answer of the wrong size is an error, never resized to fit', async () => {
    fake.answerSize = { width: 30, height: 30 };
    const upscaler = createUpscaler(settings, { decodeLimits: LIMITS });
    await assert.rejects(upscaler.upscale({ image: await scenePng(16, 16), scale: 2, method: 'provider' }), {
      code: 'provider_error',
      message: /answered 30x30 for a 2x upscale; expected 32x32/,
    });
    await upscaler.close();
  });

  it('abort is cancelled; a slow server is provider_timeout', async () => {
    fake.delayMs = 500;
    const client = createSdapiUpscaler({ baseURL: fake.url, timeoutMs: 100 });
    await assert.rejects(client.upscale({ image: await scenePng(8, 8), scale: 2, upscaler: 'Lanczos' }), { code: 'provider_timeout' });
    const controller = new AbortController();
    const pending = createSdapiUpscaler({ baseURL: fake.url }).upscale({ image: await scenePng(8, 8), scale: 2, upscaler: 'Lanczos', signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(pending, { code: 'cancelled' });
  });

  it('goes through the injected fetch', async () => {
    const urls: string[] = [];
    const client = createSdapiUpscaler({
      baseURL: 'http://sd.invalid:7860/',
      fetch: async (url) => {
        urls.push(String(url));
        return new Response(JSON.stringify({ html_info: '', image: (await scenePng(4, 4)).toString('base64') }), { status: 200 });
      },
    });
    const bytes = await client.upscale({ image: await scenePng(2, 2), scale: 2, upscaler: 'Lanczos' });
    assert.equal((await sharp(bytes).metadata()).width, 4);
    assert.deepEqual(urls, ['http://sd.invalid:7860/sdapi/v1/extra-single-image']);
  });

  it('the config names the SDAPI provider by key and takes its base_url', () => {
    const config = parseConfig({
      providers: { a1111: { type: 'sdapi', base_url: 'http://127.0.0.1:7860' } },
      upscale: { provider: { provider: 'a1111', upscaler: 'R-ESRGAN 4x+' } },
    });
    const { headers, ...provider } = upscaleSettingsFrom(config).provider!;
    assert.deepEqual(provider, { name: 'a1111', baseURL: 'http://127.0.0.1:7860', upscaler: 'R-ESRGAN 4x+', timeoutMs: 300_000 });
    assert.equal(headers!().authorization, undefined);
    const unknown = parseConfig({ upscale: { provider: { provider: 'nope', upscaler: 'x' } } });
    assert.throws(() => upscaleSettingsFrom(unknown), ConfigError);
    const notSdapi = parseConfig({ providers: { oa: { type: 'openai', base_url: 'http://127.0.0.1:1/v1' } }, upscale: { provider: { provider: 'oa', upscaler: 'x' } } });
    assert.throws(() => upscaleSettingsFrom(notSdapi), /must be a provider of type sdapi/);
    assert.throws(() => upscaleSettingsFrom(parseConfig({ upscale: { default_method: 'provider' } })), /needs upscale.provider/);
  });
});
