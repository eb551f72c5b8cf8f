import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ImagegenError, withSignal, type Image } from '../../../src/imagegen/index.ts';
import { createSdapiProvider } from '../../../src/providers/sdapi/index.ts';
import { colourOfSeed, pngOf, startSdapiFake } from '../../fakes/sdapi-fake.ts';
import { rectMask, solidPng } from '../../helpers/app.ts';

type Fake = Awaited<ReturnType<typeof startSdapiFake>>;

async function colourOf(image: Image): Promise<[number, number, number]> {
  const { data } = await sharp(image.bytes).raw().toBuffer({ resolveWithObject: true });
  return [data[0]!, data[1]!, data[2]!];
}

const generations = (fake: Fake) => fake.requests.filter((r) => r.method === 'POST');
const lastBody = (fake: Fake) => generations(fake).at(-1)!.body!;

describe('sdapi provider against A1111', () => {
  let fake: Fake;
  before(async () => {
    fake = await startSdapiFake({ flavor: 'a1111', checkpoints: ['sd_xl_base_1.0.safetensors [31e35c80fc]', 'v1-5-pruned-emaonly.safetensors [6ce0161689]'] });
  });
  after(() => fake.close());

  it('sends one canonical request as A1111 fields and reports the seeds from info', async () => {
    const model = createSdapiProvider({ baseURL: fake.url }).imageModel('default');
    const result = await model.generate({
      prompt: 'a fox',
      n: 2,
      seed: 1234,
      size: { width: 64, height: 64 },
      steps: 12,
      cfgScale: 5.5,
      sampler: 'DPM++ 2M Karras',
      negativePrompt: 'blurry',
    });
    const { force_task_id: taskId, ...body } = lastBody(fake);
    assert.match(String(taskId), /^kimaging-[0-9a-f-]{36}$/, 'each call names its A1111 task, so a cancel can find it');
    assert.deepEqual(body, {
      prompt: 'a fox',
      negative_prompt: 'blurry',
      seed: 1234,
      batch_size: 2,
      steps: 12,
      cfg_scale: 5.5,
      width: 64,
      height: 64,
      sampler_name: 'DPM++ 2M',
      scheduler: 'karras',
      n_iter: 1,
      send_images: true,
      save_images: false,
    });
    assert.deepEqual(result.images.map((i) => i.seed), [1234, 1235]);
    assert.deepEqual(await colourOf(result.images[1]!), colourOfSeed(1235));
    assert.deepEqual(result.warnings, []);
    assert.equal(result.images[0]!.mimeType, 'image/png');
    assert.equal(result.images[0]!.width, 64);
  });

  it('skips the grid before index_of_first_image and the extension images after the batch', async () => {
    // What A1111 answers with save_images and opts.return_grid, plus two ControlNet maps after the batch.
    const [grid, map] = [await pngOf(128, 64, [255, 255, 255]), await pngOf(64, 64, [0, 0, 0])];
    const batch = await Promise.all([10, 11, 12].map((s) => pngOf(64, 64, colourOfSeed(s))));
    fake.options.answerNext = {
      status: 200,
      body: { images: [grid, ...batch, map, map], parameters: {}, info: JSON.stringify({ seed: 10, all_seeds: [10, 11, 12], index_of_first_image: 1 }) },
    };
    const model = createSdapiProvider({ baseURL: fake.url }).imageModel('default');
    const result = await model.generate({ prompt: 'p', n: 3, seed: 10, size: { width: 64, height: 64 } });
    assert.deepEqual(result.images.map((i) => [i.seed, i.width]), [[10, 64], [11, 64], [12, 64]]);
    assert.deepEqual(await Promise.all(result.images.map(colourOf)), [10, 11, 12].map(colourOfSeed));
  });

  it('reports the seed the server drew when it did not use the one sent', async () => {
    fake.options.answerNext = {
      status: 200,
      body: { images: [await pngOf(64, 64, colourOfSeed(99))], parameters: {}, info: JSON.stringify({ seed: 99, all_seeds: [99], index_of_first_image: 0 }) },
    };
    const result = await createSdapiProvider({ baseURL: fake.url }).imageModel('default').generate({ prompt: 'p', seed: 10 });
    assert.equal(result.images[0]!.seed, 99);
  });

  it('drops a sampler this server does not list, with a warning (A1111 would silently use its first)', async () => {
    const model = createSdapiProvider({ baseURL: fake.url }).imageModel('default');
    const result = await model.generate({ prompt: 'p', seed: 1, size: { width: 64, height: 64 }, sampler: 'ipndm' });
    assert.equal(lastBody(fake).sampler_name, undefined);
    assert.equal(result.warnings[0]!.setting, 'sampler');
    assert.equal(result.warnings[0]!.type, 'unsupported');
    await assert.rejects(
      model.generate({ prompt: 'p', seed: 1, sampler: 'ipndm', strictKnobs: true }),
      (error: unknown) => ImagegenError.is(error, 'unsupported') && error.param === 'sampler',
    );
  });

  it('switches checkpoints per request through override_settings, and refuses an unknown one before sending', async () => {
    const provider = createSdapiProvider({ baseURL: fake.url });
    await provider.imageModel('sd_xl_base_1.0.safetensors [31e35c80fc]').generate({ prompt: 'p', seed: 1, size: { width: 64, height: 64 } });
    assert.deepEqual(lastBody(fake).override_settings, { sd_model_checkpoint: 'sd_xl_base_1.0.safetensors [31e35c80fc]' });
    // The short model name resolves to the title too.
    await provider.imageModel('v1-5-pruned-emaonly').generate({ prompt: 'p', seed: 1, size: { width: 64, height: 64 } });
    assert.deepEqual(lastBody(fake).override_settings, { sd_model_checkpoint: 'v1-5-pruned-emaonly.safetensors [6ce0161689]' });
    const before = generations(fake).length;
    await assert.rejects(provider.imageModel('nope').generate('p'), (error: unknown) => ImagegenError.is(error, 'not_found') && /sd_xl_base/.test(error.message));
    assert.equal(generations(fake).length, before);
    assert.deepEqual((await provider.listModels!()).map((m) => m.id), ['sd_xl_base_1.0.safetensors [31e35c80fc]', 'v1-5-pruned-emaonly.safetensors [6ce0161689]']);
  });

  it('asks for samplers and schedulers once and caches them', async () => {
    const cached = await startSdapiFake({ flavor: 'a1111' });
    try {
      const model = createSdapiProvider({ baseURL: cached.url }).imageModel('default');
      await model.generate({ prompt: 'p', seed: 1, size: { width: 64, height: 64 } });
      await model.generate({ prompt: 'p', seed: 2, size: { width: 64, height: 64 } });
      assert.equal(cached.requests.filter((r) => r.path === '/sdapi/v1/samplers').length, 1);
      assert.equal(cached.requests.filter((r) => r.path === '/sdapi/v1/schedulers').length, 1);
    } finally {
      await cached.close();
    }
  });

  it('inpaints with a white = inpaint mask, the fill and "only masked" settings, at the init image size', async () => {
    const model = createSdapiProvider({ baseURL: fake.url, inpaint: { inpaintingFill: 'latent_noise', maskBlur: 2 } }).imageModel('default');
    const image = await solidPng(96, 64, [10, 20, 30]);
    const mask = await rectMask(96, 64, { x: 0, y: 0, w: 32, h: 64 });
    const result = await model.generate({ prompt: 'door', seed: 5, image: { bytes: image }, mask: { bytes: mask }, strength: 0.6 });
    const body = lastBody(fake);
    assert.equal(body.init_images && (body.init_images as string[])[0], image.toString('base64'));
    assert.equal(body.denoising_strength, 0.6);
    assert.equal(body.inpainting_fill, 2);
    assert.equal(body.inpaint_full_res, false);
    assert.equal(body.mask_blur, 2);
    assert.equal(body.inpainting_mask_invert, 0);
    assert.deepEqual([body.width, body.height], [96, 64]);
    const sent = Buffer.from(body.mask as string, 'base64');
    assert.equal((await sharp(sent).metadata()).channels, 1);
    const { data } = await sharp(sent).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([data[0], data[63]], [255, 0]);
    assert.deepEqual(result.images.map((i) => [i.width, i.height, i.seed]), [[96, 64, 5]]);
  });

  it('maps A1111 error bodies to typed errors', async () => {
    const model = createSdapiProvider({ baseURL: fake.url }).imageModel('default');
    fake.options.answerNext = { status: 422, body: { detail: [{ loc: ['body', 'width'], msg: 'value is not a valid integer', type: 'type_error.integer' }] } };
    await assert.rejects(model.generate({ prompt: 'p', seed: 1 }), (error: unknown) => ImagegenError.is(error, 'provider_error') && error.status === 422 && !error.retryable && /width: value is not a valid integer/.test(error.message));
    fake.options.answerNext = { status: 500, body: { error: 'HTTPException', detail: 'Invalid encoded image', body: '', errors: '' } };
    await assert.rejects(model.generate({ prompt: 'p', seed: 1 }), (error: unknown) => ImagegenError.is(error, 'provider_error') && error.retryable && /Invalid encoded image/.test(error.message));
    fake.options.answerNext = { status: 500, body: { error: 'OutOfMemoryError', detail: '', body: '', errors: 'CUDA out of memory' } };
    await assert.rejects(model.generate({ prompt: 'p', seed: 1 }), (error: unknown) => ImagegenError.is(error) && /OutOfMemoryError: CUDA out of memory/.test(error.message));
  });

  it('sends HTTP Basic auth for --api-auth, and says what a 401 means', async () => {
    const locked = await startSdapiFake({ flavor: 'a1111', apiAuth: 'me:secret' });
    try {
      const open = createSdapiProvider({ baseURL: locked.url, basicAuth: 'me:secret' }).imageModel('default');
      assert.equal((await open.generate({ prompt: 'p', seed: 3, size: { width: 64, height: 64 } })).images[0]!.seed, 3);
      const refused = createSdapiProvider({ baseURL: locked.url, basicAuth: 'me:wrong' }).imageModel('default');
      await assert.rejects(refused.generate('p'), (error: unknown) => ImagegenError.is(error, 'provider_error') && error.status === 401 && !error.retryable && /Not authenticated/.test(error.message));
    } finally {
      await locked.close();
    }
  });

  it('times out and aborts', async () => {
    const slow = await startSdapiFake({ flavor: 'a1111', delayMs: 400 });
    try {
      const timed = createSdapiProvider({ baseURL: slow.url, timeoutMs: 100 }).imageModel('default');
      await assert.rejects(timed.generate({ prompt: 'p', seed: 1 }), (error: unknown) => ImagegenError.is(error, 'provider_timeout') && error.retryable);
      const model = createSdapiProvider({ baseURL: slow.url }).imageModel('default');
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(model.generate({ prompt: 'p', seed: 1 }, withSignal(controller.signal)), (error: unknown) => ImagegenError.is(error, 'cancelled'));
    } finally {
      await slow.close();
    }
  });

  it('stops waiting for a slow discovery when the caller aborts', async () => {
    const cold = await startSdapiFake({ flavor: 'a1111', discoveryDelayMs: 600 });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const started = Date.now();
      await assert.rejects(createSdapiProvider({ baseURL: cold.url }).imageModel('default').generate('p', withSignal(controller.signal)), (error: unknown) => ImagegenError.is(error, 'cancelled'));
      assert.ok(Date.now() - started < 400);
    } finally {
      await cold.close();
    }
  });
});

describe('sdapi provider against A1111 before 1.9', () => {
  it('sends the combined label where the server has one, and drops the schedule where it has none', async () => {
    const fake = await startSdapiFake({ flavor: 'a1111', legacy: true });
    try {
      const model = createSdapiProvider({ baseURL: fake.url }).imageModel('default');
      const karras = await model.generate({ prompt: 'p', seed: 1, size: { width: 64, height: 64 }, sampler: 'dpmpp_2m', scheduler: 'karras' });
      assert.equal(lastBody(fake).sampler_name, 'DPM++ 2M Karras');
      assert.equal(lastBody(fake).scheduler, undefined);
      assert.deepEqual(karras.warnings, []);
      const simple = await model.generate({ prompt: 'p', seed: 1, size: { width: 64, height: 64 }, sampler: 'euler', scheduler: 'simple' });
      assert.equal(lastBody(fake).sampler_name, 'Euler');
      assert.equal(lastBody(fake).scheduler, undefined);
      assert.equal(simple.warnings[0]!.setting, 'scheduler');
    } finally {
      await fake.close();
    }
  });
});

describe('sdapi provider against sd-server', () => {
  let fake: Fake;
  before(async () => {
    // A server before the native API (#1407): these are the /sdapi/v1 dialect's tests; sdcpp-native.test.ts has the rest.
    fake = await startSdapiFake({ flavor: 'sdcpp', native: false });
  });
  after(() => fake.close());

  it('detects sd-server, translates names to its case-sensitive native ones, and clamps steps with a warning', async () => {
    const model = createSdapiProvider({ baseURL: fake.url }).imageModel('default');
    const result = await model.generate({ prompt: 'a fox', seed: 77, size: { width: 64, height: 64 }, sampler: 'DPM++ 2M', scheduler: 'Karras', steps: 150, cfgScale: 4 });
    assert.deepEqual(lastBody(fake), {
      prompt: 'a fox',
      seed: 77,
      batch_size: 1,
      steps: 100,
      cfg_scale: 4,
      width: 64,
      height: 64,
      sampler_name: 'dpm++2m',
      scheduler: 'karras',
    });
    assert.deepEqual(result.warnings.map((w) => [w.type, w.setting]), [['changed', 'steps']]);
    assert.match(result.warnings[0]!.message, /150 clamped to 100/);
    assert.equal(result.images[0]!.seed, 77);
  });

  it('splits n above 8 into calls, seeds continuing, and reports the seeds from info.all_seeds', async () => {
    const model = createSdapiProvider({ baseURL: fake.url }).imageModel('default');
    const before = generations(fake).length;
    const result = await model.generate({ prompt: 'p', n: 10, seed: 500, size: { width: 64, height: 64 } });
    const calls = generations(fake).slice(before).map((r) => [r.body!.batch_size, r.body!.seed]);
    assert.deepEqual(calls, [[8, 500], [2, 508]]);
    assert.deepEqual(result.images.map((i) => i.seed), Array.from({ length: 10 }, (_, i) => 500 + i));
    assert.deepEqual(await colourOf(result.images[9]!), colourOfSeed(509));
    assert.equal(fake.maxConcurrent, 1);
  });

  it('refuses names sd-server would silently ignore: a sampler it lacks is dropped with a warning', async () => {
    const model = createSdapiProvider({ baseURL: fake.url }).imageModel('default');
    const result = await model.generate({ prompt: 'p', seed: 1, size: { width: 64, height: 64 }, sampler: 'unipc', scheduler: 'ddim_uniform' });
    assert.equal(lastBody(fake).sampler_name, undefined);
    assert.equal(lastBody(fake).scheduler, undefined);
    assert.deepEqual(result.warnings.map((w) => w.setting).sort(), ['sampler', 'scheduler']);
  });

  it('sends img2img with the mask and reports the A1111-only inpaint settings it had to drop', async () => {
    const model = createSdapiProvider({ baseURL: fake.url, flavor: 'sdcpp', inpaint: { onlyMasked: true } }).imageModel('default');
    const image = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } }).webp().toBuffer();
    const mask = await rectMask(64, 64, { x: 8, y: 8, w: 8, h: 8 });
    const result = await model.generate({ prompt: 'p', seed: 9, image: { bytes: image }, mask: { bytes: mask }, strength: 0.5 });
    const body = lastBody(fake);
    // stb_image reads no WebP, so the init image goes as PNG.
    assert.equal((await sharp(Buffer.from((body.init_images as string[])[0]!, 'base64')).metadata()).format, 'png');
    assert.equal(body.denoising_strength, 0.5);
    assert.equal(body.inpainting_fill, undefined);
    assert.equal(body.inpaint_full_res, undefined);
    assert.ok(typeof body.mask === 'string');
    assert.deepEqual(result.warnings.map((w) => w.setting), ['only_masked']);
  });

  it('maps string errors, and warns when an older server reports no seeds', async () => {
    const model = createSdapiProvider({ baseURL: fake.url }).imageModel('default');
    fake.options.answerNext = { status: 400, body: { error: 'invalid params' } };
    await assert.rejects(model.generate({ prompt: 'p', seed: 1 }), (error: unknown) => ImagegenError.is(error, 'provider_error') && error.status === 400 && !error.retryable && /invalid params/.test(error.message));
    fake.options.answerNext = { status: 500, body: { error: 'generate_image returned no results' } };
    await assert.rejects(model.generate({ prompt: 'p', seed: 1 }), (error: unknown) => ImagegenError.is(error) && error.retryable && /returned no results/.test(error.message));

    const old = await startSdapiFake({ flavor: 'sdcpp', emptyInfo: true, native: false });
    try {
      const result = await createSdapiProvider({ baseURL: old.url }).imageModel('default').generate({ prompt: 'p', n: 2, seed: 40, size: { width: 64, height: 64 } });
      assert.deepEqual(result.images.map((i) => i.seed), [40, 41]);
      assert.equal(result.warnings[0]!.setting, 'seed');
    } finally {
      await old.close();
    }
  });
});

describe('the SDAPI fakes themselves', () => {
  it('A1111: seed -1 draws a random 32-bit seed reported in info, generations run one at a time, img2img needs init_images', async () => {
    const fake = await startSdapiFake({ flavor: 'a1111', delayMs: 60 });
    try {
      const post = (path: string, body: unknown) => fetch(fake.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const answers = await Promise.all([1, 2].map(() => post('/sdapi/v1/txt2img', { prompt: 'p', seed: -1, width: 64, height: 64 }).then((r) => r.json())));
      const seeds = answers.map((a: { info: string }) => JSON.parse(a.info).seed as number);
      assert.ok(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 4294967294));
      assert.equal(fake.maxConcurrent, 1);
      const missing = await post('/sdapi/v1/img2img', { prompt: 'p' });
      assert.equal(missing.status, 404);
      assert.equal((await missing.json()).detail, 'Init image not found');
      const garbage = await post('/sdapi/v1/img2img', { prompt: 'p', init_images: ['bm90IGFuIGltYWdl'] });
      assert.equal(garbage.status, 500);
      assert.equal((await garbage.json()).detail, 'Invalid encoded image');
    } finally {
      await fake.close();
    }
  });
});
