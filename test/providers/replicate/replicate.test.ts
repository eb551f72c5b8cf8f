import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ImagegenError, withSignal } from '../../../src/imagegen/index.ts';
import { createReplicateProvider, REPLICATE_DELIVERY_HOSTS } from '../../../src/providers/replicate/index.ts';
import { isDeliveryHost } from '../../../src/providers/replicate/replicate-image-model.ts';
import { startReplicateFake } from '../../fakes/replicate-fake.ts';
import { b64, rectMask, solidPng } from '../../helpers/app.ts';
import { startTestDaemon } from '../../helpers/hosted-daemon.ts';

const TOKEN = 'r8_test';
const VERSION = '7762fd07cf82c948538e41f63f77d685e02b063e37e496e96eefd46c929f9bdc';

describe('replicate provider through the daemon', () => {
  let fake: Awaited<ReturnType<typeof startReplicateFake>>;
  let daemon: Awaited<ReturnType<typeof startTestDaemon>>;

  before(async () => {
    fake = await startReplicateFake({ token: TOKEN });
    const common = { type: 'replicate', base_url: `${fake.url}/v1`, api_key_env: 'TEST_REPLICATE_TOKEN', poll_interval_ms: 20, output_hosts: [fake.url] };
    daemon = await startTestDaemon(
      {
        providers: {
          rep: common,
          rep4: { ...common, outputs_per_prediction: 4 },
          capped: { ...common, max_output_mb: 0.01, timeout_ms: 400 },
          strict: { ...common, output_hosts: [...REPLICATE_DELIVERY_HOSTS] },
        },
        models: [
          { id: 'sdxl', provider: 'rep', model: `stability-ai/sdxl:${VERSION}` },
          { id: 'sdxl-bad-version', provider: 'rep', model: 'stability-ai/sdxl:abcdef12' },
          { id: 'flux', provider: 'rep', model: 'black-forest-labs/flux-schnell' },
          { id: 'flux-dev', provider: 'rep', model: 'black-forest-labs/flux-dev' },
          { id: 'sdxl4', provider: 'rep4', model: `stability-ai/sdxl:${VERSION}` },
          { id: 'capped', provider: 'capped', model: 'black-forest-labs/flux-schnell' },
          { id: 'allowlisted', provider: 'strict', model: 'black-forest-labs/flux-schnell' },
        ],
      },
      { TEST_REPLICATE_TOKEN: TOKEN },
    );
  });
  after(async () => {
    await daemon.close();
    await fake.close();
  });

  it('runs SDXL through the version route with Prefer: wait, polls, and reports the seeds from the logs', async () => {
    const before = fake.requests.length;
    const { status, body } = await daemon.post('/v1/generate', {
      model: 'sdxl',
      prompt: 'an astronaut',
      n: 2,
      size: '1000x1000',
      seed: 100,
      steps: 30,
      cfg_scale: 6,
      sampler: 'DPM++ 2M Karras',
      negative_prompt: 'blurry',
    });
    assert.equal(status, 200, JSON.stringify(body));
    const creates = fake.requests.slice(before).filter((r) => r.method === 'POST');
    assert.equal(creates.length, 2, 'one prediction per image so each has its own seed');
    for (const create of creates) {
      assert.equal(create.path, '/v1/predictions');
      assert.equal(create.headers.prefer, 'wait=60');
      assert.equal(create.headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(create.json.version, VERSION);
    }
    const inputs = creates.map((c) => c.json.input).sort((a, b) => a.seed - b.seed);
    assert.deepEqual(inputs[0], {
      prompt: 'an astronaut',
      num_outputs: 1,
      seed: 100,
      width: 1000,
      height: 1000,
      negative_prompt: 'blurry',
      num_inference_steps: 30,
      guidance_scale: 6,
      scheduler: 'KarrasDPM',
    });
    assert.ok(fake.requests.slice(before).some((r) => r.method === 'GET' && r.path.startsWith('/v1/predictions/')), 'polled while starting/processing');
    assert.deepEqual(body.images.map((i: any) => i.seed).sort(), [100, 101]);
    assert.deepEqual(body.warnings, []);
  });

  it('FLUX: official route, aspect ratio from size, dropped knobs warned, seed 0 sent as 2^32-1 (no other image has it), go_fast off for an asked seed', async () => {
    const { status, body } = await daemon.post('/v1/generate', { model: 'flux', prompt: 'quick city', size: '1600x900', seed: 0, negative_prompt: 'x', sampler: 'euler', cfg_scale: 3 });
    assert.equal(status, 200, JSON.stringify(body));
    const create = fake.requests.findLast((r) => r.method === 'POST')!;
    assert.equal(create.path, '/v1/models/black-forest-labs/flux-schnell/predictions');
    assert.deepEqual(create.json, { input: { prompt: 'quick city', num_outputs: 1, seed: 4294967295, aspect_ratio: '16:9', output_format: 'png', go_fast: false } });
    assert.equal(body.images[0].seed, 4294967295);
    const bySetting = Object.fromEntries(body.warnings.map((w: any) => [w.setting, w.type]));
    assert.deepEqual(bySetting, { seed: 'changed', negative_prompt: 'unsupported', sampler: 'unsupported', cfg_scale: 'unsupported', size: 'changed' });
  });

  it('inpaints with SDXL: data URLs, the mask white = inpaint, strength as prompt_strength', async () => {
    const image = await solidPng(64, 64, [0, 90, 0]);
    const mask = await rectMask(64, 64, { x: 0, y: 0, w: 32, h: 64 });
    const { status, body } = await daemon.post('/v1/edit', { model: 'sdxl', prompt: 'a door', image: b64(image), mask: b64(mask), strength: 0.7, seed: 5 });
    assert.equal(status, 200, JSON.stringify(body));
    const input = fake.requests.findLast((r) => r.method === 'POST')!.json.input;
    assert.equal(input.prompt_strength, 0.7);
    assert.match(input.image, /^data:image\/png;base64,/);
    const sentMask = Buffer.from(input.mask.split(',')[1], 'base64');
    const grey = await sharp(sentMask).greyscale().raw().toBuffer();
    assert.equal(grey[10 * 64 + 5], 255);
    assert.equal(grey[10 * 64 + 50], 0);
    assert.equal(body.images[0].seed, 5);
  });

  it('says when the safety checker dropped outputs, and maps an all-dropped prediction to content_blocked', async () => {
    const partial = await daemon.post('/v1/generate', { model: 'sdxl4', prompt: 'nsfw beach', n: 3, seed: 9 });
    assert.equal(partial.status, 200);
    assert.equal(fake.requests.findLast((r) => r.method === 'POST')!.json.input.num_outputs, 3);
    assert.equal(partial.body.images.length, 1);
    assert.equal(partial.body.images[0].seed, 9);
    assert.match(partial.body.warnings.find((w: any) => w.type === 'partial').message, /1 of 3 images/);
    const blocked = await daemon.post('/v1/generate', { model: 'sdxl', prompt: 'nsfw beach' });
    assert.equal(blocked.status, 422);
    assert.equal(blocked.body.error.code, 'content_blocked');
  });

  it('maps failures: a failed prediction, a problem-details 422, outputs off the allow-list or over the cap', async () => {
    const failed = await daemon.post('/v1/generate', { model: 'flux', prompt: 'crash' });
    assert.equal(failed.status, 502);
    assert.match(failed.body.error.message, /CUDA out of memory/);
    const invalid = await daemon.post('/v1/generate', { model: 'sdxl-bad-version', prompt: 'x' });
    assert.equal(invalid.status, 502);
    assert.match(invalid.body.error.message, /422: Invalid version: The specified version does not exist/);
    const evil = await daemon.post('/v1/generate', { model: 'flux', prompt: 'quick evil' });
    assert.equal(evil.status, 502);
    assert.match(evil.body.error.message, /evil\.example\.com is not on Replicate's delivery hosts/);
    const local = await daemon.post('/v1/generate', { model: 'allowlisted', prompt: 'quick fine' });
    assert.equal(local.status, 502, 'the fake serves over http on 127.0.0.1, which the default allow-list refuses');
    const huge = await daemon.post('/v1/generate', { model: 'capped', prompt: 'quick huge' });
    assert.equal(huge.status, 502);
    assert.match(huge.body.error.message, /larger than the 10486-byte cap/);
  });

  it('times out as 504 and cancels the prediction', async () => {
    const { status, body } = await daemon.post('/v1/generate', { model: 'capped', prompt: 'hang' });
    assert.equal(status, 504, JSON.stringify(body));
    const cancel = fake.requests.findLast((r) => r.path.endsWith('/cancel'));
    assert.ok(cancel, 'cancel was posted');
    const id = cancel!.path.split('/')[3]!;
    assert.equal(fake.predictions.get(id)!.status, 'canceled');
  });
});

describe('replicate provider: a client that hangs up', () => {
  it('cancels the prediction when the HTTP caller aborts its request to the daemon', async () => {
    const fake = await startReplicateFake({ token: TOKEN });
    const daemon = await startTestDaemon(
      {
        providers: { rep: { type: 'replicate', base_url: `${fake.url}/v1`, api_key_env: 'T', poll_interval_ms: 20, output_hosts: [fake.url] } },
        models: [{ id: 'flux', provider: 'rep', model: 'black-forest-labs/flux-schnell' }],
      },
      { T: TOKEN },
    );
    try {
      const controller = new AbortController();
      const pending = fetch(`${daemon.url}/v1/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'flux', prompt: 'hang' }), signal: controller.signal });
      while (fake.predictions.size === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      controller.abort();
      await assert.rejects(pending);
      const prediction = [...fake.predictions.values()][0]!;
      for (let i = 0; i < 100 && prediction.status !== 'canceled'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(prediction.status, 'canceled');
    } finally {
      await daemon.close();
      await fake.close();
    }
  });
});

describe('replicate provider as a library', () => {
  it('cancels the prediction when the caller aborts, and refuses a bad token with problem details', async () => {
    const fake = await startReplicateFake({ token: TOKEN });
    try {
      const settings = { baseURL: `${fake.url}/v1`, pollIntervalMs: 20, outputHosts: [fake.url] };
      const model = createReplicateProvider({ ...settings, apiKey: TOKEN }).imageModel('black-forest-labs/flux-dev');
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 150);
      await assert.rejects(model.generate('hang', withSignal(controller.signal)), (error: unknown) => ImagegenError.is(error, 'cancelled'));
      // The cancel is sent without holding the caller's answer: wait for it to arrive.
      for (let i = 0; i < 100 && !fake.requests.some((r) => r.path.endsWith('/cancel')); i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(fake.requests.some((r) => r.path.endsWith('/cancel')), 'the prediction was cancelled');
      assert.equal([...fake.predictions.values()].at(-1)!.status, 'canceled');

      const wrong = createReplicateProvider({ ...settings, apiKey: 'nope' }).imageModel('black-forest-labs/flux-dev');
      await assert.rejects(wrong.generate('x'), (error: unknown) => ImagegenError.is(error, 'provider_error') && error.status === 401 && /Unauthenticated/.test(error.message) && !error.retryable);
    } finally {
      await fake.close();
    }
  });

  it('allows only https delivery hosts from the list', () => {
    const ok = (url: string) => isDeliveryHost(new URL(url), REPLICATE_DELIVERY_HOSTS);
    assert.ok(ok('https://replicate.delivery/pbxt/a.png'));
    assert.ok(ok('https://pbxt.replicate.delivery/a.png'));
    assert.ok(!ok('http://replicate.delivery/a.png'));
    assert.ok(!ok('https://replicate.delivery.evil.com/a.png'));
    assert.ok(!ok('https://evilreplicate.delivery/a.png'));
    assert.ok(isDeliveryHost(new URL('http://127.0.0.1:9/x'), ['http://127.0.0.1:9']));
    assert.ok(!isDeliveryHost(new URL('http://127.0.0.1:10/x'), ['http://127.0.0.1:9']));
  });
});
