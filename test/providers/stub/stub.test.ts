import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { ImagegenError, createStubProvider, withCount, withImage, withMask, withSeed, withSize, withStrength } from '../../../src/index.ts';
import { rawPixels, rectMask, solidPng } from '../../helpers/app.ts';

const model = createStubProvider().imageModel('stub');

describe('stub provider', () => {
  it('is deterministic: same prompt, knobs, seed and size give the same bytes', async () => {
    const a = await model.generate({ prompt: 'a red fox', n: 2, seed: 7, size: { width: 128, height: 96 }, steps: 20 });
    const b = await model.generate('a red fox', withCount(2), withSeed(7), withSize(128, 96), (d) => (d.request.steps = 20));
    assert.deepEqual(a.images.map((i) => i.seed), [7, 8]);
    assert.deepEqual(a.images.map((i) => Buffer.from(i.bytes)), b.images.map((i) => Buffer.from(i.bytes)));
    assert.notDeepEqual(Buffer.from(a.images[0]!.bytes), Buffer.from(a.images[1]!.bytes));
    const meta = await sharp(a.images[0]!.bytes).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 128);
    assert.equal(meta.height, 96);
  });

  it('changes the picture when the seed, prompt or a knob changes', async () => {
    const base = { prompt: 'a red fox', n: 1, seed: 7, size: { width: 64, height: 64 } };
    const bytes = async (extra: object) => Buffer.from((await model.generate({ ...base, ...extra })).images[0]!.bytes).toString('hex');
    const variants = await Promise.all([{}, { seed: 8 }, { prompt: 'a blue fox' }, { steps: 10 }, { cfgScale: 3 }, { sampler: 'euler' }, { negativePrompt: 'x' }].map(bytes));
    assert.equal(new Set(variants).size, variants.length);
  });

  it('treats equivalent sampler spellings as one sampler, and refuses unknown ones', async () => {
    const base = { prompt: 'p', n: 1, seed: 1, size: { width: 64, height: 64 } };
    const a = await model.generate({ ...base, sampler: 'DPM++ 2M' });
    const b = await model.generate({ ...base, sampler: 'dpmpp_2m' });
    assert.deepEqual(Buffer.from(a.images[0]!.bytes), Buffer.from(b.images[0]!.bytes));
    await assert.rejects(model.generate({ ...base, sampler: 'nope' }), (e: unknown) => ImagegenError.is(e, 'invalid_request') && e.param === 'sampler');
  });

  it('img2img blends the init image by strength: 0 keeps it, 1 replaces it', async () => {
    const init = await solidPng(64, 64, [200, 10, 10]);
    const keep = await model.generate('p', withImage(init), withStrength(0), withSeed(3));
    const { data: kept } = await rawPixels(keep.images[0]!.bytes);
    assert.ok(kept.every((v, i) => v === [200, 10, 10][i % 3]));
    const replace = await model.generate('p', withImage(init), withStrength(1), withSeed(3));
    const txt = await model.generate('p', withSize(64, 64), withSeed(3));
    assert.deepEqual((await rawPixels(replace.images[0]!.bytes)).data, (await rawPixels(txt.images[0]!.bytes)).data);
    assert.equal(replace.images[0]!.width, 64);
  });

  it('inpainting changes only pixels where the mask is white', async () => {
    const init = await solidPng(64, 48, [10, 200, 30]);
    const rect = { x: 16, y: 8, w: 20, h: 24 };
    const result = await model.generate('p', withImage(init), withMask(await rectMask(64, 48, rect)), withStrength(1), withSeed(11));
    const { data, info } = await rawPixels(result.images[0]!.bytes);
    let changedInside = 0;
    for (let y = 0; y < info.height; y++) {
      for (let x = 0; x < info.width; x++) {
        const at = (y * info.width + x) * info.channels;
        const same = data[at] === 10 && data[at + 1] === 200 && data[at + 2] === 30;
        const inside = x >= rect.x && x < rect.x + rect.w && y >= rect.y && y < rect.y + rect.h;
        if (!inside) assert.ok(same, `pixel ${x},${y} outside the mask changed`);
        else if (!same) changedInside++;
      }
    }
    assert.ok(changedInside > rect.w * rect.h * 0.9, `only ${changedInside} masked pixels changed`);
  });

  it('keeps alpha and exact pixels outside the mask for an RGBA init image', async () => {
    const init = await sharp({ create: { width: 32, height: 32, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 0.5 } } }).png().toBuffer();
    const result = await model.generate('p', withImage(init), withMask(await rectMask(32, 32, { x: 0, y: 0, w: 8, h: 8 })), withSeed(1));
    const { data, info } = await rawPixels(result.images[0]!.bytes);
    assert.equal(info.channels, 4);
    const at = (20 * 32 + 20) * 4;
    assert.deepEqual([...data.subarray(at, at + 4)], [1, 2, 3, 128]);
  });

  it('resizes a mask of another size with a warning, and refuses a mask with transparency', async () => {
    const init = await solidPng(64, 64, [0, 0, 0]);
    const resized = await model.generate('p', withImage(init), withMask(await rectMask(32, 32, { x: 0, y: 0, w: 16, h: 16 })), withSeed(1));
    assert.match(resized.warnings[0]!.message, /mask resized from 32x32 to the image's 64x64/);
    const { data } = await rawPixels(resized.images[0]!.bytes);
    assert.deepEqual([...data.subarray((40 * 64 + 40) * 3, (40 * 64 + 40) * 3 + 3)], [0, 0, 0]);
    const alphaMask = await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    await assert.rejects(model.generate('p', withImage(init), withMask(alphaMask)), (e: unknown) => ImagegenError.is(e, 'invalid_request') && e.param === 'mask' && /transparent/.test(e.message));
  });

  it('answers not_found for a model it does not have', () => {
    assert.throws(() => createStubProvider().imageModel('sdxl'), (e: unknown) => ImagegenError.is(e, 'not_found'));
  });
});
