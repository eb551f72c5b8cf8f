/**
 * The stub backend: deterministic colour blocks, no network, no weights. The same prompt, knobs,
 * seed and size give byte-identical PNGs; every knob is honoured (it changes the picture), so
 * tests and demos exercise the whole service offline.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ImagegenError,
  abortError,
  defineImageModel,
  seedAt,
  type Capability,
  type ImageModel,
  type Knob,
  type Provider,
  type Request,
} from '../../imagegen/index.ts';
import { canonicalSampling } from '../../knobs/index.ts';
import { decodeRaw, encodeRaw, inspectImage, toCanonicalMask, type DecodeLimits, type RawImage } from '../../images/index.ts';

export interface StubProviderSettings {
  /** Provider name reported in results (default "stub"). */
  name?: string;
  /** Model ids this provider answers to (default ["stub"]). */
  models?: string[];
  /** Blocks per side of the grid (default 8). */
  grid?: number;
  /** Size when the request names none (default 512x512). */
  defaultSize?: { width: number; height: number };
  /** Artificial latency per image in ms, to stand in for a slow GPU in tests and benches. */
  latencyMs?: number;
  decodeLimits?: DecodeLimits;
}

const CAPABILITIES: readonly Capability[] = ['txt2img', 'img2img', 'inpaint'];
const KNOBS: readonly Knob[] = ['size', 'n', 'seed', 'steps', 'cfg_scale', 'sampler', 'scheduler', 'negative_prompt', 'strength'];
const DEFAULT_STRENGTH = 0.75;

export function createStubProvider(settings: StubProviderSettings = {}): Provider {
  const name = settings.name ?? 'stub';
  const ids = settings.models ?? ['stub'];
  const models = new Map<string, ImageModel>(ids.map((id) => [id, stubModel(id, name, settings)]));
  return {
    name,
    imageModel(id) {
      const model = models.get(id);
      if (!model) throw new ImagegenError('not_found', `the ${name} provider has no model ${id}`, { param: 'model' });
      return model;
    },
    async listModels() {
      return [...models.values()].map(({ id, provider, capabilities, knobs }) => ({ id, provider, capabilities, knobs }));
    },
  };
}

function stubModel(id: string, provider: string, settings: StubProviderSettings): ImageModel {
  return defineImageModel({
    id,
    provider,
    capabilities: CAPABILITIES,
    knobs: KNOBS,
    async doGenerate(request, call) {
      // Names are canonicalized so "DPM++ 2M" and "dpmpp_2m" paint the same picture (and typos 400).
      const sampling = canonicalSampling(request);
      const limits = settings.decodeLimits;
      const info = request.image ? await inspectImage(request.image.bytes, 'image', limits) : undefined;
      const size = request.size ?? (info ? { width: info.width, height: info.height } : (settings.defaultSize ?? { width: 512, height: 512 }));
      const init = request.image
        ? await decodeRaw(request.image.bytes, 'image', { limits, channels: info!.hasAlpha ? 4 : 3, size })
        : undefined;
      const mask = request.mask ? await toCanonicalMask(request.mask.bytes, size, limits) : undefined;
      const images = [];
      for (let i = 0; i < request.n; i++) {
        if (settings.latencyMs) {
          await sleep(settings.latencyMs, undefined, { signal: call.signal }).catch(() => {
            throw abortError(call.signal!);
          });
        }
        if (call.signal?.aborted) throw abortError(call.signal);
        const seed = seedAt(request.seed, i);
        const blocks = paintBlocks({ ...request, ...sampling }, seed, size, settings.grid ?? 8, init?.channels ?? 3);
        const pixels = init ? blend(init, blocks, request.strength ?? DEFAULT_STRENGTH, mask?.data) : blocks;
        images.push({ bytes: await encodeRaw(pixels), mimeType: 'image/png', width: size.width, height: size.height, seed });
        call.onProgress?.({ fraction: (i + 1) / request.n, step: i + 1, totalSteps: request.n });
      }
      return { images, warnings: mask?.warnings ?? [], raw: { stub: true, seed: request.seed } };
    },
  });
}

/** Everything that shapes the picture goes into the hash, so each knob changes the output. */
function paintBlocks(request: Request, seed: number, size: { width: number; height: number }, grid: number, channels: 3 | 4 | number): RawImage {
  const identity = JSON.stringify([
    request.prompt,
    request.negativePrompt ?? null,
    request.steps ?? null,
    request.cfgScale ?? null,
    request.sampler ?? null,
    request.scheduler ?? null,
    size.width,
    size.height,
    seed,
  ]);
  const next = prng(createHash('sha256').update(identity).digest());
  const palette = Array.from({ length: grid * grid }, () => [next() & 255, next() & 255, next() & 255]);
  const { width, height } = size;
  const ch = channels === 4 ? 4 : 3;
  const data = Buffer.alloc(width * height * ch);
  for (let y = 0; y < height; y++) {
    const row = Math.min(grid - 1, Math.floor((y * grid) / height));
    for (let x = 0; x < width; x++) {
      const colour = palette[row * grid + Math.min(grid - 1, Math.floor((x * grid) / width))]!;
      const at = (y * width + x) * ch;
      data[at] = colour[0]!;
      data[at + 1] = colour[1]!;
      data[at + 2] = colour[2]!;
      if (ch === 4) data[at + 3] = 255;
    }
  }
  return { data, width, height, channels: ch };
}

/** img2img: mix init and blocks by strength; with a mask, only where the mask is 255. */
function blend(init: RawImage, blocks: RawImage, strength: number, mask?: Buffer): RawImage {
  const out = Buffer.from(init.data);
  const ch = init.channels;
  for (let p = 0; p < init.width * init.height; p++) {
    if (mask && mask[p] === 0) continue;
    for (let c = 0; c < ch; c++) {
      const at = p * ch + c;
      out[at] = Math.round(init.data[at]! * (1 - strength) + blocks.data[at]! * strength);
    }
  }
  return { ...init, data: out };
}

/** xorshift32 seeded from a digest: fast, deterministic, good enough for colours. */
function prng(digest: Buffer): () => number {
  let state = digest.readUInt32LE(0) || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}
