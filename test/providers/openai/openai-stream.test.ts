import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImagegenError, withProgress, withSignal, type ProgressEvent } from '../../../src/imagegen/index.ts';
import { createOpenAIProvider } from '../../../src/providers/openai/index.ts';
import { paintPng } from '../../fakes/hosted-fake-http.ts';
import { startOpenAIFake, type OpenAIFake } from '../../fakes/openai-fake.ts';
import { b64, solidPng } from '../../helpers/app.ts';
import { startTestDaemon } from '../../helpers/hosted-daemon.ts';

const KEY = 'sk-test-stream';

/** The job events of an SSE body, as the routes send them (`event: job`). */
function jobEvents(text: string): any[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: job'))
    .map((block) => JSON.parse(block.split('\n').find((line) => line.startsWith('data: '))!.slice(6)));
}

describe('openai streaming (gpt-image partial images) as a library', () => {
  let fake: OpenAIFake;
  const provider = () => createOpenAIProvider({ baseURL: `${fake.url}/v1`, apiKey: KEY });
  before(async () => {
    fake = await startOpenAIFake({ apiKey: KEY });
  });
  after(() => fake.close());

  it('streams a one-image generation: partials reach onProgress in order as previews, the completed image is the result, usage kept', async () => {
    const events: ProgressEvent[] = [];
    const result = await provider().imageModel('gpt-image-1').generate('a red fox', withProgress((event) => events.push(event)));
    assert.deepEqual(fake.requests.at(-1)!.json, { model: 'gpt-image-1', prompt: 'a red fox', n: 1, stream: true, partial_images: 2 });
    assert.deepEqual(fake.streams.at(-1)!.sent, ['image_generation.partial_image', 'image_generation.partial_image', 'image_generation.completed']);

    assert.deepEqual(events.map((e) => [e.fraction, e.message]), [
      [1 / 3, 'partial image 1 of 2'],
      [2 / 3, 'partial image 2 of 2'],
    ]);
    for (const [index, event] of events.entries()) {
      assert.deepEqual(Buffer.from(event.preview!.bytes), await paintPng(1024, 1024, `a red fox|partial ${index}`), `preview ${index} is partial ${index}`);
      assert.deepEqual([event.preview!.mimeType, event.preview!.width, event.preview!.height], ['image/png', 1024, 1024]);
    }
    assert.equal(result.images.length, 1);
    assert.deepEqual(Buffer.from(result.images[0]!.bytes), await paintPng(1024, 1024, 'a red fox|0'), 'the result is the completed image, not a partial');
    assert.deepEqual(result.usage, { images: 1, megapixels: (1024 * 1024) / 1e6, inputTokens: 50, outputTokens: 100, totalTokens: 150 });
    assert.equal((result.raw![0] as any).output_format, 'png', "the completed event's fields are kept in raw");
    assert.equal((result.raw![0] as any).data[0].b64_json, undefined, 'raw holds no image bytes');
  });

  it('streams an edit with image_edit.* events; partial_images comes from the backend setting or the request', async () => {
    const events: ProgressEvent[] = [];
    const model = createOpenAIProvider({ baseURL: `${fake.url}/v1`, apiKey: KEY, partialImages: 3 }).imageModel('gpt-image-1.5');
    const result = await model.generate({ prompt: 'a hat', image: { bytes: await solidPng(64, 64, [0, 90, 0]) } }, withProgress((event) => events.push(event)));
    const form = fake.requests.at(-1)!.form!;
    assert.deepEqual([form.stream, form.partial_images], [['true'], ['3']]);
    assert.deepEqual(fake.streams.at(-1)!.sent, [...Array(3).fill('image_edit.partial_image'), 'image_edit.completed']);
    assert.deepEqual(events.map((e) => e.fraction), [1 / 4, 2 / 4, 3 / 4]);
    assert.equal(result.images[0]!.width, 64);

    await provider().imageModel('gpt-image-1').generate({ prompt: 'one partial', providerOptions: { openai: { partial_images: 1 } } });
    assert.equal(fake.requests.at(-1)!.json.partial_images, 1);
    await provider().imageModel('gpt-image-1').generate({ prompt: 'no stream', providerOptions: { openai: { partial_images: 0 } } });
    assert.equal(fake.requests.at(-1)!.json.stream, undefined, 'partial_images 0 is a plain JSON call');
    await assert.rejects(
      provider().imageModel('gpt-image-1').generate({ prompt: 'x', providerOptions: { openai: { partial_images: 4 } } }),
      (error: unknown) => ImagegenError.is(error, 'invalid_request') && error.param === 'partial_images',
    );
    assert.throws(() => createOpenAIProvider({ partialImages: 5 }), /partialImages must be an integer from 0 to 3/);
  });

  it('does not stream dall-e models, nor n > 1 (no stream event says which image it is): a partial_images asked for there is a warning', async () => {
    const before = fake.requests.length;
    const events: ProgressEvent[] = [];
    const listen = withProgress((event) => events.push(event));
    await provider().imageModel('dall-e-3').generate('a lighthouse', listen);
    await provider().imageModel('dall-e-2').generate({ prompt: 'a boat', size: { width: 256, height: 256 } }, listen);
    const pair = await provider().imageModel('gpt-image-1').generate({ prompt: 'two foxes', n: 2 }, listen);
    for (const call of fake.requests.slice(before)) {
      assert.equal(call.json.stream, undefined, `${call.json.model} n=${call.json.n} is not streamed`);
      assert.equal(call.json.partial_images, undefined);
    }
    assert.equal(pair.images.length, 2);
    assert.deepEqual(events, [], 'no previews without a stream');

    const asked = await provider().imageModel('dall-e-3').generate({ prompt: 'x', providerOptions: { openai: { partial_images: 2 } } });
    assert.deepEqual(asked.warnings.map((w) => [w.setting, w.type]), [['partial_images', 'unsupported']]);
    const askedN = await provider().imageModel('gpt-image-1').generate({ prompt: 'x', n: 2, providerOptions: { openai: { partial_images: 2 } } });
    assert.match(askedN.warnings.find((w) => w.setting === 'partial_images')!.message, /only when n is 1/);
    await assert.rejects(
      provider().imageModel('gpt-image-1').generate({ prompt: 'x', n: 2, strictKnobs: true, providerOptions: { openai: { partial_images: 2 } } }),
      (error: unknown) => ImagegenError.is(error, 'unsupported') && error.param === 'partial_images',
    );
  });

  it('an error event inside the stream surfaces as a typed error (flat or nested body), as does a dropped stream', async () => {
    const model = provider().imageModel('gpt-image-1');
    await assert.rejects(model.generate('streamfail fox'), (error: unknown) => {
      assert.ok(ImagegenError.is(error, 'provider_error'), String(error));
      assert.match(error.message, /failed mid-stream: The image generation failed\. \(server_error\)/);
      return error.retryable;
    });
    await assert.rejects(model.generate('streamblocked fox'), (error: unknown) => ImagegenError.is(error, 'content_blocked') && !error.retryable && /safety system/.test(error.message));
    await assert.rejects(model.generate('streamdrop fox'), (error: unknown) => ImagegenError.is(error, 'provider_error') && error.retryable && /closed its stream early/.test(error.message));
  });

  it('abort closes the stream: the call rejects as cancelled and the backend sees the client leave before the end', async () => {
    const controller = new AbortController();
    const events: ProgressEvent[] = [];
    const call = provider()
      .imageModel('gpt-image-1')
      .generate(
        'stepwise fox',
        withSignal(controller.signal),
        withProgress((event) => {
          events.push(event);
          controller.abort();
        }),
      );
    await assert.rejects(call, (error: unknown) => ImagegenError.is(error, 'cancelled'));
    assert.equal(events.length, 1, 'one preview, then the abort');
    const record = fake.streams.find((s) => s.prompt === 'stepwise fox')!;
    for (let i = 0; i < 50 && !record.closedEarly; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(record.closedEarly, true, 'the connection was closed by the client');
    assert.deepEqual(record.sent, ['image_generation.partial_image']);
  });

  it('the per-call timeout covers the whole stream, not only its headers', async () => {
    const quick = createOpenAIProvider({ baseURL: `${fake.url}/v1`, apiKey: KEY, timeoutMs: 450 }).imageModel('gpt-image-1');
    const events: ProgressEvent[] = [];
    await assert.rejects(quick.generate('stepwise timeout', withProgress((event) => events.push(event))), (error: unknown) => ImagegenError.is(error, 'provider_timeout'));
    assert.ok(events.length >= 1, 'the stream had started');
  });
});

describe('openai streaming through the daemon', () => {
  let fake: OpenAIFake;
  let daemon: Awaited<ReturnType<typeof startTestDaemon>>;
  before(async () => {
    fake = await startOpenAIFake({ apiKey: KEY });
    daemon = await startTestDaemon(
      {
        providers: {
          oa: { type: 'openai', base_url: `${fake.url}/v1`, api_key_env: 'TEST_OPENAI_KEY' },
          plain: { type: 'openai', base_url: `${fake.url}/v1`, api_key_env: 'TEST_OPENAI_KEY', partial_images: 0 },
        },
        models: [
          { id: 'gpt-image-1', provider: 'oa' },
          { id: 'gpt-image-1-plain', provider: 'plain', model: 'gpt-image-1' },
        ],
      },
      { TEST_OPENAI_KEY: KEY },
    );
  });
  after(async () => {
    await daemon.close();
    await fake.close();
  });

  it('an async job shows the partial images as progress previews in its events, then the completed image with its tokens', async () => {
    const accepted = await daemon.post('/v1/generate', { model: 'gpt-image-1', prompt: 'stepwise owl', async: true });
    assert.equal(accepted.status, 202);
    const events = jobEvents(await (await fetch(`${daemon.url}/v1/jobs/${accepted.body.id}/events`)).text());
    const previews = events.filter((e) => e.progress?.preview);
    assert.ok(previews.length >= 1, JSON.stringify(events.map((e) => e.progress)));
    const last = previews.at(-1)!.progress;
    assert.equal(last.fraction, 0.667);
    assert.equal(last.message, 'partial image 2 of 2');
    assert.deepEqual([last.preview.mime_type, last.preview.width, last.preview.height], ['image/png', 1024, 1024]);
    assert.deepEqual(Buffer.from(last.preview.b64_json, 'base64'), await paintPng(1024, 1024, 'stepwise owl|partial 1'));
    assert.equal(events.at(-1)!.status, 'succeeded');

    const job = (await (await fetch(`${daemon.url}/v1/jobs/${accepted.body.id}`)).json()) as any;
    assert.deepEqual(Buffer.from(job.result.images[0].b64_json, 'base64'), await paintPng(1024, 1024, 'stepwise owl|0'));
    assert.deepEqual([job.result.usage.input_tokens, job.result.usage.output_tokens, job.result.usage.total_tokens], [50, 100, 150]);
  });

  it('an error event mid-stream is the typed error of a synchronous call; partial_images: 0 in the config sends no stream', async () => {
    const failed = await daemon.post('/v1/generate', { model: 'gpt-image-1', prompt: 'streamblocked owl' });
    assert.equal(failed.status, 422);
    assert.equal(failed.body.error.code, 'content_blocked');
    const edited = await daemon.post('/v1/edit', { model: 'gpt-image-1-plain', prompt: 'an owl', image: b64(await solidPng(32, 32, [1, 2, 3])) });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.equal(fake.requests.at(-1)!.form!.stream, undefined);
  });
});
