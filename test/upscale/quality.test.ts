/**
 * Quality: a scene made here (128x128) is downscaled by 2 and upscaled back by each method; the
 * result is compared with the original by PSNR. ESRGAN must not be worse than Lanczos by more than
 * MARGIN_DB, and dimensions must be exact. Tiled and one-tile ESRGAN must agree closely (seams).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { createUpscaler, type Upscaler, type UpscaleMethod } from '../../src/upscale/index.ts';
import { halve, psnr, rgbOf, sceneRgb } from './helpers.ts';

const MARGIN_DB = 0.5;
const SIZE = 128;

describe('upscale quality (PSNR against the original)', () => {
  let upscaler: Upscaler;
  let original: Buffer;
  let small: Buffer;
  const scores: Partial<Record<UpscaleMethod | 'esrgan (one tile)', number>> = {};

  before(async () => {
    upscaler = createUpscaler(
      { defaultMethod: 'esrgan', workers: 1, maxQueue: 8, maxOutputPixels: 4096 * 4096, tileSize: 32, tileOverlap: 8 },
      { decodeLimits: { maxBytes: 1 << 24, maxPixels: 1 << 24 } },
    );
    original = sceneRgb(SIZE, SIZE);
    small = await sharp(halve(original, SIZE, SIZE), { raw: { width: SIZE / 2, height: SIZE / 2, channels: 3 } }).png().toBuffer();
  });
  after(async () => {
    console.log(`# PSNR, ${SIZE}x${SIZE} scene downscaled by 2 and upscaled back: ${JSON.stringify(Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, Number(v!.toFixed(2))])))}`);
    await upscaler.close();
  });

  for (const method of ['lanczos', 'esrgan', 'esrgan-medium'] as const) {
    it(`${method}: exact dimensions and a PSNR`, async () => {
      const outcome = await upscaler.upscale({ image: small, scale: 2, method });
      const out = await rgbOf(outcome.image.bytes);
      assert.equal(out.width, SIZE);
      assert.equal(out.height, SIZE);
      assert.equal(outcome.image.width, SIZE);
      scores[method] = psnr(out.data, original);
      assert.ok(scores[method]! > 15, `${method} PSNR ${scores[method]} dB is implausibly low`);
    });
  }

  it(`ESRGAN (slim and medium) is not worse than Lanczos by more than ${MARGIN_DB} dB`, () => {
    assert.ok(scores.lanczos !== undefined && scores.esrgan !== undefined && scores['esrgan-medium'] !== undefined, 'the method tests ran');
    assert.ok(scores.esrgan! >= scores.lanczos! - MARGIN_DB, `esrgan ${scores.esrgan} dB vs lanczos ${scores.lanczos} dB`);
    assert.ok(scores['esrgan-medium']! >= scores.lanczos! - MARGIN_DB, `esrgan-medium ${scores['esrgan-medium']} dB vs lanczos ${scores.lanczos} dB`);
  });

  it('tiled output (32 px tiles, a 3x3 grid with the border padding) matches the one-tile output: no visible seams', async () => {
    const tiled = await rgbOf((await upscaler.upscale({ image: small, scale: 2, method: 'esrgan' })).image.bytes);
    const whole = await rgbOf((await upscaler.upscale({ image: small, scale: 2, method: 'esrgan', tileSize: 1024 })).image.bytes);
    scores['esrgan (one tile)'] = psnr(whole.data, original);
    const agreement = psnr(tiled.data, whole.data);
    assert.ok(agreement > 40, `tiled vs one tile: ${agreement.toFixed(1)} dB`);
  });
});
