import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { b64, makeApp, rawPixels, rectMask, solidPng } from '../helpers/app.ts';

async function expectError(response: Response, status: number, code: string, param?: string) {
  assert.equal(response.status, status, `status for ${code}/${param}`);
  const body = await response.json();
  assert.equal(body.error.code, code);
  if (param !== undefined) assert.equal(body.error.param, param);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(!/at .*\.ts:\d+/.test(body.error.message), 'no stack trace on the wire');
  return body.error;
}

describe('POST /v1/generate errors', () => {
  it('answers each bad input with a 4xx naming the parameter', async () => {
    const { post } = await makeApp();
    await expectError(await post('/v1/generate', '{"prompt": "x",'), 400, 'invalid_request', 'body');
    await expectError(await post('/v1/generate', {}), 400, 'invalid_request', 'prompt');
    await expectError(await post('/v1/generate', { prompt: '' }), 400, 'invalid_request', 'prompt');
    await expectError(await post('/v1/generate', { prompt: 42 }), 400, 'invalid_request', 'prompt');
    await expectError(await post('/v1/generate', { prompt: 'x', size: 'big' }), 400, 'invalid_request', 'size');
    await expectError(await post('/v1/generate', { prompt: 'x', size: '8x8' }), 400, 'invalid_request', 'size');
    await expectError(await post('/v1/generate', { prompt: 'x', size: '99999x512' }), 400, 'invalid_request', 'size');
    await expectError(await post('/v1/generate', { prompt: 'x', n: 0 }), 400, 'invalid_request', 'n');
    await expectError(await post('/v1/generate', { prompt: 'x', n: 11 }), 400, 'invalid_request', 'n');
    await expectError(await post('/v1/generate', { prompt: 'x', n: 1.5 }), 400, 'invalid_request', 'n');
    await expectError(await post('/v1/generate', { prompt: 'x', seed: -1 }), 400, 'invalid_request', 'seed');
    await expectError(await post('/v1/generate', { prompt: 'x', seed: 2 ** 32 }), 400, 'invalid_request', 'seed');
    await expectError(await post('/v1/generate', { prompt: 'x', sampler: 'warp' }), 400, 'invalid_request', 'sampler');
    await expectError(await post('/v1/generate', { prompt: 'x', output_format: 'bmp' }), 400, 'invalid_request', 'output_format');
    await expectError(await post('/v1/generate', { prompt: 'x', colour: 'red' }), 400, 'invalid_request', 'colour');
    await expectError(await post('/v1/generate', { prompt: 'x', model: 'nope' }), 404, 'not_found', 'model');
    await expectError(await post('/v1/generate', 'prompt=x', { 'content-type': 'text/plain' }), 400, 'invalid_request', 'content-type');
  });

  it('answers 413 for a body over the limit, configurable', async () => {
    const { post } = await makeApp({ server: { body_limit_mb: 0.01 } });
    await expectError(await post('/v1/generate', { prompt: 'x'.repeat(20_000) }), 413, 'payload_too_large', 'body');
  });

  it('answers 400 for a prompt over the configured length', async () => {
    const { post } = await makeApp({ limits: { max_prompt_chars: 10 } });
    await expectError(await post('/v1/generate', { prompt: 'x'.repeat(11) }), 400, 'invalid_request', 'prompt');
  });
});

describe('POST /v1/generate answers', () => {
  it('returns JSON with usage, warnings and cached', async () => {
    const { post } = await makeApp();
    const response = await post('/v1/generate', { prompt: 'a red fox', n: 2, size: '96x64', seed: 3 });
    assert.equal(response.status, 200);
    assert.ok(response.headers.get('x-request-id'));
    const body = await response.json();
    assert.equal(body.model, 'stub');
    assert.equal(body.provider, 'stub');
    assert.equal(body.cached, false);
    assert.deepEqual(body.usage, { images: 2, megapixels: (2 * 96 * 64) / 1e6 });
    assert.deepEqual(body.warnings, []);
    assert.deepEqual(body.images.map((i: { width: number; height: number; mime_type: string }) => [i.width, i.height, i.mime_type]), [[96, 64, 'image/png'], [96, 64, 'image/png']]);
  });

  it('returns raw bytes when Accept asks for an image and n is 1, in that format', async () => {
    const { post } = await makeApp();
    for (const [accept, format] of [['image/png', 'png'], ['image/webp', 'webp'], ['image/jpeg', 'jpeg']] as const) {
      const response = await post('/v1/generate', { prompt: 'a red fox', seed: 5, size: '64x64' }, { accept });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), accept);
      assert.equal(response.headers.get('x-seed'), '5');
      assert.equal((await sharp(Buffer.from(await response.arrayBuffer())).metadata()).format, format);
    }
    await expectError(await post('/v1/generate', { prompt: 'x', n: 2, size: '64x64' }, { accept: 'image/png' }), 400, 'invalid_request', 'n');
    const json = await post('/v1/generate', { prompt: 'x', size: '64x64' }, { accept: 'image/png, application/json' });
    assert.match(json.headers.get('content-type')!, /json/);
  });

  it('converts to output_format in JSON answers', async () => {
    const { post } = await makeApp();
    const body = await (await post('/v1/generate', { prompt: 'x', size: '64x64', output_format: 'webp' })).json();
    assert.equal(body.images[0].mime_type, 'image/webp');
    assert.equal((await sharp(Buffer.from(body.images[0].b64_json, 'base64')).metadata()).format, 'webp');
  });

  it('fills unset knobs from the model defaults in the config', async () => {
    const { post } = await makeApp({ models: [{ id: 'small', provider: 'stub', model: 'stub', defaults: { size: '80x48' } }] });
    const body = await (await post('/v1/generate', { prompt: 'x' })).json();
    assert.equal(body.model, 'small');
    assert.deepEqual([body.images[0].width, body.images[0].height], [80, 48]);
  });
});

describe('POST /v1/edit', () => {
  it('takes JSON with base64 and data URLs; the mask confines the change', async () => {
    const { post } = await makeApp();
    const image = await solidPng(64, 64, [20, 40, 60]);
    const mask = await rectMask(64, 64, { x: 0, y: 0, w: 32, h: 64 });
    const response = await post('/v1/edit', { prompt: 'p', image: `data:image/png;base64,${b64(image)}`, mask: b64(mask), strength: 1, seed: 2 });
    assert.equal(response.status, 200);
    const body = await response.json();
    const { data } = await rawPixels(Buffer.from(body.images[0].b64_json, 'base64'));
    for (let y = 0; y < 64; y++) for (let x = 32; x < 64; x++) assert.deepEqual([...data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)], [20, 40, 60]);
    assert.equal(body.images[0].seed, 2);
  });

  it('takes multipart/form-data with image and mask files and text fields', async () => {
    const { app } = await makeApp();
    const form = new FormData();
    form.set('prompt', 'p');
    form.set('seed', '9');
    form.set('n', '2');
    form.set('strength', '0.5');
    form.set('image', new Blob([new Uint8Array(await solidPng(48, 48, [1, 2, 3]))], { type: 'image/png' }), 'in.png');
    form.set('mask', new Blob([new Uint8Array(await rectMask(48, 48, { x: 0, y: 0, w: 10, h: 10 }))], { type: 'image/png' }), 'mask.png');
    const response = await app.request('/v1/edit', { method: 'POST', body: form });
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.deepEqual(body.images.map((i: { seed: number }) => i.seed), [9, 10]);
    assert.equal(body.images[0].width, 48);

    const bad = new FormData();
    bad.set('prompt', 'p');
    bad.set('steps', 'many');
    bad.set('image', new Blob([new Uint8Array(Buffer.from('not an image'))]), 'x.png');
    await expectError(await app.request('/v1/edit', { method: 'POST', body: bad }), 400, 'invalid_request', 'steps');
  });

  it('refuses images that are not images, URLs, oversize pixels, and a missing image', async () => {
    const { post } = await makeApp({ limits: { max_input_pixels: 100 * 100 } });
    await expectError(await post('/v1/edit', { prompt: 'p' }), 400, 'invalid_request', 'image');
    await expectError(await post('/v1/edit', { prompt: 'p', image: b64(Buffer.from('hello, not an image at all')) }), 400, 'invalid_request', 'image');
    await expectError(await post('/v1/edit', { prompt: 'p', image: '%%%' }), 400, 'invalid_request', 'image');
    await expectError(await post('/v1/edit', { prompt: 'p', image: 'https://example.com/cat.png' }), 400, 'invalid_request', 'image');
    await expectError(await post('/v1/edit', { prompt: 'p', image: b64(await solidPng(200, 200, [0, 0, 0])) }), 413, 'payload_too_large', 'image');
    const truncated = (await solidPng(64, 64, [9, 9, 9])).subarray(0, 40);
    await expectError(await post('/v1/edit', { prompt: 'p', image: b64(truncated) }), 400, 'invalid_request', 'image');
    const image = b64(await solidPng(64, 64, [0, 0, 0]));
    await expectError(await post('/v1/edit', { prompt: 'p', image, mask: b64(Buffer.from('nope')) }), 400, 'invalid_request', 'mask');
    await expectError(await post('/v1/edit', { prompt: 'p', image, strength: 2 }), 400, 'invalid_request', 'strength');
  });

  it('answers 400 for a mask whose header reads but whose pixels do not', async () => {
    const { post } = await makeApp();
    const image = b64(await solidPng(64, 64, [0, 0, 0]));
    const mask = await rectMask(64, 64, { x: 0, y: 0, w: 8, h: 8 });
    const truncated = mask.subarray(0, mask.length - 20);
    await expectError(await post('/v1/edit', { prompt: 'p', image, mask: b64(truncated) }), 400, 'invalid_request', 'mask');
  });

  it('takes an image as displayed: EXIF orientation applied to its size', async () => {
    const { post } = await makeApp();
    // Stored 80x40, orientation 6 (rotate 90): displayed 40x80.
    const rotated = await sharp({ create: { width: 80, height: 40, channels: 3, background: '#336699' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const body = await (await post('/v1/edit', { prompt: 'p', image: b64(rotated), strength: 0.5 })).json();
    assert.deepEqual([body.images[0].width, body.images[0].height], [40, 80]);
    const meta = await sharp(Buffer.from(body.images[0].b64_json, 'base64')).metadata();
    assert.deepEqual([meta.width, meta.height], [40, 80]);
  });

  it('refuses a decompression bomb before decoding it', async () => {
    const { post } = await makeApp();
    // 5000x5000 of one colour compresses to little; the default limit is 4096x4096.
    const bomb = await sharp({ create: { width: 5000, height: 5000, channels: 3, background: '#000' } }).png({ compressionLevel: 9 }).toBuffer();
    assert.ok(bomb.byteLength < 500_000, `bomb is ${bomb.byteLength} bytes`);
    await expectError(await post('/v1/edit', { prompt: 'p', image: b64(bomb) }), 413, 'payload_too_large', 'image');
  });
});

describe('GET routes', () => {
  it('lists models', async () => {
    const { app } = await makeApp();
    const body = await (await app.request('/v1/models')).json();
    assert.equal(body.object, 'list');
    assert.ok(Math.abs(body.data[0].created - Date.now() / 1000) < 60, 'created, as OpenAI clients expect');
    assert.deepEqual(body.data[0], {
      id: 'stub',
      object: 'model',
      created: body.data[0].created,
      owned_by: 'stub',
      capabilities: ['txt2img', 'img2img', 'inpaint'],
      knobs: ['size', 'n', 'seed', 'steps', 'cfg_scale', 'sampler', 'scheduler', 'negative_prompt', 'strength'],
    });
    assert.equal(body.default_model, 'stub');
    assert.equal(body.max_n, 10);
  });

  it('answers /healthz and 404s unknown routes in the error shape', async () => {
    const { app } = await makeApp();
    assert.equal((await (await app.request('/healthz')).json()).status, 'ok');
    await expectError(await app.request('/v2/nothing'), 404, 'not_found');
  });

  it('serves an OpenAPI document generated from the validating schemas', async () => {
    const { app } = await makeApp();
    const doc = await (await app.request('/openapi.json')).json();
    assert.equal(doc.openapi, '3.1.0');
    for (const path of ['/v1/generate', '/v1/edit', '/v1/models', '/healthz', '/v1/images/generations', '/v1/images/edits']) assert.ok(doc.paths[path], `${path} documented`);
    const generate = doc.components.schemas.GenerateRequest;
    assert.deepEqual(generate.required, ['prompt']);
    assert.equal(generate.properties.seed.maximum, 4294967294);
    assert.ok(doc.paths['/v1/edit'].post.requestBody.content['multipart/form-data']);
    assert.ok(doc.paths['/v1/generate'].post.responses['400']);
  });
});
