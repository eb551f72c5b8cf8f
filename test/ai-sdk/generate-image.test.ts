/** The AI SDK provider, driven by the real `ai` package's generateImage against a real daemon on the stub. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { APICallError } from '@ai-sdk/provider';
import { generateImage } from 'ai';
import sharp from 'sharp';
import { createKoderImaging } from '../../src/ai-sdk/index.ts';
import { solidPng } from '../helpers/app.ts';
import { startTestDaemon } from '../helpers/hosted-daemon.ts';
import { keyFor } from '../helpers/policy.ts';

describe('AI SDK provider: generateImage through the daemon', () => {
  let daemon: Awaited<ReturnType<typeof startTestDaemon>>;
  let key: string;
  const kimaging = () => createKoderImaging({ baseURL: `${daemon.url}/v1`, apiKey: key });
  const ledger = () => daemon.engine.store.usage.list({ tenant: 'acme', from: new Date(0), to: new Date(Date.now() + 60_000) });

  before(async () => {
    daemon = await startTestDaemon({ tenants: [{ id: 'acme' }] });
    key = await keyFor(daemon.engine, 'acme');
  });
  after(() => daemon.close());

  it('n, size and seed are honoured, in one daemon call; seeds come back as provider metadata; the ledger counts it', async () => {
    const before = (await ledger()).length;
    const { images, providerMetadata, responses } = await generateImage({ model: kimaging().image('stub'), prompt: 'a lighthouse', n: 3, size: '96x64', seed: 40 });
    assert.equal(images.length, 3);
    for (const image of images) {
      const meta = await sharp(image.uint8Array).metadata();
      assert.deepEqual([image.mediaType, meta.width, meta.height], ['image/png', 96, 64]);
    }
    assert.deepEqual((providerMetadata.kimaging as any).images.map((i: any) => i.seed), [40, 41, 42]);
    assert.equal(responses.length, 1, 'maxImagesPerCall comes from the daemon, so 3 images are one call');
    assert.equal(responses[0]!.modelId, 'stub');
    const records = (await ledger()).slice(before);
    assert.deepEqual(records.map((r) => [r.route, r.images]), [['generate', 3]]);

    const again = await generateImage({ model: kimaging().image('stub'), prompt: 'a lighthouse', n: 3, size: '96x64', seed: 40 });
    assert.deepEqual(again.images.map((i) => i.base64), images.map((i) => i.base64), 'the same seed gives the same images');
  });

  it('the daemon warnings surface as AI SDK warnings; providerOptions.kimaging reaches the engine', async () => {
    const { warnings } = await generateImage({
      model: kimaging().image('stub'),
      prompt: 'a fox',
      size: '64x64',
      aspectRatio: '16:9',
      providerOptions: { kimaging: { steps: 12, negative_prompt: 'blur', output_format: 'webp' } },
    });
    assert.ok(warnings.some((w) => w.type === 'unsupported' && w.feature === 'aspectRatio'), JSON.stringify(warnings));
    const webp = await generateImage({ model: kimaging().image('stub'), prompt: 'a fox', size: '64x64', providerOptions: { kimaging: { output_format: 'webp' } } });
    assert.equal(webp.image.mediaType, 'image/webp');
    await assert.rejects(
      generateImage({ model: kimaging().image('stub'), prompt: 'a fox', providerOptions: { kimaging: { stepz: 3 } } }),
      /stepz/,
      'an unknown option is an error, not silently dropped',
    );
  });

  it('edits: the first file is the init image and the mask is white = repaint', async () => {
    const red = await solidPng(64, 64, [255, 0, 0]);
    const mask = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } })
      .composite([{ input: await solidPng(32, 64, [255, 255, 255]), left: 0, top: 0 }])
      .png()
      .toBuffer();
    const { image } = await generateImage({
      model: kimaging().image('stub'),
      prompt: { images: [red], mask, text: 'paint the left' },
      seed: 1,
      providerOptions: { kimaging: { strength: 1 } },
    });
    const { data } = await sharp(image.uint8Array).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [...data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)];
    assert.deepEqual(pixel(60, 10), [255, 0, 0], 'black in the mask: kept');
    assert.notDeepEqual(pixel(4, 10), [255, 0, 0], 'white in the mask: repainted');
    assert.equal((await ledger()).at(-1)!.route, 'edit');
  });

  it('a bad key is an APICallError with status 401 and the daemon message; not retried', async () => {
    const bad = createKoderImaging({ baseURL: `${daemon.url}/v1`, apiKey: 'kim_nope' });
    await assert.rejects(generateImage({ model: bad.image('stub'), prompt: 'x', maxRetries: 0 }), (error: unknown) => {
      assert.ok(APICallError.isInstance(error), String(error));
      assert.equal(error.statusCode, 401);
      assert.equal(error.isRetryable, false);
      assert.match(error.message, /API key/);
      return true;
    });
  });

  it('a bad knob names its parameter', async () => {
    await assert.rejects(generateImage({ model: kimaging().image('stub'), prompt: 'x', size: '3x3', maxRetries: 0 }), (error: unknown) => {
      assert.ok(APICallError.isInstance(error));
      assert.equal(error.statusCode, 400);
      assert.equal((error.data as any).error.param, 'size');
      return true;
    });
  });
});
