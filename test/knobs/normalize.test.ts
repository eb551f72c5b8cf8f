import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImagegenError, type Request } from '../../src/imagegen/index.ts';
import { normalizeKnobs, type Dialect } from '../../src/knobs/index.ts';

const sdLike: Dialect = {
  name: 'sd-like',
  knobs: ['size', 'n', 'seed', 'steps', 'cfg_scale', 'sampler', 'scheduler', 'negative_prompt', 'strength'],
  samplers: { euler: 'Euler', dpmpp_2m: 'DPM++ 2M' },
  schedulers: { karras: 'Karras' },
  steps: { min: 1, max: 100 },
  cfgScale: { min: 0, max: 30 },
  size: { multipleOf: 8, min: 64, max: 2048 },
};
const hosted: Dialect = { name: 'hosted', knobs: ['size', 'n'], size: { allowed: [{ width: 1024, height: 1024 }, { width: 1792, height: 1024 }, { width: 1024, height: 1792 }] } };

const request = (fields: Partial<Request>): Request => ({ prompt: 'p', n: 1, ...fields });

describe('normalizeKnobs', () => {
  it('translates names and keeps honoured knobs without warnings', () => {
    const { knobs, warnings } = normalizeKnobs(request({ sampler: 'DPM++ 2M Karras', steps: 30, cfgScale: 6, size: { width: 512, height: 768 } }), sdLike);
    assert.deepEqual(warnings, []);
    assert.equal(knobs.sampler, 'DPM++ 2M');
    assert.equal(knobs.scheduler, 'Karras');
    assert.deepEqual(knobs.size, { width: 512, height: 768 });
  });

  it('clamps and rounds with a warning saying from what to what', () => {
    const { knobs, warnings } = normalizeKnobs(request({ steps: 500, size: { width: 500, height: 300 } }), sdLike);
    assert.equal(knobs.steps, 100);
    assert.deepEqual(knobs.size, { width: 504, height: 304 });
    assert.match(warnings.find((w) => w.setting === 'steps')!.message, /500 clamped to 100/);
    assert.match(warnings.find((w) => w.setting === 'size')!.message, /500x300 changed to 504x304/);
  });

  it('scales an out-of-range size as a whole, keeping its shape', () => {
    const big = normalizeKnobs(request({ size: { width: 4000, height: 3000 } }), sdLike);
    assert.deepEqual(big.knobs.size, { width: 2048, height: 1536 });
    const small = normalizeKnobs(request({ size: { width: 64, height: 32 } }), sdLike);
    assert.deepEqual(small.knobs.size, { width: 128, height: 64 });
  });

  it('drops what a backend cannot honour with an unsupported warning, or 422 when strict', () => {
    const { knobs, warnings } = normalizeKnobs(request({ seed: 5, negativePrompt: 'blurry', sampler: 'euler', size: { width: 1800, height: 1000 } }), hosted);
    assert.equal(knobs.seed, false);
    assert.deepEqual(warnings.filter((w) => w.type === 'unsupported').map((w) => w.setting).sort(), ['negative_prompt', 'sampler', 'seed']);
    assert.deepEqual(knobs.size, { width: 1792, height: 1024 });
    assert.throws(() => normalizeKnobs(request({ seed: 5, strictKnobs: true }), hosted), (error: unknown) => ImagegenError.is(error, 'unsupported') && error.param === 'seed');
  });

  it('refuses unknown sampler names even where the knob would be dropped', () => {
    assert.throws(() => normalizeKnobs(request({ sampler: 'nope' }), hosted), (error: unknown) => ImagegenError.is(error, 'invalid_request'));
  });

  it('derives an aspect ratio from the size where the backend takes ratios', () => {
    const { knobs, warnings } = normalizeKnobs(request({ size: { width: 1600, height: 900 } }), { name: 'gemini', knobs: ['size'], size: { aspectRatios: ['1:1', '16:9', '9:16'] } });
    assert.equal(knobs.aspectRatio, '16:9');
    assert.match(warnings[0]!.message, /1600x900 sent as aspect ratio 16:9/);
  });
});
