/**
 * The daemon's real HTTP routes in front of the SDAPI fakes: A1111, sd-server, and sd-server behind
 * llama-swap. Each round trip checks the native body the backend received and the seeds it used.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { startDaemon, type Daemon } from '../../../src/server/daemon.ts';
import { colourOfSeed, startLlamaSwapFake, startSdapiFake, type FakeServer } from '../../fakes/sdapi-fake.ts';
import { b64, rectMask, solidPng, testConfig } from '../../helpers/app.ts';

type SdapiFake = Awaited<ReturnType<typeof startSdapiFake>>;
interface ImagesAnswer {
  images: { b64_json: string; seed: number; width: number; height: number }[];
  warnings: { type: string; setting?: string; message: string }[];
  error?: { code: string; message: string; param?: string };
}

describe('sdapi backends through the daemon', () => {
  let a1111: SdapiFake;
  let sdcpp: SdapiFake;
  let swapped: SdapiFake;
  let swap: FakeServer;
  let slow: SdapiFake;
  let daemon: Daemon;
  let dataDir: string;

  before(async () => {
    [a1111, sdcpp, swapped, slow] = await Promise.all([
      startSdapiFake({ flavor: 'a1111' }),
      startSdapiFake({ flavor: 'sdcpp', native: false }),
      startSdapiFake({ flavor: 'sdcpp', native: false }),
      startSdapiFake({ flavor: 'a1111', delayMs: 500 }),
    ]);
    swap = await startLlamaSwapFake({ 'flux-schnell': swapped.url });
    dataDir = await mkdtemp(join(tmpdir(), 'kimaging-sdapi-'));
    daemon = await startDaemon(
      testConfig({
        server: { port: 0, data_dir: dataDir },
        providers: {
          forge: { type: 'sdapi', base_url: a1111.url, flavor: 'a1111', inpainting_fill: 'original' },
          sdcpp: { type: 'sdapi', base_url: sdcpp.url },
          swap: { type: 'sdapi', base_url: swap.url, llama_swap: true },
          slow: { type: 'sdapi', base_url: slow.url, flavor: 'a1111', timeout_ms: 150 },
        },
        models: [
          { id: 'sd15', provider: 'forge', model: 'v1-5-pruned-emaonly.safetensors [6ce0161689]' },
          { id: 'local', provider: 'sdcpp', model: 'default' },
          { id: 'flux', provider: 'swap', model: 'flux-schnell' },
          { id: 'missing', provider: 'swap', model: 'not-configured' },
          { id: 'slow', provider: 'slow', model: 'default' },
        ],
      }),
    );
  });
  after(async () => {
    await daemon.close();
    await Promise.all([a1111, sdcpp, swapped, slow, swap].map((f) => f.close()));
    await rm(dataDir, { recursive: true, force: true });
  });

  const post = async (path: string, body: unknown): Promise<{ status: number; json: ImagesAnswer }> => {
    const response = await fetch(daemon.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as ImagesAnswer };
  };
  const lastBody = (fake: SdapiFake) => fake.requests.filter((r) => r.method === 'POST').at(-1)!.body!;
  const colour = async (b64json: string) => {
    const { data } = await sharp(Buffer.from(b64json, 'base64')).raw().toBuffer({ resolveWithObject: true });
    return [data[0], data[1], data[2]];
  };

  it('A1111: generate sends the native fields and answers with the seeds from info', async () => {
    const { status, json } = await post('/v1/generate', {
      model: 'sd15',
      prompt: 'a red fox',
      n: 2,
      size: '64x64',
      seed: 4000,
      steps: 20,
      cfg_scale: 6,
      sampler: 'k_euler_a',
      scheduler: 'Karras',
      negative_prompt: 'blurry',
    });
    assert.equal(status, 200);
    const body = lastBody(a1111);
    assert.deepEqual(
      [body.sampler_name, body.scheduler, body.seed, body.batch_size, body.steps, body.cfg_scale, body.negative_prompt, body.width],
      ['Euler a', 'karras', 4000, 2, 20, 6, 'blurry', 64],
    );
    assert.deepEqual(body.override_settings, { sd_model_checkpoint: 'v1-5-pruned-emaonly.safetensors [6ce0161689]' });
    assert.deepEqual(json.images.map((i) => i.seed), [4000, 4001]);
    assert.deepEqual(await colour(json.images[1]!.b64_json), colourOfSeed(4001));
    assert.deepEqual(json.warnings, []);
  });

  it('A1111: edit with a mask sends img2img with init image, B/W mask, strength and fill', async () => {
    const image = await solidPng(64, 64, [200, 10, 10]);
    const mask = await rectMask(64, 64, { x: 16, y: 16, w: 16, h: 16 });
    const { status, json } = await post('/v1/edit', { model: 'sd15', prompt: 'a blue door', image: b64(image), mask: b64(mask), strength: 0.7, seed: 12 });
    assert.equal(status, 200);
    const body = lastBody(a1111);
    assert.equal(a1111.requests.at(-1)!.path, '/sdapi/v1/img2img');
    assert.deepEqual([body.denoising_strength, body.inpainting_fill, body.inpaint_full_res, body.width, body.height], [0.7, 1, false, 64, 64]);
    assert.equal((body.init_images as string[])[0], b64(image));
    const { data } = await sharp(Buffer.from(body.mask as string, 'base64')).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([data[0], data[20 * 64 + 20]], [0, 255]);
    assert.deepEqual(json.images.map((i) => [i.seed, i.width]), [[12, 64]]);
  });

  it('sd-server: n is split at 8, steps clamped with a warning, names translated', async () => {
    const { status, json } = await post('/v1/generate', { model: 'local', prompt: 'p', n: 9, size: '64x64', seed: 70, steps: 300, sampler: 'dpmpp_2m', scheduler: 'normal' });
    assert.equal(status, 200);
    const calls = sdcpp.requests.filter((r) => r.method === 'POST').map((r) => [r.body!.batch_size, r.body!.seed, r.body!.steps, r.body!.sampler_name, r.body!.scheduler]);
    assert.deepEqual(calls, [[8, 70, 100, 'dpm++2m', 'discrete'], [1, 78, 100, 'dpm++2m', 'discrete']]);
    assert.deepEqual(json.images.map((i) => i.seed), [70, 71, 72, 73, 74, 75, 76, 77, 78]);
    assert.deepEqual(json.warnings.map((w) => [w.type, w.setting]), [['changed', 'steps'], ['changed', 'steps']]);
  });

  it('sd-server: edit round-trips, a sampler it lacks is a 422 with strict_knobs, an unknown name a 400', async () => {
    const image = await solidPng(64, 64, [0, 90, 0]);
    const edit = await post('/v1/edit', { model: 'local', prompt: 'p', image: b64(image), seed: 3, strength: 0.4 });
    assert.equal(edit.status, 200);
    assert.deepEqual([lastBody(sdcpp).denoising_strength, lastBody(sdcpp).mask], [0.4, undefined]);
    assert.deepEqual(edit.json.images.map((i) => i.seed), [3]);

    const before = sdcpp.requests.length;
    const strict = await post('/v1/generate', { model: 'local', prompt: 'p', sampler: 'unipc', strict_knobs: true });
    assert.equal(strict.status, 422);
    assert.deepEqual([strict.json.error!.code, strict.json.error!.param], ['unsupported', 'sampler']);
    const typo = await post('/v1/generate', { model: 'local', prompt: 'p', sampler: 'eulr' });
    assert.equal(typo.status, 400);
    assert.match(typo.json.error!.message, /known samplers: euler/);
    assert.equal(sdcpp.requests.filter((r) => r.method === 'POST').length, sdcpp.requests.slice(0, before).filter((r) => r.method === 'POST').length);
  });

  it('llama-swap: the body carries model, discovery goes through /upstream/<model>/', async () => {
    const { status, json } = await post('/v1/generate', { model: 'flux', prompt: 'p', seed: 21, size: '64x64', sampler: 'euler' });
    assert.equal(status, 200);
    const routed = swap.requests.find((r) => r.method === 'POST')!;
    assert.equal(routed.path, '/sdapi/v1/txt2img');
    assert.equal(routed.body!.model, 'flux-schnell');
    assert.equal(lastBody(swapped).sampler_name, 'euler');
    assert.ok(swap.requests.some((r) => r.path === '/upstream/flux-schnell/sdapi/v1/samplers'));
    assert.deepEqual(json.images.map((i) => i.seed), [21]);

    const edit = await post('/v1/edit', { model: 'flux', prompt: 'p', image: b64(await solidPng(64, 64, [1, 2, 3])), mask: b64(await rectMask(64, 64, { x: 0, y: 0, w: 8, h: 8 })), seed: 22 });
    assert.equal(edit.status, 200);
    assert.equal(swap.requests.filter((r) => r.method === 'POST').at(-1)!.body!.model, 'flux-schnell');
    assert.deepEqual(edit.json.images.map((i) => i.seed), [22]);
  });

  it('maps backend failures: string errors and llama-swap errors to 502, a slow backend to 504', async () => {
    sdcpp.options.answerNext = { status: 400, body: { error: 'invalid params' } };
    const refused = await post('/v1/generate', { model: 'local', prompt: 'p' });
    assert.equal(refused.status, 502);
    assert.equal(refused.json.error!.code, 'provider_error');
    assert.match(refused.json.error!.message, /invalid params/);

    const unknown = await post('/v1/generate', { model: 'missing', prompt: 'p' });
    assert.equal(unknown.status, 502);
    assert.match(unknown.json.error!.message, /llama-swap: no local server found/);

    const timedOut = await post('/v1/generate', { model: 'slow', prompt: 'p' });
    assert.equal(timedOut.status, 504);
    assert.equal(timedOut.json.error!.code, 'provider_timeout');
  });

  it('llama-swap refuses an sdapi body without model in its own envelope', async () => {
    const response = await fetch(`${swap.url}/sdapi/v1/txt2img`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":"p"}' });
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { src: 'llama-swap', error: { message: 'no model id could be identified', type: 'invalid_request_error', param: null, code: 'not_found' } });
  });
});
