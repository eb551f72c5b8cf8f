/** The daemon's real HTTP routes in front of the fake ComfyUI: generate and edit round trips. */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_GRAPHS } from '../../../src/providers/comfyui/index.ts';
import { startDaemon, type Daemon } from '../../../src/server/daemon.ts';
import { fakeColour, startComfyUIFake, type ComfyUIFake } from '../../fakes/comfyui-fake.ts';
import { b64, rawPixels, rectMask, solidPng, testConfig } from '../../helpers/app.ts';

const CKPT = 'sd_xl_base_1.0.safetensors';

async function daemonFor(providers: Record<string, unknown>, models: unknown[]): Promise<Daemon> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kimaging-comfy-'));
  return startDaemon(testConfig({ server: { port: 0, data_dir: dataDir }, providers, models }));
}

const post = async (daemon: Daemon, path: string, body: unknown) => {
  const response = await fetch(`${daemon.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
};

const pixelAt = async (base64: string, x: number, y: number) => {
  const { data, info } = await rawPixels(Buffer.from(base64, 'base64'));
  const at = (y * info.width + x) * info.channels;
  return [data[at], data[at + 1], data[at + 2]];
};

describe('daemon -> ComfyUI (fake) over HTTP', () => {
  let fake: ComfyUIFake;
  let daemon: Daemon;
  let workflowDir: string;

  before(async () => {
    fake = await startComfyUIFake({ samplers: ['euler', 'euler_ancestral', 'dpmpp_2m'], failClass: 'PreviewImage', checkpoints: [CKPT, 'flux1-dev.safetensors'] });
    workflowDir = await mkdtemp(join(tmpdir(), 'kimaging-workflow-'));
    // A user workflow with no {{seed}}: the seed it runs with is fixed in the file.
    const seedless = structuredClone(DEFAULT_GRAPHS.txt2img);
    seedless['5']!.inputs.seed = 1234;
    await writeFile(join(workflowDir, 'seedless.json'), JSON.stringify(seedless));
    // A workflow whose extra preview node fails while running.
    const failing = structuredClone(DEFAULT_GRAPHS.txt2img);
    failing['20'] = { class_type: 'PreviewImage', inputs: { images: ['6', 0] } };
    await writeFile(join(workflowDir, 'failing.json'), JSON.stringify(failing));
    daemon = await daemonFor(
      {
        comfy: {
          type: 'comfyui',
          base_url: fake.url,
          poll_interval_ms: 20,
          workflows: {
            seedless: { txt2img: join(workflowDir, 'seedless.json'), checkpoint: CKPT },
            failing: { txt2img: join(workflowDir, 'failing.json'), checkpoint: CKPT },
          },
        },
      },
      [
        { id: 'sdxl', provider: 'comfy', model: CKPT },
        { id: 'seedless', provider: 'comfy' },
        { id: 'failing', provider: 'comfy' },
        { id: 'ghost', provider: 'comfy', model: 'ghost.safetensors' },
      ],
    );
  });
  after(async () => {
    await daemon.close();
    await fake.close();
  });

  it('POST /v1/generate: the native graph, the seeds ComfyUI ran with, the size rounded with a warning', async () => {
    const { status, body } = await post(daemon, '/v1/generate', {
      model: 'sdxl',
      prompt: 'a red fox',
      n: 2,
      seed: 11,
      size: '100x72',
      sampler: 'k_euler_a',
      scheduler: 'Karras',
      steps: 3,
      cfg_scale: 4.5,
      negative_prompt: 'blurry',
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.provider, 'comfy');
    assert.deepEqual(body.images.map((i: { seed: number }) => i.seed), [11, 12]);
    for (const [i, image] of body.images.entries()) {
      assert.deepEqual([image.width, image.height], [104, 72]);
      assert.deepEqual(await pixelAt(image.b64_json, 3, 3), fakeColour(11 + i, 'a red fox'));
    }
    const sent = fake.prompts.slice(-2).map((p) => p.body.prompt);
    assert.deepEqual(
      sent.map((graph) => graph['5']!.inputs),
      [11, 12].map((seed) => ({
        model: ['1', 0],
        positive: ['2', 0],
        negative: ['3', 0],
        latent_image: ['4', 0],
        seed,
        steps: 3,
        cfg: 4.5,
        sampler_name: 'euler_ancestral',
        scheduler: 'karras',
        denoise: 1,
      })),
    );
    assert.equal(sent[0]!['3']!.inputs.text, 'blurry');
    assert.deepEqual(sent[0]!['4']!.inputs, { width: 104, height: 72, batch_size: 1 });
    assert.deepEqual(body.warnings, [{ type: 'changed', setting: 'size', message: 'size 100x72 changed to 104x72 (multiples of 8, at most 16384 a side)' }]);
  });

  it('POST /v1/edit: img2img and inpainting upload the inputs and report the seeds', async () => {
    const image = await solidPng(48, 32, [200, 10, 10]);
    const img2img = await post(daemon, '/v1/edit', { model: 'sdxl', prompt: 'blue', image: b64(image), strength: 0.25, seed: 5 });
    assert.equal(img2img.status, 200, JSON.stringify(img2img.body));
    assert.deepEqual([img2img.body.images[0].width, img2img.body.images[0].height, img2img.body.images[0].seed], [48, 32, 5]);
    const graph = fake.prompts.at(-1)!.body.prompt;
    assert.equal(graph['4']!.class_type, 'LoadImage');
    assert.equal(graph['4']!.inputs.image, fake.uploads.at(-1)!.name);
    assert.equal(graph['5']!.inputs.denoise, 0.25);

    const mask = await rectMask(48, 32, { x: 24, y: 0, w: 24, h: 32 });
    const inpaint = await post(daemon, '/v1/edit', { model: 'sdxl', prompt: 'door', image: b64(image), mask: b64(mask), n: 2, seed: 70 });
    assert.equal(inpaint.status, 200, JSON.stringify(inpaint.body));
    assert.deepEqual(inpaint.body.images.map((i: { seed: number }) => i.seed), [70, 71]);
    for (const [i, out] of inpaint.body.images.entries()) {
      assert.deepEqual(await pixelAt(out.b64_json, 2, 2), [200, 10, 10], 'black in the mask is kept');
      assert.deepEqual(await pixelAt(out.b64_json, 40, 2), fakeColour(70 + i, 'door'), 'white in the mask is repainted');
    }
    const last = fake.prompts.at(-1)!.body.prompt;
    assert.equal(last['9']!.class_type, 'LoadImageMask');
    assert.deepEqual(last['5']!.inputs.latent_image, ['8', 2]);
  });

  it('a workflow without {{seed}}: the seed is dropped with a warning and not reported', async () => {
    const { status, body } = await post(daemon, '/v1/generate', { model: 'seedless', prompt: 'fixed', size: '64x64', seed: 3, steps: 2 });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.images[0].seed, undefined);
    assert.equal(body.warnings[0].setting, 'seed');
    assert.equal(body.warnings[0].type, 'unsupported');
    assert.equal(fake.prompts.at(-1)!.body.prompt['5']!.inputs.seed, 1234);
    assert.deepEqual(await pixelAt(body.images[0].b64_json, 1, 1), fakeColour(1234, 'fixed'));
    // Without a seed asked for there is nothing to warn about, even with strict_knobs.
    const unseeded = await post(daemon, '/v1/generate', { model: 'seedless', prompt: 'fixed', size: '64x64', steps: 2, strict_knobs: true });
    assert.equal(unseeded.status, 200, JSON.stringify(unseeded.body));
    assert.deepEqual(unseeded.body.warnings, []);
  });

  it('maps errors: unknown sampler 400, strict knobs 422, missing checkpoint and execution_error 502', async () => {
    const unknown = await post(daemon, '/v1/generate', { model: 'sdxl', prompt: 'x', sampler: 'warp_drive' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.param, 'sampler');
    const strict = await post(daemon, '/v1/generate', { model: 'sdxl', prompt: 'x', sampler: 'ddim', strict_knobs: true });
    assert.equal(strict.status, 422);
    assert.match(strict.body.error.message, /no sampler "ddim"/);
    const ghost = await post(daemon, '/v1/generate', { model: 'ghost', prompt: 'x' });
    assert.equal(ghost.status, 502);
    assert.match(ghost.body.error.message, /no checkpoint "ghost.safetensors"/);
    const failing = await post(daemon, '/v1/generate', { model: 'failing', prompt: 'x', size: '64x64', steps: 1 });
    assert.equal(failing.status, 502);
    assert.match(failing.body.error.message, /PreviewImage #20: RuntimeError/);
  });

  it('times out as 504 and answers 502 when ComfyUI is unreachable', async () => {
    const held = await startComfyUIFake({ hold: true });
    const slow = await daemonFor(
      { held: { type: 'comfyui', base_url: held.url, timeout_ms: 200 }, gone: { type: 'comfyui', base_url: 'http://127.0.0.1:9' } },
      [
        { id: 'slow', provider: 'held', model: CKPT },
        { id: 'gone', provider: 'gone', model: CKPT },
      ],
    );
    try {
      const timedOut = await post(slow, '/v1/generate', { model: 'slow', prompt: 'x' });
      assert.equal(timedOut.status, 504);
      assert.equal(timedOut.body.error.code, 'provider_timeout');
      // The clean-up goes out without holding the answer (an older server: the jobs route 404s first).
      for (let i = 0; i < 100 && held.deletes.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(held.deletes, [[held.prompts[0]!.promptId]]);
      const gone = await post(slow, '/v1/generate', { model: 'gone', prompt: 'x' });
      assert.equal(gone.status, 502);
      assert.match(gone.body.error.message, /cannot reach/);
    } finally {
      await slow.close();
      await held.close();
    }
  });

  it('GET /v1/models lists the configured models, and the checkpoints ComfyUI reports that none serves', async () => {
    const response = await fetch(`${daemon.url}/v1/models`);
    const body = (await response.json()) as Record<string, any>;
    const sdxl = body.data.find((m: { id: string }) => m.id === 'sdxl');
    assert.deepEqual(sdxl.capabilities, ['txt2img', 'img2img', 'inpaint']);
    assert.ok(sdxl.knobs.includes('sampler'));
    const seedless = body.data.find((m: { id: string }) => m.id === 'seedless');
    assert.deepEqual(seedless.capabilities, ['txt2img']);
    assert.ok(!seedless.knobs.includes('seed'));
    assert.deepEqual(
      body.backend_models.map((m: { id: string; owned_by: string }) => `${m.owned_by}:${m.id}`),
      ['comfy:flux1-dev.safetensors'],
    );
  });

  it('refuses a bad workflow file at start, naming it', async () => {
    const path = join(workflowDir, 'partial.json');
    const partial = structuredClone(DEFAULT_GRAPHS.txt2img);
    partial['2']!.inputs.text = 'photo of {{prompt}}';
    await writeFile(path, JSON.stringify(partial));
    await assert.rejects(
      daemonFor({ c: { type: 'comfyui', workflows: { p: { txt2img: path } } } }, [{ id: 'p', provider: 'c' }]),
      (error: unknown) => (error as Error).name === 'ConfigError' && /providers\.c\.workflows: txt2img workflow: node "2" input "text"/.test((error as Error).message),
    );
  });
});
