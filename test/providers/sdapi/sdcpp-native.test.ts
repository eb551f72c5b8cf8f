/**
 * sd-server's native async API (/sdcpp/v1): used when GET /sdcpp/v1/capabilities answers, with
 * /sdapi/v1 kept for older servers; a job is polled for progress and cancelled by id on abort.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { ImagegenError, withProgress, withSignal, type Image, type ProgressEvent } from '../../../src/imagegen/index.ts';
import { createSdapiProvider } from '../../../src/providers/sdapi/index.ts';
import { colourOfSeed, startLlamaSwapFake, startSdapiFake } from '../../fakes/sdapi-fake.ts';
import { rectMask } from '../../helpers/app.ts';
import { until } from '../../helpers/wait.ts';

type Fake = Awaited<ReturnType<typeof startSdapiFake>>;

async function colourOf(image: Image): Promise<[number, number, number]> {
  const { data } = await sharp(image.bytes).raw().toBuffer({ resolveWithObject: true });
  return [data[0]!, data[1]!, data[2]!];
}

const paths = (fake: Fake) => fake.requests.map((r) => `${r.method} ${r.path}`);
const submitted = (fake: Fake) => fake.requests.filter((r) => r.path === '/sdcpp/v1/img_gen');

async function withFake(options: Parameters<typeof startSdapiFake>[0], test: (fake: Fake) => Promise<void>) {
  const fake = await startSdapiFake(options);
  try {
    await test(fake);
  } finally {
    await fake.close();
  }
}

/** Someone else's job straight to the server, so ours waits in the queue behind it. */
const otherJob = (fake: Fake) =>
  fetch(`${fake.url}/sdcpp/v1/img_gen`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'theirs', seed: 5 }) }).then((r) => r.json());

describe('sd-server native API', () => {
  it('submits a native job with the native schema and reads the images in order, seed + i', () =>
    withFake({ flavor: 'sdcpp' }, async (fake) => {
      const model = createSdapiProvider({ baseURL: fake.url, sdcppPollMs: 20 }).imageModel('default');
      const result = await model.generate({ prompt: 'a fox', n: 3, seed: 900, size: { width: 64, height: 64 }, steps: 12, cfgScale: 4.5, sampler: 'DPM++ 2M', scheduler: 'Karras', negativePrompt: 'blurry' });
      assert.deepEqual(submitted(fake).map((r) => r.body), [
        {
          prompt: 'a fox',
          negative_prompt: 'blurry',
          seed: 900,
          batch_count: 3,
          width: 64,
          height: 64,
          sample_params: { sample_steps: 12, sample_method: 'dpm++2m', scheduler: 'karras', guidance: { txt_cfg: 4.5 } },
        },
      ]);
      assert.ok(!paths(fake).some((p) => p.startsWith('POST /sdapi/')), 'no /sdapi generation');
      assert.ok(paths(fake).includes('GET /sdcpp/v1/capabilities'));
      assert.deepEqual(result.images.map((i) => i.seed), [900, 901, 902]);
      for (const [i, image] of result.images.entries()) assert.deepEqual(await colourOf(image), colourOfSeed(900 + i));
      assert.deepEqual([result.images[0]!.width, result.images[0]!.mimeType], [64, 'image/png']);
      assert.deepEqual(result.warnings, [], 'no "seeds not reported" warning: the native seed rule is known');
    }));

  it('keeps /sdapi/v1 on a server whose capabilities route is a 404', () =>
    withFake({ flavor: 'sdcpp', native: false }, async (fake) => {
      const result = await createSdapiProvider({ baseURL: fake.url }).imageModel('default').generate({ prompt: 'p', seed: 31, size: { width: 64, height: 64 } });
      assert.ok(paths(fake).includes('GET /sdcpp/v1/capabilities'), 'it was asked');
      assert.deepEqual(paths(fake).filter((p) => p.startsWith('POST')), ['POST /sdapi/v1/txt2img']);
      assert.equal(result.images[0]!.seed, 31);
    }));

  it('keeps /sdapi/v1 when the capabilities route fails otherwise (a proxy answering 502): generation still works', () =>
    withFake({ flavor: 'sdcpp' }, async (fake) => {
      const broken: typeof fetch = (input, init) =>
        String(input).endsWith('/sdcpp/v1/capabilities') ? Promise.resolve(new Response('{"error":"bad gateway"}', { status: 502 })) : fetch(input, init);
      const result = await createSdapiProvider({ baseURL: fake.url, fetch: broken }).imageModel('default').generate({ prompt: 'p', seed: 4, size: { width: 64, height: 64 } });
      assert.deepEqual(paths(fake).filter((p) => p.startsWith('POST')), ['POST /sdapi/v1/txt2img']);
      assert.equal(result.images[0]!.seed, 4);
    }));

  it('stays on /sdapi/v1 when sdcppNative is false, and never asks A1111 for capabilities', async () => {
    await withFake({ flavor: 'sdcpp' }, async (fake) => {
      await createSdapiProvider({ baseURL: fake.url, sdcppNative: false }).imageModel('default').generate({ prompt: 'p', seed: 1, size: { width: 64, height: 64 } });
      assert.deepEqual(paths(fake).filter((p) => p.includes('/sdcpp/')), []);
      assert.deepEqual(paths(fake).filter((p) => p.startsWith('POST')), ['POST /sdapi/v1/txt2img']);
    });
    await withFake({ flavor: 'a1111' }, async (fake) => {
      await createSdapiProvider({ baseURL: fake.url, flavor: 'a1111' }).imageModel('default').generate({ prompt: 'p', seed: 1, size: { width: 64, height: 64 } });
      assert.deepEqual(paths(fake).filter((p) => p.includes('/sdcpp/')), []);
    });
  });

  it('sends img2img as init_image, mask_image and strength', () =>
    withFake({ flavor: 'sdcpp' }, async (fake) => {
      const image = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } }).webp().toBuffer();
      const mask = await rectMask(64, 64, { x: 8, y: 8, w: 8, h: 8 });
      const model = createSdapiProvider({ baseURL: fake.url, sdcppPollMs: 20 }).imageModel('default');
      const result = await model.generate({ prompt: 'p', seed: 9, image: { bytes: image }, mask: { bytes: mask }, strength: 0.4 });
      const body = submitted(fake)[0]!.body!;
      assert.equal(body.strength, 0.4);
      assert.equal((await sharp(Buffer.from(body.init_image as string, 'base64')).metadata()).format, 'png', 'WebP converted for stb_image');
      assert.equal((await sharp(Buffer.from(body.mask_image as string, 'base64')).metadata()).channels, 1);
      assert.deepEqual([body.width, body.height], [64, 64]);
      assert.equal(result.images[0]!.seed, 9);
    }));

  it('checks names against the capabilities lists: a sampler it lacks is dropped with a warning', () =>
    withFake({ flavor: 'sdcpp' }, async (fake) => {
      const model = createSdapiProvider({ baseURL: fake.url, sdcppPollMs: 20 }).imageModel('default');
      const result = await model.generate({ prompt: 'p', seed: 1, size: { width: 64, height: 64 }, sampler: 'unipc' });
      assert.equal((submitted(fake)[0]!.body!.sample_params as Record<string, unknown> | undefined)?.sample_method, undefined);
      assert.deepEqual(result.warnings.map((w) => w.setting), ['sampler']);
    }));

  it('reports the queue position, then generating, while it polls', () =>
    withFake({ flavor: 'sdcpp', delayMs: 300 }, async (fake) => {
      await otherJob(fake);
      const events: ProgressEvent[] = [];
      const model = createSdapiProvider({ baseURL: fake.url, sdcppPollMs: 25 }).imageModel('default');
      await model.generate({ prompt: 'p', seed: 2, size: { width: 64, height: 64 } }, withProgress((event) => events.push(event)));
      assert.deepEqual(events.map((e) => e.message), ['queued at position 1', 'generating']);
      assert.equal(events[0]!.fraction, 0);
      const polls = fake.requests.filter((r) => r.path.startsWith('/sdcpp/v1/jobs/')).length;
      assert.ok(polls >= 10, `polled ${polls} times over ~600 ms at 25 ms`);
      assert.equal(fake.maxConcurrent, 1);
    }));

  it('an abort cancels the running job by id, so the GPU stops drawing it', () =>
    withFake({ flavor: 'sdcpp', delayMs: 5_000 }, async (fake) => {
      const controller = new AbortController();
      const model = createSdapiProvider({ baseURL: fake.url, sdcppPollMs: 25 }).imageModel('default');
      const done = assert.rejects(model.generate({ prompt: 'ours', seed: 1 }, withSignal(controller.signal)), (error: unknown) => ImagegenError.is(error, 'cancelled'));
      await until(() => [...fake.jobs.values()].some((j) => j.status === 'generating'));
      const abortedAt = Date.now();
      controller.abort();
      await done;
      await until(() => fake.cancels.length === 1);
      const [job] = [...fake.jobs.values()];
      assert.deepEqual(fake.cancels, [job!.id]);
      assert.equal(job!.status, 'cancelled');
      assert.ok(Date.now() - abortedAt < 1_000);
    }));

  it('an abort while queued takes our job out of the queue and leaves the other one alone', () =>
    withFake({ flavor: 'sdcpp', delayMs: 300 }, async (fake) => {
      const theirs = (await otherJob(fake)) as { id: string };
      const controller = new AbortController();
      const model = createSdapiProvider({ baseURL: fake.url, sdcppPollMs: 25 }).imageModel('default');
      const done = assert.rejects(model.generate({ prompt: 'ours', seed: 1 }, withSignal(controller.signal)), (error: unknown) => ImagegenError.is(error, 'cancelled'));
      await until(() => fake.jobs.size === 2);
      controller.abort();
      await done;
      await until(() => fake.cancels.length === 1);
      const ours = [...fake.jobs.values()].find((j) => j.id !== theirs.id)!;
      assert.deepEqual(fake.cancels, [ours.id]);
      await until(() => fake.jobs.get(theirs.id)!.status === 'completed');
      assert.equal(ours.status, 'cancelled');
      assert.equal(ours.started, null, 'ours never reached the GPU');
    }));

  it('an abort while the submission is in flight still cancels the job the server created', () =>
    withFake({ flavor: 'sdcpp', delayMs: 5_000, submitDelayMs: 300 }, async (fake) => {
      const controller = new AbortController();
      const model = createSdapiProvider({ baseURL: fake.url, sdcppPollMs: 25 }).imageModel('default');
      const done = assert.rejects(model.generate({ prompt: 'p', seed: 1 }, withSignal(controller.signal)), (error: unknown) => ImagegenError.is(error, 'cancelled'));
      await until(() => fake.jobs.size === 1);
      const abortedAt = Date.now();
      controller.abort();
      await done;
      assert.ok(Date.now() - abortedAt < 200, 'the caller did not wait for the 202');
      await until(() => fake.cancels.length === 1);
      assert.equal([...fake.jobs.values()][0]!.status, 'cancelled');
    }));

  it('a full queue (429) is a retryable overloaded error, and nothing is polled', () =>
    withFake({ flavor: 'sdcpp', delayMs: 400, queueLimit: 1 }, async (fake) => {
      await otherJob(fake); // generating
      await otherJob(fake); // queued: the queue is full
      const model = createSdapiProvider({ baseURL: fake.url, sdcppPollMs: 25 }).imageModel('default');
      await assert.rejects(model.generate({ prompt: 'p', seed: 1 }), (error: unknown) =>
        ImagegenError.is(error, 'overloaded') && error.retryable && error.status === 429 && /job queue is full/.test(error.message),
      );
      assert.equal(fake.jobs.size, 2);
    }));

  it("a failed job fails the call with the server's message", () =>
    withFake({ flavor: 'sdcpp', failNext: 'generate_image returned empty results' }, async (fake) => {
      const model = createSdapiProvider({ baseURL: fake.url, sdcppPollMs: 20 }).imageModel('default');
      await assert.rejects(model.generate({ prompt: 'p', seed: 1 }), (error: unknown) =>
        ImagegenError.is(error, 'provider_error') && error.retryable && /job failed: generate_image returned empty results/.test(error.message),
      );
      assert.deepEqual(fake.cancels, [], 'a finished job is not cancelled');
    }));

  it('a job the server forgot (a restart: 404) fails the call instead of polling forever', () =>
    withFake({ flavor: 'sdcpp', delayMs: 2_000 }, async (fake) => {
      const model = createSdapiProvider({ baseURL: fake.url, sdcppPollMs: 25 }).imageModel('default');
      const done = assert.rejects(model.generate({ prompt: 'p', seed: 1 }), (error: unknown) =>
        ImagegenError.is(error, 'provider_error') && error.status === 404 && /no longer has job .* \(unknown\)/.test(error.message),
      );
      await until(() => fake.jobs.size === 1);
      fake.jobs.clear();
      await done;
    }));

  it('goes through llama-swap /upstream/<model>/ for every native route', async () => {
    const upstream = await startSdapiFake({ flavor: 'sdcpp', delayMs: 5_000 });
    const swap = await startLlamaSwapFake({ flux: upstream.url });
    try {
      const controller = new AbortController();
      const model = createSdapiProvider({ baseURL: swap.url, llamaSwap: true, sdcppPollMs: 25 }).imageModel('flux');
      const done = assert.rejects(model.generate({ prompt: 'p', seed: 3 }, withSignal(controller.signal)), (error: unknown) => ImagegenError.is(error, 'cancelled'));
      await until(() => [...upstream.jobs.values()].some((j) => j.status === 'generating'));
      controller.abort();
      await done;
      await until(() => upstream.cancels.length === 1);
      const native = swap.requests.map((r) => r.path).filter((p) => p.includes('/sdcpp/'));
      assert.ok(native.length >= 3);
      assert.ok(native.every((p) => p.startsWith('/upstream/flux/sdcpp/v1/')), native.join(', '));
    } finally {
      await swap.close();
      await upstream.close();
    }
  });
});
