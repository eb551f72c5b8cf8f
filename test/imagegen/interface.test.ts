import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ImagegenError,
  MAX_SEED,
  buildRequest,
  defineImageModel,
  isRetryableStatus,
  withCfgScale,
  withCount,
  withImage,
  withMask,
  withNegativePrompt,
  withSampler,
  withScheduler,
  withSeed,
  withSignal,
  withSize,
  withSteps,
  withStrength,
  type Request,
} from '../../src/index.ts';

describe('functional options', () => {
  it('build the same Request as the plain object', () => {
    const image = new Uint8Array([1, 2, 3]);
    const mask = new Uint8Array([4]);
    const built = buildRequest(
      'a red fox',
      withCount(2),
      withSize('256x128'),
      withSeed(7),
      withSteps(30),
      withCfgScale(6.5),
      withNegativePrompt('blurry'),
      withSampler('euler_a'),
      withScheduler('karras'),
      withImage(image),
      withMask(mask),
      withStrength(0.4),
    );
    const plain: Request = {
      prompt: 'a red fox',
      n: 2,
      size: { width: 256, height: 128 },
      seed: 7,
      steps: 30,
      cfgScale: 6.5,
      negativePrompt: 'blurry',
      sampler: 'euler_a',
      scheduler: 'karras',
      image: { bytes: image },
      mask: { bytes: mask },
      strength: 0.4,
    };
    assert.deepEqual(built, plain);
    assert.deepEqual(buildRequest(plain), plain);
    assert.deepEqual(buildRequest('x'), { prompt: 'x', n: 1 });
  });

  it('refuses a malformed size string', () => {
    assert.throws(() => withSize('big' as `${number}x${number}`), /WIDTHxHEIGHT/);
  });
});

describe('errors', () => {
  it('carry a stable code and a retryable flag that follows the code or status', () => {
    assert.equal(new ImagegenError('provider_timeout', 't').retryable, true);
    assert.equal(new ImagegenError('invalid_request', 'x').retryable, false);
    assert.equal(new ImagegenError('content_blocked', 'x').retryable, false);
    assert.equal(new ImagegenError('provider_error', 'x', { retryable: false }).retryable, false);
    assert.deepEqual([400, 401, 404, 408, 409, 429, 500, 503].map(isRetryableStatus), [false, false, false, true, true, true, true, true]);
  });
});

describe('defineImageModel', () => {
  const calls: Request[] = [];
  const model = defineImageModel({
    id: 'echo',
    provider: 'test',
    capabilities: ['txt2img'],
    knobs: ['n', 'seed'],
    maxImagesPerCall: 2,
    async doGenerate(request) {
      calls.push(request);
      if (request.prompt === 'fail-second' && request.seed !== calls[0]!.seed) throw new ImagegenError('provider_error', 'boom');
      return {
        images: Array.from({ length: request.n }, (_, i) => ({ bytes: new Uint8Array([i]), mimeType: 'image/png', width: 10, height: 10, seed: request.seed + i })),
      };
    },
  });

  it('splits n into calls the backend takes, with seeds continuing across calls', async () => {
    calls.length = 0;
    const result = await model.generate('p', withCount(5), withSeed(MAX_SEED - 1));
    assert.deepEqual(calls.map((c) => c.n), [2, 2, 1]);
    assert.deepEqual(calls.map((c) => c.seed), [MAX_SEED - 1, 0, 2]);
    assert.equal(result.images.length, 5);
    assert.equal(result.usage.images, 5);
    assert.equal(result.usage.megapixels, 0.001 * 0.5);
  });

  it('draws a random seed within range when none is given, and reports it', async () => {
    calls.length = 0;
    const result = await model.generate('p');
    assert.ok(Number.isInteger(result.images[0]!.seed) && result.images[0]!.seed! >= 0 && result.images[0]!.seed! <= MAX_SEED);
  });

  it('keeps the images of calls that succeeded, with a warning', async () => {
    calls.length = 0;
    const result = await model.generate('fail-second', withCount(4), withSeed(1));
    assert.equal(result.images.length, 2);
    assert.equal(result.warnings[0]!.type, 'partial');
    assert.match(result.warnings[0]!.message, /1 of 2 backend calls failed/);
  });

  it('checks what no backend could serve', async () => {
    await assert.rejects(model.generate('p', withSeed(-1)), (e: unknown) => ImagegenError.is(e, 'invalid_request') && e.param === 'seed');
    await assert.rejects(model.generate('p', withCount(0)), (e: unknown) => ImagegenError.is(e, 'invalid_request') && e.param === 'n');
    await assert.rejects(model.generate('p', withImage(new Uint8Array([1]))), (e: unknown) => ImagegenError.is(e, 'unsupported'));
  });

  it('honours an AbortSignal', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(model.generate('p', withSignal(controller.signal)), (e: unknown) => ImagegenError.is(e, 'cancelled'));
  });
});
