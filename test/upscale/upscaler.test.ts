import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { ImagegenError } from '../../src/imagegen/index.ts';
import { createUpscaler, type UpscaleSettings } from '../../src/upscale/index.ts';
import { scenePng } from './helpers.ts';

const LIMITS = { maxBytes: 1 << 24, maxPixels: 1 << 24 };
const SETTINGS: UpscaleSettings = { defaultMethod: 'esrgan', workers: 1, maxQueue: 4, maxOutputPixels: 4096 * 4096, tileSize: 32, tileOverlap: 4 };

describe('upscaler', () => {
  const upscaler = createUpscaler(SETTINGS, { decodeLimits: LIMITS });
  after(() => upscaler.close());

  it('keeps alpha: RGB through ESRGAN, the alpha channel upscaled with Lanczos', async () => {
    const width = 40, height = 24;
    const rgba = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) rgba.set([200, 80, 40, i % width < width / 2 ? 0 : 255], i * 4);
    const png = await sharp(rgba, { raw: { width, height, channels: 4 } }).png().toBuffer();
    const outcome = await upscaler.upscale({ image: png, scale: 2 });
    const { data, info } = await sharp(outcome.image.bytes).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [80, 48, 4]);
    assert.equal(data[(10 * 80 + 5) * 4 + 3], 0, 'the transparent half stays transparent');
    assert.equal(data[(10 * 80 + 75) * 4 + 3], 255, 'the opaque half stays opaque');
    assert.equal(outcome.model, 'esrgan-slim x2 (onnx)', 'auto takes the native engine where its binary loads');
  });

  it('takes greyscale input and answers RGB of the exact size, in the format asked', async () => {
    const grey = await sharp({ create: { width: 20, height: 12, channels: 3, background: '#888' } }).toColourspace('b-w').png().toBuffer();
    const outcome = await upscaler.upscale({ image: grey, scale: 4, format: 'webp' });
    const meta = await sharp(outcome.image.bytes).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 80, 48]);
    assert.equal(outcome.image.mimeType, 'image/webp');
  });

  it('warns that JPEG output flattens alpha', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 0.5 } } }).png().toBuffer();
    const outcome = await upscaler.upscale({ image: png, scale: 2, method: 'lanczos', format: 'jpeg' });
    assert.equal(outcome.warnings[0]?.setting, 'format');
  });

  it('refuses an output over the pixel limit before any work, naming the limit', async () => {
    const small = createUpscaler({ ...SETTINGS, maxOutputPixels: 100 * 100 }, { decodeLimits: LIMITS });
    try {
      await assert.rejects(small.prepare({ image: await scenePng(30, 30), scale: 4 }), (error: ImagegenError) => {
        assert.equal(error.code, 'payload_too_large');
        assert.equal(error.param, 'scale');
        assert.match(error.message, /120x120 .*limit is 10000 pixels/);
        return true;
      });
      assert.equal(small.stats().workers, 0, 'no worker was started');
    } finally {
      await small.close();
    }
  });

  it('refuses a scale without weights and the provider method without a server', async () => {
    const png = await scenePng(8, 8);
    await assert.rejects(upscaler.prepare({ image: png, scale: 5 }), { code: 'invalid_request', param: 'scale' });
    await assert.rejects(upscaler.prepare({ image: png, scale: 2, method: 'provider' }), { code: 'unsupported', param: 'method' });
  });

  it('reports progress as tiles done of total', async () => {
    const seen: [number, number][] = [];
    await upscaler.upscale({ image: await scenePng(64, 48), scale: 2 }, { onProgress: (p) => seen.push([p.step!, p.totalSteps!]) });
    const total = seen[0]![1];
    assert.ok(total > 1, 'several tiles');
    assert.deepEqual(seen, Array.from({ length: total }, (_, i) => [i + 1, total]));
  });

  it('an abort stops a running job after the current tile; the worker then takes the next job', async () => {
    const controller = new AbortController();
    let tiles = 0;
    const running = upscaler.upscale(
      { image: await scenePng(128, 128), scale: 2, tileSize: 16 },
      { signal: controller.signal, onProgress: (p) => (++tiles === 1 ? controller.abort() : undefined) },
    );
    await assert.rejects(running, { code: 'cancelled' });
    const next = await upscaler.upscale({ image: await scenePng(16, 16), scale: 2 });
    assert.equal(next.image.width, 32);
    assert.ok(tiles < 10, `the job stopped early (${tiles} of 100 tiles reported)`);
  });

  it('queues behind a busy worker; an abort removes a queued job at once; a full queue is 429 overloaded', async () => {
    const pool = createUpscaler({ ...SETTINGS, maxQueue: 1 }, { decodeLimits: LIMITS });
    try {
      const first = pool.upscale({ image: await scenePng(96, 96), scale: 2, tileSize: 16 });
      const controller = new AbortController();
      const queued = pool.upscale({ image: await scenePng(16, 16), scale: 2 }, { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(pool.stats(), { queued: 1, running: 1, workers: 1 });
      await assert.rejects(pool.upscale({ image: await scenePng(16, 16), scale: 2 }), { code: 'overloaded' });
      controller.abort();
      await assert.rejects(queued, { code: 'cancelled' });
      assert.equal(pool.stats().queued, 0);
      assert.equal((await first).image.width, 192);
    } finally {
      await pool.close();
    }
  });
});
