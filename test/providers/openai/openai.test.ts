import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ImagegenError, withSignal } from '../../../src/imagegen/index.ts';
import { createOpenAIProvider } from '../../../src/providers/openai/index.ts';
import { startOpenAIFake } from '../../fakes/openai-fake.ts';
import type { FakeServer, FilePart } from '../../fakes/hosted-fake-http.ts';
import { b64, rectMask, solidPng } from '../../helpers/app.ts';
import { startTestDaemon } from '../../helpers/hosted-daemon.ts';

const KEY = 'sk-test-123';

describe('openai provider through the daemon', () => {
  let fake: FakeServer;
  let sdcpp: FakeServer;
  let daemon: Awaited<ReturnType<typeof startTestDaemon>>;

  before(async () => {
    fake = await startOpenAIFake({ apiKey: KEY });
    sdcpp = await startOpenAIFake({ flavor: 'sdcpp' });
    daemon = await startTestDaemon(
      {
        providers: {
          oa: { type: 'openai', base_url: `${fake.url}/v1`, api_key_env: 'TEST_OPENAI_KEY', timeout_ms: 800 },
          nokey: { type: 'openai', base_url: `${fake.url}/v1`, api_key_env: 'MISSING_KEY' },
          sdcpp: { type: 'openai', base_url: `${sdcpp.url}/v1`, sd_cpp_extra_args: true, extra_fields: { output_compression: 90 } },
        },
        models: [
          { id: 'gpt-image-1', provider: 'oa' },
          { id: 'gpt-image-2', provider: 'oa' },
          { id: 'dall-e-3', provider: 'oa' },
          { id: 'dall-e-2', provider: 'oa' },
          { id: 'unkeyed', provider: 'nokey', model: 'gpt-image-1' },
          { id: 'sd', provider: 'sdcpp', model: 'sd-cpp-local' },
        ],
      },
      { TEST_OPENAI_KEY: KEY },
    );
  });
  after(async () => {
    await daemon.close();
    await fake.close();
    await sdcpp.close();
  });

  it('generates with gpt-image-1: size snapped, knobs it has no field for dropped with warnings, tokens kept', async () => {
    const { status, body } = await daemon.post('/v1/generate', { model: 'gpt-image-1', prompt: 'a red fox', n: 2, size: '1000x1000', seed: 5, steps: 30, negative_prompt: 'blur' });
    assert.equal(status, 200);
    const native = fake.requests.at(-1)!;
    assert.equal(native.path, '/v1/images/generations');
    assert.equal(native.headers.authorization, `Bearer ${KEY}`);
    assert.deepEqual(native.json, { model: 'gpt-image-1', prompt: 'a red fox', n: 2, size: '1024x1024' });
    assert.equal(body.images.length, 2);
    assert.deepEqual([body.images[0].width, body.images[0].height], [1024, 1024]);
    assert.equal(body.images[0].seed, undefined, 'OpenAI reports no seed, so none is claimed');
    const unsupported = body.warnings.filter((w: any) => w.type === 'unsupported').map((w: any) => w.setting).sort();
    assert.deepEqual(unsupported, ['negative_prompt', 'seed', 'steps']);
    assert.match(body.warnings.find((w: any) => w.setting === 'size').message, /1000x1000 .*1024x1024/);
    assert.deepEqual(body.usage, { images: 2, megapixels: (2 * 1024 * 1024) / 1e6, input_tokens: 50, output_tokens: 200, total_tokens: 250 });
  });

  it('does not warn about a seed nobody asked for; strict_knobs refuses one that was', async () => {
    const { body } = await daemon.post('/v1/generate', { model: 'gpt-image-1', prompt: 'a fox', size: '1024x1024' });
    assert.deepEqual(body.warnings, []);
    const strict = await daemon.post('/v1/generate', { model: 'gpt-image-1', prompt: 'a fox', seed: 1, strict_knobs: true });
    assert.equal(strict.status, 422);
    assert.equal(strict.body.error.code, 'unsupported');
    assert.equal(strict.body.error.param, 'seed');
  });

  it('splits n for dall-e-3 into n=1 calls and asks dall-e-* for b64_json', async () => {
    const before = fake.requests.length;
    const { status, body } = await daemon.post('/v1/generate', { model: 'dall-e-3', prompt: 'a lighthouse', n: 2, size: '1800x1000' });
    assert.equal(status, 200);
    const calls = fake.requests.slice(before);
    assert.equal(calls.length, 2);
    for (const call of calls) assert.deepEqual(call.json, { model: 'dall-e-3', prompt: 'a lighthouse', n: 1, size: '1792x1024', response_format: 'b64_json' });
    assert.equal(body.images.length, 2);
    assert.equal(body.images[0].width, 1792);
  });

  it('fits gpt-image-2 sizes to multiples of 16 within 1:3..3:1', async () => {
    const { body } = await daemon.post('/v1/generate', { model: 'gpt-image-2', prompt: 'a banner', size: '4000x1000' });
    assert.equal(fake.requests.at(-1)!.json.size, '3008x1008');
    assert.equal(body.images[0].width, 3008);
  });

  it('edits over multipart: PNG parts, the canonical mask as alpha 0 where it is white, strength dropped', async () => {
    const image = await solidPng(64, 64, [0, 200, 0]);
    const mask = await rectMask(64, 64, { x: 0, y: 0, w: 32, h: 64 });
    const { status, body } = await daemon.post('/v1/edit', { model: 'gpt-image-1', prompt: 'a door', image: b64(image), mask: b64(mask), strength: 0.5, size: '1024x1024' });
    assert.equal(status, 200, JSON.stringify(body));
    const native = fake.requests.at(-1)!;
    assert.equal(native.path, '/v1/images/edits');
    assert.deepEqual(native.form!.model, ['gpt-image-1']);
    assert.deepEqual(native.form!.size, ['1024x1024']);
    const sent = native.form!.image![0] as FilePart;
    const sentMask = native.form!.mask![0] as FilePart;
    assert.equal(sent.type, 'image/png');
    assert.equal(sentMask.type, 'image/png');
    const alpha = await sharp(sentMask.bytes).extractChannel('alpha').raw().toBuffer();
    assert.equal(alpha[10 * 64 + 5], 0, 'left half (white in the canonical mask) is transparent = edit');
    assert.equal(alpha[10 * 64 + 50], 255, 'right half is kept');
    assert.deepEqual(body.warnings.map((w: any) => w.setting), ['strength']);
  });

  it('dall-e-2 refuses non-square edits before calling, and img2img without a mask', async () => {
    const before = fake.requests.length;
    const wide = await solidPng(96, 64, [10, 10, 10]);
    const mask = await rectMask(96, 64, { x: 0, y: 0, w: 10, h: 10 });
    const inpaint = await daemon.post('/v1/edit', { model: 'dall-e-2', prompt: 'x', image: b64(wide), mask: b64(mask) });
    assert.equal(inpaint.status, 400);
    assert.equal(inpaint.body.error.param, 'image');
    const img2img = await daemon.post('/v1/edit', { model: 'dall-e-2', prompt: 'x', image: b64(wide) });
    assert.equal(img2img.status, 422);
    assert.equal(fake.requests.length, before);
  });

  it('dall-e-2 inpaints an ordinary RGB image: it is sent as RGBA, which the API requires', async () => {
    const rgb = await solidPng(64, 64, [200, 40, 40]);
    // The fake, like the API, refuses an RGB image part outright.
    const direct = new FormData();
    for (const [k, v] of Object.entries({ model: 'dall-e-2', prompt: 'x', response_format: 'b64_json' })) direct.append(k, v);
    direct.append('image', new Blob([new Uint8Array(rgb)], { type: 'image/png' }), 'image.png');
    const refused = await fetch(`${fake.url}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: direct });
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /format must be in \['RGBA', 'LA', 'L'\], got RGB/);

    const mask = await rectMask(64, 64, { x: 0, y: 0, w: 32, h: 64 });
    const { status, body } = await daemon.post('/v1/edit', { model: 'dall-e-2', prompt: 'x', image: b64(rgb), mask: b64(mask) });
    assert.equal(status, 200, JSON.stringify(body));
    const sent = fake.requests.at(-1)!.form!.image![0] as FilePart;
    const meta = await sharp(sent.bytes).metadata();
    assert.deepEqual([meta.format, meta.hasAlpha, meta.channels], ['png', true, 4]);
    const [r, g, b] = await sharp(sent.bytes).removeAlpha().raw().toBuffer();
    assert.deepEqual([r, g, b], [200, 40, 40], 'the pixels are unchanged');
  });

  it('maps OpenAI error bodies: content policy -> 422 content_blocked, 429 with Retry-After, 500 -> 502, a missing key', async () => {
    const blocked = await daemon.post('/v1/generate', { model: 'gpt-image-1', prompt: 'something forbidden' });
    assert.equal(blocked.status, 422);
    assert.equal(blocked.body.error.code, 'content_blocked');
    assert.match(blocked.body.error.message, /safety system/);
    const limited = await daemon.post('/v1/generate', { model: 'gpt-image-1', prompt: 'ratelimit' });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.equal(limited.headers.get('retry-after'), '7');
    const crashed = await daemon.post('/v1/generate', { model: 'gpt-image-1', prompt: 'crash' });
    assert.equal(crashed.status, 502);
    assert.equal(crashed.body.error.code, 'provider_error');
    const unkeyed = await daemon.post('/v1/generate', { model: 'unkeyed', prompt: 'a fox' });
    assert.equal(unkeyed.status, 502);
    assert.match(unkeyed.body.error.message, /MISSING_KEY/);
    assert.doesNotMatch(JSON.stringify(unkeyed.body), new RegExp(KEY));
  });

  it('times out as 504 provider_timeout', async () => {
    const slow = await daemon.post('/v1/generate', { model: 'gpt-image-1', prompt: 'slow fox' });
    assert.equal(slow.status, 504);
    assert.equal(slow.body.error.code, 'provider_timeout');
  });

  it('sd.cpp behind /v1: seed and knobs embedded as sd_cpp_extra_args, seeds reported, extra fields merged, grey mask', async () => {
    const { status, body } = await daemon.post('/v1/generate', {
      model: 'sd',
      prompt: 'a cat',
      n: 2,
      size: '512x512',
      seed: 1234,
      steps: 28,
      cfg_scale: 5,
      sampler: 'DPM++ 2M Karras',
    });
    assert.equal(status, 200, JSON.stringify(body));
    const native = sdcpp.requests.at(-1)!.json;
    assert.equal(native.model, 'sd-cpp-local');
    assert.equal(native.output_compression, 90);
    assert.equal(native.response_format, undefined);
    const args = JSON.parse(/<sd_cpp_extra_args>(.*)<\/sd_cpp_extra_args>/.exec(native.prompt)![1]!);
    assert.deepEqual(args, { seed: 1234, sample_params: { sample_steps: 28, sample_method: 'dpm++2m', scheduler: 'karras', guidance: { txt_cfg: 5 } } });
    assert.deepEqual(body.images.map((i: any) => i.seed), [1234, 1235]);
    assert.deepEqual(body.warnings, []);

    const image = await solidPng(64, 64, [0, 0, 200]);
    const mask = await rectMask(64, 64, { x: 0, y: 0, w: 32, h: 64 });
    const edit = await daemon.post('/v1/edit', { model: 'sd', prompt: 'a hat', image: b64(image), mask: b64(mask), strength: 0.6, seed: 9 });
    assert.equal(edit.status, 200, JSON.stringify(edit.body));
    const form = sdcpp.requests.at(-1)!.form!;
    assert.ok(form['image[]'], 'sd.cpp gets image[]');
    const grey = await sharp((form.mask![0] as FilePart).bytes).greyscale().raw().toBuffer();
    assert.equal(grey[10 * 64 + 5], 255, 'white = regenerate for sd.cpp');
    assert.equal(grey[10 * 64 + 50], 0);
    assert.match(form.prompt![0] as string, /"strength":0.6/);
    assert.equal(edit.body.images[0].seed, 9);
  });
});

describe('the OpenAI fake keeps the quirks the provider steers around', () => {
  it('refuses n=2 on dall-e-3, response_format on gpt-image, octet-stream parts, with OpenAI error bodies', async () => {
    const fake = await startOpenAIFake();
    try {
      const post = (body: unknown) => fetch(`${fake.url}/v1/images/generations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const n2 = await post({ model: 'dall-e-3', prompt: 'x', n: 2 });
      assert.equal(n2.status, 400);
      assert.equal(((await n2.json()) as any).error.param, 'n');
      const rf = await post({ model: 'gpt-image-1', prompt: 'x', response_format: 'b64_json' });
      assert.equal(((await rf.json()) as any).error.code, 'unknown_parameter');
      const size = await post({ model: 'dall-e-3', prompt: 'x', size: '256x256' });
      assert.deepEqual(((await size.json()) as any).error, { message: 'The size is not supported by this model.', type: 'invalid_request_error', param: null, code: 'invalid_size' });
      const url = await post({ model: 'dall-e-2', prompt: 'x', size: '256x256' });
      assert.ok(((await url.json()) as any).data[0].url, 'dall-e-* answer with URLs unless asked for b64_json');
      const form = new FormData();
      form.append('model', 'gpt-image-1');
      form.append('prompt', 'x');
      form.append('image', new Blob([new Uint8Array(await solidPng(8, 8, [1, 2, 3]))], { type: 'application/octet-stream' }), 'a.png');
      const octet = await fetch(`${fake.url}/v1/images/edits`, { method: 'POST', body: form });
      assert.equal(((await octet.json()) as any).error.code, 'unsupported_file_mimetype');
    } finally {
      await fake.close();
    }
  });
});

describe('openai provider as a library', () => {
  it('cancels on abort and lists image models', async () => {
    const fake = await startOpenAIFake({ apiKey: KEY });
    try {
      const provider = createOpenAIProvider({ baseURL: `${fake.url}/v1`, apiKey: KEY });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      await assert.rejects(provider.imageModel('gpt-image-1').generate('slow fox', withSignal(controller.signal)), (error: unknown) => ImagegenError.is(error, 'cancelled'));
      const official = createOpenAIProvider({ apiKey: KEY, fetch: (url, init) => fetch(String(url).replace('https://api.openai.com', fake.url), init) });
      assert.deepEqual((await official.listModels!()).map((m) => m.id), ['gpt-image-1', 'dall-e-3']);
    } finally {
      await fake.close();
    }
  });
});
