/**
 * The OpenAI-compatible door, driven by the official `openai` SDK (pinned in devDependencies)
 * against a real daemon: the stub backend for most, the OpenAI fake (gpt-image streaming) for
 * partial images.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';
import { startOpenAIFake, type OpenAIFake } from '../fakes/openai-fake.ts';
import { solidPng } from '../helpers/app.ts';
import { startTestDaemon } from '../helpers/hosted-daemon.ts';
import { bearer, keyFor } from '../helpers/policy.ts';

const UPSTREAM_KEY = 'sk-upstream';

describe('OpenAI-compatible images API, with the openai SDK as the client', () => {
  let daemon: Awaited<ReturnType<typeof startTestDaemon>>;
  let fake: OpenAIFake;
  let acme: string;
  let other: string;
  let capped: string;
  const client = (apiKey: string) => new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey, maxRetries: 0 });
  const usageOf = async (tenant: string) => daemon.engine.store.usage.list({ tenant, from: new Date(0), to: new Date(Date.now() + 60_000) });

  before(async () => {
    fake = await startOpenAIFake({ apiKey: UPSTREAM_KEY });
    daemon = await startTestDaemon(
      {
        providers: { stub: { type: 'stub' }, oa: { type: 'openai', base_url: `${fake.url}/v1`, api_key_env: 'UPSTREAM_KEY' } },
        models: [{ id: 'stub', provider: 'stub' }, { id: 'gpt-image-1', provider: 'oa' }],
        default_model: 'stub',
        tenants: [{ id: 'acme' }, { id: 'other' }, { id: 'capped', quota: { images_per_day: 1 } }],
      },
      { UPSTREAM_KEY },
    );
    [acme, other, capped] = (await Promise.all(['acme', 'other', 'capped'].map((tenant) => keyFor(daemon.engine, tenant)))) as [string, string, string];
  });
  after(async () => {
    await daemon.close();
    await fake.close();
  });

  it('images.generate: base64 PNGs at the asked size, our extra knobs honoured, one ledger record like /v1/generate', async () => {
    const before = (await usageOf('acme')).length;
    const params = { model: 'stub', prompt: 'a lighthouse', n: 2, size: '96x64', seed: 11 } as never;
    const answer = await client(acme).images.generate(params);
    assert.equal(answer.data!.length, 2);
    assert.ok(Math.abs(answer.created - Date.now() / 1000) < 60);
    assert.equal((answer as any).output_format, 'png');
    assert.equal((answer as any).size, '96x64');
    const meta = await sharp(Buffer.from(answer.data![0]!.b64_json!, 'base64')).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 96, 64]);

    // The same seed through our own route gives the same bytes: one engine path, not a copy.
    const ours = await daemon.post('/v1/generate', { model: 'stub', prompt: 'a lighthouse', n: 2, size: '96x64', seed: 11, cache: 'no-store' }, bearer(acme));
    assert.deepEqual(answer.data!.map((d) => d.b64_json), ours.body.images.map((i: any) => i.b64_json));
    const records = (await usageOf('acme')).slice(before);
    assert.deepEqual(records.map((r) => [r.route, r.images, r.status]), [['generate', 2, 'ok'], ['generate', 2, 'ok']]);
  });

  it('size auto, output_format webp, and warnings in X-Warnings', async () => {
    const { data, response } = await client(acme)
      .images.generate({ model: 'stub', prompt: 'a fox', size: 'auto', output_format: 'webp', sampler: 'euler' } as never)
      .withResponse();
    const meta = await sharp(Buffer.from(data.data![0]!.b64_json!, 'base64')).metadata();
    assert.equal(meta.format, 'webp');
    assert.equal((data as any).output_format, 'webp');
    const warnings = JSON.parse(decodeURIComponent(response.headers.get('x-warnings') ?? '[]'));
    assert.ok(Array.isArray(warnings));
  });

  it('response_format url links to our own route, readable only by the same tenant', async () => {
    const answer = await client(acme).images.generate({ model: 'stub', prompt: 'a boat', size: '64x64', response_format: 'url' } as never);
    const url = answer.data![0]!.url!;
    assert.ok(url.startsWith(`${daemon.url}/v1/images/files/img_`), url);
    const mine = await fetch(url, { headers: bearer(acme) });
    assert.equal(mine.status, 200);
    assert.equal(mine.headers.get('content-type'), 'image/png');
    assert.equal((await sharp(Buffer.from(await mine.arrayBuffer())).metadata()).width, 64);
    const theirs = await fetch(url, { headers: bearer(other) });
    assert.equal(theirs.status, 404);
    assert.equal((await theirs.json()).error.param, 'id');
    assert.equal((await fetch(url)).status, 401);
  });

  it('images.edit with an OpenAI mask: only the transparent area is repainted', async () => {
    const red = await solidPng(64, 64, [255, 0, 0]);
    // OpenAI's form: alpha 0 = edit. Left half transparent, right half opaque.
    const alpha = Buffer.alloc(64 * 64 * 4);
    for (let p = 0; p < 64 * 64; p++) alpha[p * 4 + 3] = p % 64 < 32 ? 0 : 255;
    const mask = await sharp(alpha, { raw: { width: 64, height: 64, channels: 4 } }).png().toBuffer();
    const answer = await client(acme).images.edit({
      model: 'stub',
      prompt: 'a blue square',
      image: await toFile(red, 'red.png', { type: 'image/png' }),
      mask: await toFile(mask, 'mask.png', { type: 'image/png' }),
      strength: 1,
      seed: 3,
    } as never);
    const { data } = await sharp(Buffer.from(answer.data![0]!.b64_json!, 'base64')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    let keptRight = 0;
    let changedLeft = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const [r, g, b] = [data[(y * 64 + x) * 3]!, data[(y * 64 + x) * 3 + 1]!, data[(y * 64 + x) * 3 + 2]!];
        const isRed = r === 255 && g === 0 && b === 0;
        if (x >= 32 && isRed) keptRight++;
        if (x < 32 && !isRed) changedLeft++;
      }
    }
    assert.equal(keptRight, 32 * 64, 'the opaque half is kept exactly');
    assert.ok(changedLeft > 32 * 64 * 0.9, `the transparent half is repainted (${changedLeft} px)`);
  });

  it('a mask without alpha, or two images, is refused with the parameter named', async () => {
    const image = await toFile(await solidPng(32, 32, [0, 0, 255]), 'a.png', { type: 'image/png' });
    await assert.rejects(
      client(acme).images.edit({ model: 'stub', prompt: 'x', image, mask: await toFile(await solidPng(32, 32, [255, 255, 255]), 'm.png', { type: 'image/png' }) }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === 'mask' && /alpha/.test(error.message),
    );
    const two = [image, await toFile(await solidPng(32, 32, [0, 255, 0]), 'b.png', { type: 'image/png' })];
    await assert.rejects(client(acme).images.edit({ model: 'stub', prompt: 'x', image: two }), (error: unknown) => error instanceof OpenAI.UnprocessableEntityError && error.param === 'image');
  });

  it('errors surface as the SDK typed errors, with param and code', async () => {
    await assert.rejects(client(acme).images.generate({ model: 'stub', prompt: 'x', size: 'big' } as never), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.deepEqual([error.param, error.code, error.type], ['size', 'invalid_request', 'invalid_request_error']);
      return true;
    });
    await assert.rejects(client('kim_not-a-key').images.generate({ prompt: 'x' }), OpenAI.AuthenticationError);
    await assert.rejects(client(acme).images.generate({ model: 'no-such-model', prompt: 'x' }), (error: unknown) => error instanceof OpenAI.NotFoundError && error.param === 'model');
    await client(capped).images.generate({ prompt: 'the one image', size: '64x64' } as never);
    await assert.rejects(client(capped).images.generate({ prompt: 'one too many', size: '64x64' } as never), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.code, 'quota_exceeded');
      return true;
    });
    assert.deepEqual((await usageOf('capped')).map((r) => r.status), ['ok', 'quota_exceeded']);
  });

  it('stream: true passes the backend partial images on, then the completed image, in OpenAI event shapes', async () => {
    const stream = await client(acme).images.generate({ model: 'gpt-image-1', prompt: 'a red fox', stream: true, partial_images: 2 });
    const events: any[] = [];
    for await (const event of stream) events.push(event);
    assert.deepEqual(events.map((e) => e.type), ['image_generation.partial_image', 'image_generation.partial_image', 'image_generation.completed']);
    assert.deepEqual(events.slice(0, 2).map((e) => e.partial_image_index), [0, 1]);
    assert.ok(events.every((e) => typeof e.b64_json === 'string' && e.b64_json.length > 100 && e.output_format === 'png'));
    assert.deepEqual(events[2].usage, { input_tokens: 50, output_tokens: 100, total_tokens: 150 });
    assert.notEqual(events[2].b64_json, events[1].b64_json, 'the completed image is not the last partial');
  });

  it('stream: true on a backend without previews sends the completed event alone; a refusal is still a typed error', async () => {
    const stream = await client(acme).images.generate({ model: 'stub', prompt: 'a quiet sea', stream: true, size: '64x64' as never });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    assert.deepEqual(types, ['image_generation.completed']);
    await assert.rejects(client(capped).images.generate({ prompt: 'again', stream: true } as never), OpenAI.RateLimitError);
  });

  it('models.list works for OpenAI clients', async () => {
    const ids: string[] = [];
    for await (const model of client(acme).models.list()) {
      assert.equal(model.object, 'model');
      assert.equal(typeof model.created, 'number');
      ids.push(model.id);
    }
    assert.deepEqual(ids.sort(), ['gpt-image-1', 'stub']);
  });
});
