import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { ImagegenError, withProgress, withSignal, type ProgressEvent } from '../../../src/imagegen/index.ts';
import { createComfyUIProvider, DEFAULT_GRAPHS } from '../../../src/providers/comfyui/index.ts';
import { fakeColour, startComfyUIFake, type ComfyUIFake, type ComfyUIFakeOptions } from '../../fakes/comfyui-fake.ts';
import { rawPixels, rectMask, solidPng } from '../../helpers/app.ts';

const CKPT = 'sd_xl_base_1.0.safetensors';
const fakes: ComfyUIFake[] = [];
after(async () => {
  await Promise.all(fakes.map((fake) => fake.close()));
});

async function setup(options: ComfyUIFakeOptions = {}, settings: Parameters<typeof createComfyUIProvider>[0] = {}) {
  const fake = await startComfyUIFake(options);
  fakes.push(fake);
  const provider = createComfyUIProvider({ baseURL: fake.url, pollIntervalMs: 10, ...settings });
  return { fake, provider, model: provider.imageModel(CKPT) };
}

const pixelAt = async (png: Uint8Array, x: number, y: number) => {
  const { data, info } = await rawPixels(png);
  const at = (y * info.width + x) * info.channels;
  return [data[at], data[at + 1], data[at + 2]];
};
const kSampler = (fake: ComfyUIFake, index: number) => Object.values(fake.prompts[index]!.body.prompt).find((node) => node.class_type === 'KSampler')!.inputs;
const rejects = (code: string, pattern?: RegExp) => (error: unknown) => ImagegenError.is(error) && error.code === code && (!pattern || pattern.test(error.message));

describe('ComfyUI provider against the fake', () => {
  it('txt2img: one prompt per image with seed s+i, native names, progress through the websocket', async () => {
    const { fake, model } = await setup();
    const events: ProgressEvent[] = [];
    const result = await model.generate(
      { prompt: 'a red fox', n: 3, seed: 41, size: { width: 64, height: 48 }, sampler: 'DPM++ 2M Karras', steps: 4, cfgScale: 6.5, negativePrompt: 'blurry' },
      withProgress((event) => events.push(event)),
    );
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(result.images.map((image) => image.seed), [41, 42, 43]);
    assert.equal(fake.prompts.length, 3);
    for (const [i, image] of result.images.entries()) {
      assert.deepEqual([image.width, image.height, image.mimeType], [64, 48, 'image/png']);
      assert.deepEqual(await pixelAt(image.bytes, 5, 5), fakeColour(41 + i, 'a red fox'));
      const inputs = kSampler(fake, i);
      assert.equal(inputs.seed, 41 + i);
      assert.deepEqual([inputs.sampler_name, inputs.scheduler, inputs.steps, inputs.cfg, inputs.denoise], ['dpmpp_2m', 'karras', 4, 6.5, 1]);
    }
    const graph = fake.prompts[0]!.body.prompt;
    assert.equal(graph['1']!.inputs.ckpt_name, CKPT);
    assert.equal(graph['3']!.inputs.text, 'blurry');
    assert.deepEqual(graph['4']!.inputs, { width: 64, height: 48, batch_size: 1 });
    // Every prompt of one call went to the same websocket client.
    assert.equal(new Set(fake.prompts.map((p) => p.body.client_id)).size, 1);
    assert.equal(events.length, 12);
    assert.equal(events.at(-1)!.fraction, 1);
    assert.ok(events.every((event, i) => i === 0 || event.fraction! >= events[i - 1]!.fraction!));
    // Woken by the websocket: one history read per prompt before it is done at most, not a poll loop.
    assert.ok(fake.hits.get('GET /history')! <= 6, `history read ${fake.hits.get('GET /history')} times`);
  });

  it('falls back to polling /history when the websocket cannot be opened', async () => {
    const { fake, model } = await setup({ websocket: false, stepDelayMs: 5 });
    const result = await model.generate({ prompt: 'polled', n: 1, seed: 7, size: { width: 32, height: 32 }, steps: 6 });
    assert.equal(result.images[0]!.seed, 7);
    assert.deepEqual(await pixelAt(result.images[0]!.bytes, 0, 0), fakeColour(7, 'polled'));
    assert.ok(fake.hits.get('GET /history')! >= 2);
  });

  it('img2img: uploads the init image at the size asked for and uses the name the server returns', async () => {
    const { fake, model } = await setup();
    const init = await solidPng(40, 40, [10, 20, 30]);
    const request = { prompt: 'paint', n: 1, seed: 3, image: { bytes: init }, strength: 0.5, size: { width: 32, height: 32 } };
    const first = await model.generate(request);
    const name = fake.uploads[0]!.name;
    assert.match(name, /^koder-[0-9a-f]{16}\.png$/);
    assert.equal((await sharp(fake.uploads[0]!.bytes).metadata()).width, 32);
    assert.equal(fake.prompts[0]!.body.prompt['4']!.inputs.image, name);
    assert.equal(kSampler(fake, 0).denoise, 0.5);
    const colour = fakeColour(3, 'paint');
    assert.deepEqual(await pixelAt(first.images[0]!.bytes, 1, 1), [10, 20, 30].map((v, c) => Math.round(v * 0.5 + colour[c]! * 0.5)));
    assert.equal(first.images[0]!.width, 32);

    // Someone else's file now sits under that name: the server renames ours, and we follow.
    fake.inputs.set(name, await solidPng(8, 8, [255, 0, 0]));
    await model.generate(request);
    const renamed = fake.uploads[1]!.name;
    assert.equal(renamed, name.replace('.png', ' (1).png'));
    assert.equal(fake.prompts[1]!.body.prompt['4']!.inputs.image, renamed);
  });

  it('inpaint: the canonical mask goes up black and white for LoadImageMask red; only white is repainted', async () => {
    const { fake, model } = await setup();
    const init = await solidPng(32, 32, [100, 100, 100]);
    const mask = await rectMask(32, 32, { x: 0, y: 0, w: 16, h: 32 });
    const result = await model.generate({ prompt: 'door', n: 1, seed: 9, image: { bytes: init }, mask: { bytes: mask } });
    const graph = fake.prompts[0]!.body.prompt;
    const maskNode = Object.values(graph).find((node) => node.class_type === 'LoadImageMask')!;
    assert.equal(maskNode.inputs.channel, 'red');
    const uploadedMask = fake.uploads.find((u) => u.name === maskNode.inputs.image)!;
    assert.deepEqual(await pixelAt(uploadedMask.bytes, 2, 2), [255, 255, 255]);
    assert.deepEqual(await pixelAt(uploadedMask.bytes, 30, 2), [0, 0, 0]);
    assert.ok(Object.values(graph).some((node) => node.class_type === 'InpaintModelConditioning'));
    assert.equal(kSampler(fake, 0).denoise, 1);
    assert.deepEqual(await pixelAt(result.images[0]!.bytes, 4, 10), fakeColour(9, 'door'));
    assert.deepEqual(await pixelAt(result.images[0]!.bytes, 28, 10), [100, 100, 100]);
  });

  it('checks sampler, scheduler and checkpoint names against /object_info, cached, before sending', async () => {
    const { fake, provider, model } = await setup({ samplers: ['euler', 'dpmpp_2m'] });
    const result = await model.generate({ prompt: 'x', n: 1, seed: 1, size: { width: 16, height: 16 }, sampler: 'euler_a', steps: 2 });
    assert.equal(kSampler(fake, 0).sampler_name, 'euler');
    assert.match(result.warnings.find((w) => w.setting === 'sampler')!.message, /no sampler "euler_ancestral".*using euler/);
    await assert.rejects(
      model.generate({ prompt: 'x', n: 1, sampler: 'euler_a', strictKnobs: true, size: { width: 16, height: 16 } }),
      (error: unknown) => ImagegenError.is(error, 'unsupported') && error.param === 'sampler',
    );
    assert.equal(fake.hits.get('GET /object_info/KSampler'), 1);
    await assert.rejects(provider.imageModel('missing.safetensors').generate('x'), rejects('provider_error', /no checkpoint "missing.safetensors"; it has sd_xl_base/));
    assert.equal(fake.prompts.length, 1);
    const listed = await provider.listModels!();
    assert.deepEqual(listed.map((m) => m.id), [CKPT]);
    assert.deepEqual([...listed[0]!.capabilities], ['txt2img', 'img2img', 'inpaint']);
  });

  it('maps node errors: a placeholder input is invalid_request with its param; the discovery cache is dropped', async () => {
    const { fake, model } = await setup({ samplers: ['euler'], advertisedSamplers: ['euler', 'lcm'] });
    await assert.rejects(model.generate({ prompt: 'x', n: 1, sampler: 'lcm', size: { width: 16, height: 16 } }), (error: unknown) => {
      assert.ok(ImagegenError.is(error, 'invalid_request'));
      assert.equal(error.param, 'sampler');
      assert.match(error.message, /Value not in list: sampler_name: 'lcm' not in/);
      return true;
    });
    assert.equal(fake.prompts[0]!.status, 400);
    await model.generate({ prompt: 'x', n: 1, size: { width: 16, height: 16 }, steps: 1 });
    assert.equal(fake.hits.get('GET /object_info/KSampler'), 2);
  });

  it('maps a fixed workflow value the server refuses to provider_error, and execution_error too', async () => {
    const broken = structuredClone(DEFAULT_GRAPHS.txt2img);
    broken['5']!.inputs.sampler_name = 'not_a_sampler';
    const { model: bad } = await setup({}, { workflows: { broken: { txt2img: broken, checkpoint: CKPT } } }).then((s) => ({ model: s.provider.imageModel('broken') }));
    await assert.rejects(bad.generate({ prompt: 'x', n: 1, size: { width: 16, height: 16 } }), (error: unknown) => {
      return ImagegenError.is(error, 'provider_error') && error.status === 400 && error.retryable && /KSampler #5: Value not in list/.test(error.message);
    });
    const { model } = await setup({ failClass: 'VAEDecode' });
    await assert.rejects(model.generate({ prompt: 'x', n: 1, size: { width: 16, height: 16 }, steps: 1 }), rejects('provider_error', /VAEDecode #6: RuntimeError: fake failure in VAEDecode/));
  });

  it('one failed prompt of several: the other images come back with a partial warning', async () => {
    const { model } = await setup({ failSeed: 11 });
    const result = await model.generate({ prompt: 'x', n: 3, seed: 10, size: { width: 16, height: 16 }, steps: 1 });
    assert.deepEqual(result.images.map((image) => image.seed), [10, 12]);
    const partial = result.warnings.find((w) => w.type === 'partial')!;
    assert.match(partial.message, /1 of 3 prompts failed \(.*CUDA out of memory \(fake, seed 11\)\); returning 2 images/);
  });

  it('cancels on abort: deletes a waiting prompt from the queue, interrupts a running one', async () => {
    const waiting = await setup({ hold: true });
    const controller = new AbortController();
    const pending = waiting.model.generate({ prompt: 'x', n: 2, size: { width: 16, height: 16 } }, withSignal(controller.signal));
    while (waiting.fake.prompts.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await assert.rejects(pending, rejects('cancelled'));
    // The clean-up is sent without holding the caller's answer: wait for it to arrive.
    await eventually(() => waiting.fake.deletes.length > 0);
    assert.deepEqual(waiting.fake.deletes, [waiting.fake.prompts.map((p) => p.promptId)]);
    assert.deepEqual(waiting.fake.interrupts, []);

    const running = await setup({ stepDelayMs: 20 });
    const stop = new AbortController();
    const started = running.model.generate(
      { prompt: 'x', n: 1, steps: 50, size: { width: 16, height: 16 } },
      withSignal(stop.signal),
      withProgress(() => stop.abort()),
    );
    await assert.rejects(started, rejects('cancelled'));
    await eventually(() => running.fake.interrupts.length > 0);
    assert.deepEqual(running.fake.interrupts, [{ prompt_id: running.fake.prompts[0]!.promptId }]);
  });

  it('cancels through /api/jobs/{id}/cancel where the server has it: that prompt only, queued or running', async () => {
    const { fake, model } = await setup({ jobsApi: true, stepDelayMs: 20 });
    const stop = new AbortController();
    // Three prompts: the first runs, two wait; someone else's prompt must not be touched.
    const started = model.generate({ prompt: 'x', n: 3, steps: 50, size: { width: 16, height: 16 } }, withSignal(stop.signal), withProgress(() => stop.abort()));
    await assert.rejects(started, rejects('cancelled'));
    await eventually(() => fake.jobCancels.length === 3);
    const ids = fake.prompts.map((p) => p.promptId);
    assert.deepEqual(fake.jobCancels.map((c) => c.id).sort(), [...ids].sort());
    assert.deepEqual(fake.jobCancels.map((c) => c.did).sort(), ['dequeued', 'dequeued', 'interrupted']);
    assert.deepEqual(fake.interrupts, [], 'no global /interrupt');
    assert.deepEqual(fake.deletes, []);
  });

  it('times out as provider_timeout and takes the prompt off the queue', async () => {
    const { fake, model } = await setup({ hold: true }, { timeoutMs: 200 });
    await assert.rejects(model.generate({ prompt: 'x', n: 1, size: { width: 16, height: 16 } }), (error: unknown) => {
      return ImagegenError.is(error, 'provider_timeout') && error.retryable && /within 200 ms/.test(error.message);
    });
    await eventually(() => fake.deletes.length > 0);
    assert.deepEqual(fake.deletes, [[fake.prompts[0]!.promptId]]);
  });

  it('a repeated prompt is replayed from the cache without progress events, and still returns its image', async () => {
    const { model } = await setup();
    const request = { prompt: 'same', n: 1, seed: 5, size: { width: 16, height: 16 }, steps: 3 };
    const events: ProgressEvent[] = [];
    const first = await model.generate(request);
    const again = await model.generate(request, withProgress((event) => events.push(event)));
    assert.deepEqual(again.images[0]!.bytes, first.images[0]!.bytes);
    assert.equal(events.length, 0);
  });

  it('a connection failure is a retryable provider_error', async () => {
    const provider = createComfyUIProvider({ baseURL: 'http://127.0.0.1:9', requestTimeoutMs: 2000 });
    await assert.rejects(provider.imageModel(CKPT).generate('x'), (error: unknown) => ImagegenError.is(error, 'provider_error') && error.retryable && /cannot reach/.test(error.message));
  });
});

/** Polls `done` for up to a second: for effects sent in the background. */
async function eventually(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}
