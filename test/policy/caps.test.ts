import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeApp } from '../helpers/app.ts';
import { bearer, keyFor } from '../helpers/policy.ts';
import { checkUpscaleCap } from '../../src/policy/index.ts';

const config = {
  policy: { caps: { n: 4, width: 512, height: 512, pixels: 200_000, steps: 30, prompt_chars: 40 } },
  tenants: [{ id: 'small', caps: { n: 2 } }, { id: 'big', caps: { width: 2048, height: 2048, pixels: 4_000_000 } }],
};

const CASES: { name: string; tenant: string; body: Record<string, unknown>; param: string; cap: string }[] = [
  { name: 'n over the tenant cap', tenant: 'small', body: { n: 3 }, param: 'n', cap: 'caps.n' },
  { name: 'n over the global cap', tenant: 'big', body: { n: 5 }, param: 'n', cap: 'caps.n' },
  { name: 'width', tenant: 'small', body: { size: '640x256' }, param: 'size', cap: 'caps.width' },
  { name: 'height', tenant: 'small', body: { size: '256x640' }, param: 'size', cap: 'caps.height' },
  { name: 'pixels', tenant: 'small', body: { size: '512x512' }, param: 'size', cap: 'caps.pixels' },
  { name: 'steps', tenant: 'small', body: { steps: 31 }, param: 'steps', cap: 'caps.steps' },
  { name: 'prompt length', tenant: 'small', body: { prompt: 'a'.repeat(41) }, param: 'prompt', cap: 'caps.prompt_chars' },
];

describe('caps', () => {
  for (const c of CASES) {
    it(`400 for ${c.name}, naming ${c.param} and ${c.cap}`, async () => {
      const { post, engine } = await makeApp(config);
      const key = await keyFor(engine, c.tenant);
      const response = await post('/v1/generate', { prompt: 'a fox', size: '64x64', ...c.body }, bearer(key));
      assert.equal(response.status, 400);
      const error = (await response.json()).error;
      assert.equal(error.code, 'invalid_request');
      assert.equal(error.param, c.param);
      assert.match(error.message, new RegExp(c.cap.replace('.', '\\.')));
      assert.equal((await engine.store.quotas.used(c.tenant, 'images', new Date().toISOString().slice(0, 10))), 0, 'a refused request reserves nothing');
    });
  }

  it("applies a tenant's raised caps over the defaults", async () => {
    const { post, engine } = await makeApp(config);
    const key = await keyFor(engine, 'big');
    assert.equal((await post('/v1/generate', { prompt: 'a fox', size: '1024x64' }, bearer(key))).status, 200);
  });

  it('caps upscale output pixels', () => {
    assert.throws(() => checkUpscaleCap({ width: 4096, height: 4096 }, { upscale_pixels: 8_000_000 }), /caps\.upscale_pixels/);
    assert.doesNotThrow(() => checkUpscaleCap({ width: 2048, height: 2048 }, { upscale_pixels: 8_000_000 }));
  });
});
