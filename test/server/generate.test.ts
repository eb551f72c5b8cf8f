import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { makeApp } from '../helpers/app.ts';

describe('POST /v1/generate', () => {
  it('returns n different images with seeds s, s+1, and the same bytes again', async () => {
    const { post } = await makeApp();
    const body = { prompt: 'a red fox', n: 2, size: '256x256', seed: 7 };
    const first = await (await post('/v1/generate', body)).json();
    const again = await (await post('/v1/generate', body)).json();
    assert.deepEqual(first.images.map((i: { seed: number }) => i.seed), [7, 8]);
    assert.notEqual(first.images[0].b64_json, first.images[1].b64_json);
    assert.deepEqual(again.images.map((i: { b64_json: string }) => i.b64_json), first.images.map((i: { b64_json: string }) => i.b64_json));
    for (const image of first.images) {
      const meta = await sharp(Buffer.from(image.b64_json, 'base64')).metadata();
      assert.equal(meta.format, 'png');
      assert.equal(meta.width, 256);
      assert.equal(meta.height, 256);
    }
  });
});
