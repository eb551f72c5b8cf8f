/**
 * One SDAPI model: a canonical request becomes a /sdapi/v1/txt2img or /img2img body in the server's
 * dialect, and the answer's images become canonical images with the seeds the server really used.
 */
import {
  ImagegenError,
  defineImageModel,
  seedAt,
  type Capability,
  type ImageInput,
  type ImageModel,
  type Knob,
  type Request,
  type Warning,
  untilAborted,
} from '../../imagegen/index.ts';
import { convertImage, inspectImage, maskToPng, toCanonicalMask, type DecodeLimits } from '../../images/index.ts';
import { dropKnob, fitSize, normalizeKnobs, type NativeKnobs } from '../../knobs/index.ts';
import { SDAPI_DIALECTS, legacyA1111SamplerName, type SdapiFlavor } from '../../knobs/dialects/sdapi.ts';
import { newTaskId, watchTask, type TaskWatchOptions } from './a1111-task.ts';
import type { SdapiDiscovery, ServerOffer } from './sdapi-discovery.ts';
import { INPAINTING_FILL, type SdapiInpaintSettings } from './sdapi-settings.ts';
import { generateNative, type SdcppNativeOptions } from './sdcpp-native.ts';

export const SDAPI_CAPABILITIES: readonly Capability[] = ['txt2img', 'img2img', 'inpaint'];
export const SDAPI_KNOBS: readonly Knob[] = ['size', 'n', 'seed', 'steps', 'cfg_scale', 'sampler', 'scheduler', 'negative_prompt', 'strength'];

export interface SdapiModelConfig {
  provider: string;
  llamaSwap: boolean;
  maxImagesPerCall: number;
  inpaint: SdapiInpaintSettings;
  decodeLimits?: DecodeLimits;
  discovery: SdapiDiscovery;
  /** A1111 task control (own progress, interrupt on cancel); `post` takes paths without the llama-swap prefix. */
  tasks: TaskWatchOptions;
  post(path: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<unknown>;
  /** sd-server's native job API, used where discovery found it. */
  native: SdcppNativeOptions;
}

/** Request-level overrides of the inpaint settings: `providerOptions.sdapi`. */
const PROVIDER_OPTIONS_KEY = 'sdapi';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

export function createSdapiImageModel(id: string, config: SdapiModelConfig): ImageModel {
  const prefix = config.llamaSwap ? `/upstream/${encodeURI(id)}` : '';
  return defineImageModel({
    id,
    provider: config.provider,
    capabilities: SDAPI_CAPABILITIES,
    knobs: SDAPI_KNOBS,
    maxImagesPerCall: config.maxImagesPerCall,
    // Both servers run one generation at a time (A1111's queue_lock, sd-server's context mutex).
    concurrency: 1,
    async doGenerate(request, call) {
      // Discovery is shared between requests, so it runs on its own timeout; a caller who gives up waits no longer.
      const offer = await untilAborted(config.discovery.offer(prefix), call.signal);
      const { knobs, warnings } = normalizeKnobs(request, SDAPI_DIALECTS[offer.flavor]);
      const drop = (setting: string, message: string) => dropKnob(request, warnings, setting, message);
      const sampling = samplingFields(knobs, offer, drop);

      const body: Loose = {
        prompt: request.prompt,
        ...(knobs.negativePrompt !== undefined && { negative_prompt: knobs.negativePrompt }),
        seed: request.seed,
        batch_size: request.n,
        ...(knobs.steps !== undefined && { steps: knobs.steps }),
        ...(knobs.cfgScale !== undefined && { cfg_scale: knobs.cfgScale }),
        ...(knobs.size && { width: knobs.size.width, height: knobs.size.height }),
        ...sampling,
      };
      if (offer.flavor === 'a1111') Object.assign(body, { n_iter: 1, send_images: true, save_images: false });
      // llama-swap routes by the body's `model`, on /sdapi routes too; A1111 and sd-server ignore it.
      if (config.llamaSwap) body.model = id;
      const checkpoint = await untilAborted(checkpointOverride(id, offer.flavor, config, prefix), call.signal);
      if (checkpoint) body.override_settings = { sd_model_checkpoint: checkpoint };

      if (request.image) await addInitImage(body, request, request.image, offer.flavor, config, warnings, drop);

      // A1111 names the task after us, so a cancel can tell our job from another caller's.
      let watch: { stop(): void } | undefined;
      if (offer.flavor === 'a1111') {
        body.force_task_id = newTaskId();
        watch = watchTask(body.force_task_id as string, call, { ...config.tasks, post: (path, b) => config.tasks.post(prefix + path, b) });
      }
      let answer: unknown;
      try {
        // sd-server with /sdcpp/v1: a job we can poll and cancel, answered in the /sdapi shape.
        if (offer.native) answer = await generateNative(body, prefix, call, config.native);
        else answer = await config.post(`/sdapi/v1/${request.image ? 'img2img' : 'txt2img'}`, body, call.signal);
      } finally {
        watch?.stop();
      }
      const read = await readImages(answer, request, config);
      return { ...read, warnings: [...warnings, ...read.warnings] };
    },
  });
}



/**
 * `sampler_name` and `scheduler` as this server takes them. Names the server did not list are not
 * sent: it would swap them silently for its default. A1111 before 1.9 gets the combined label.
 */
function samplingFields(knobs: NativeKnobs, offer: ServerOffer, drop: (setting: string, message: string) => void): Loose {
  const server = offer.flavor === 'sdcpp' ? 'sd-server' : 'this A1111';
  let sampler = knobs.sampler;
  let scheduler = knobs.scheduler;
  if (offer.legacySamplers && scheduler !== undefined) {
    const combined = sampler !== undefined ? legacyA1111SamplerName(sampler, scheduler) : undefined;
    if (combined && offer.samplers?.has(combined)) sampler = combined;
    else drop('scheduler', `${server} (before 1.9) has no scheduler field and no sampler "${combined ?? `${sampler ?? '(default)'} + ${scheduler}`}"; the schedule was left to the sampler`);
    scheduler = undefined;
  }
  if (sampler !== undefined && offer.samplers && !offer.samplers.has(sampler)) {
    drop('sampler', `${server} does not offer sampler "${sampler}" (it has ${[...offer.samplers].join(', ')}); its default was used`);
    sampler = undefined;
  }
  if (scheduler !== undefined && offer.schedulers && !offer.schedulers.has(scheduler)) {
    drop('scheduler', `${server} does not offer scheduler "${scheduler}" (it has ${[...offer.schedulers].join(', ')}); its default was used`);
    scheduler = undefined;
  }
  return { ...(sampler !== undefined && { sampler_name: sampler }), ...(scheduler !== undefined && { scheduler }) };
}

/** A1111 switches checkpoints per request; the title is checked first, since an unknown one is a 500 there. */
async function checkpointOverride(id: string, flavor: SdapiFlavor, config: SdapiModelConfig, prefix: string): Promise<string | undefined> {
  if (id === 'default' || flavor !== 'a1111' || config.llamaSwap) return undefined;
  const known = await config.discovery.checkpoints(prefix);
  if (!known) return id;
  const match = known.find((c) => c.title === id || c.modelName === id);
  if (!match) {
    throw new ImagegenError('not_found', `${config.provider} has no checkpoint "${id}"; it has ${known.map((c) => c.title).join(', ') || 'none'} (or name the model "default")`, {
      param: 'model',
      provider: config.provider,
    });
  }
  return match.title;
}

async function addInitImage(
  body: Loose,
  request: Request,
  image: ImageInput,
  flavor: SdapiFlavor,
  config: SdapiModelConfig,
  warnings: Warning[],
  drop: (setting: string, message: string) => void,
): Promise<void> {
  const info = await inspectImage(image.bytes, 'image', config.decodeLimits);
  // sd-server decodes with stb_image, which reads no WebP.
  const init = flavor === 'sdcpp' && info.format === 'webp' ? await convertImage(image.bytes, 'png', 'image') : image.bytes;
  body.init_images = [Buffer.from(init).toString('base64')];
  // Without a size both servers would resize the init image to their default (512x512); the
  // image's own size goes through the dialect's size rule like an asked-for one.
  if (body.width === undefined) {
    const { size } = fitSize(info, SDAPI_DIALECTS[flavor].size ?? {}, (message) => warnings.push({ type: 'changed', setting: 'size', message }));
    Object.assign(body, size);
  }
  if (request.strength !== undefined) body.denoising_strength = request.strength;
  if (!request.mask) return;

  const mask = await toCanonicalMask(request.mask.bytes, { width: info.width, height: info.height }, config.decodeLimits);
  warnings.push(...mask.warnings);
  // The canonical form already is both servers' form: one channel, white = inpaint.
  body.mask = Buffer.from(await maskToPng(mask)).toString('base64');
  const inpaint = { ...config.inpaint, ...inpaintOptions(request) };
  if (flavor === 'a1111') {
    Object.assign(body, {
      inpainting_fill: INPAINTING_FILL[inpaint.inpaintingFill ?? 'original'],
      inpaint_full_res: inpaint.onlyMasked ?? false,
      ...(inpaint.onlyMaskedPadding !== undefined && { inpaint_full_res_padding: inpaint.onlyMaskedPadding }),
      ...(inpaint.maskBlur !== undefined && { mask_blur: inpaint.maskBlur }),
      inpainting_mask_invert: 0,
    });
    return;
  }
  for (const [key, setting] of [['inpaintingFill', 'inpainting_fill'], ['onlyMasked', 'only_masked'], ['onlyMaskedPadding', 'only_masked_padding'], ['maskBlur', 'mask_blur']] as const) {
    if (inpaint[key] !== undefined) drop(setting, `sd-server has no ${setting}; it was ignored`);
  }
}

function inpaintOptions(request: Request): SdapiInpaintSettings {
  const options = request.providerOptions?.[PROVIDER_OPTIONS_KEY];
  if (!options) return {};
  const picked: SdapiInpaintSettings = {};
  if (typeof options.inpainting_fill === 'string') {
    if (!(options.inpainting_fill in INPAINTING_FILL)) {
      throw new ImagegenError('invalid_request', `inpainting_fill must be one of ${Object.keys(INPAINTING_FILL).join(', ')}`, { param: 'inpainting_fill' });
    }
    picked.inpaintingFill = options.inpainting_fill as SdapiInpaintSettings['inpaintingFill'];
  }
  if (typeof options.only_masked === 'boolean') picked.onlyMasked = options.only_masked;
  if (typeof options.only_masked_padding === 'number') picked.onlyMaskedPadding = options.only_masked_padding;
  if (typeof options.mask_blur === 'number') picked.maskBlur = options.mask_blur;
  return picked;
}

/**
 * `{images, parameters, info}`: `info` is a JSON string inside the JSON (parsed a second time).
 * Images before `index_of_first_image` are a grid; any after the batch are masks or extension
 * maps (ControlNet). The seed of image i is `all_seeds[i]`, else `seed + i`.
 */
async function readImages(answer: unknown, request: Request & { seed: number }, config: SdapiModelConfig) {
  const provider = config.provider;
  if (!isObject(answer) || !Array.isArray(answer.images)) {
    throw new ImagegenError('provider_error', `${provider} answered without an images list`, { provider, retryable: true });
  }
  const warnings: Warning[] = [];
  const info = parseInfo(answer.info);
  const first = typeof info?.index_of_first_image === 'number' ? info.index_of_first_image : 0;
  const batch = answer.images.slice(first, first + request.n);
  const allSeeds = Array.isArray(info?.all_seeds) ? info.all_seeds : [];
  const firstSeed = typeof info?.seed === 'number' ? info.seed : undefined;
  if (firstSeed === undefined && allSeeds.length === 0) {
    // sd-server before #1426 answers `info: ""`; it did use the seed sent, but cannot confirm it.
    warnings.push({ type: 'other', setting: 'seed', message: `${provider} did not report the seeds it used; reporting the seeds sent` });
  }
  const images = [];
  for (const [index, encoded] of batch.entries()) {
    if (typeof encoded !== 'string') throw new ImagegenError('provider_error', `${provider} answered with an image that is not base64`, { provider, retryable: true });
    const bytes = new Uint8Array(Buffer.from(encoded.replace(/^data:[^,]*,/, ''), 'base64'));
    const image = await inspectImage(bytes, 'image', config.decodeLimits).catch((error: unknown) => {
      throw new ImagegenError('provider_error', `${provider} answered with an unreadable image: ${(error as Error).message}`, { provider, retryable: true });
    });
    const reported = allSeeds[index];
    const seed = typeof reported === 'number' ? reported : seedAt(firstSeed ?? request.seed, index);
    images.push({ bytes, mimeType: image.mimeType, width: image.width, height: image.height, seed });
  }
  if (images.length === 0) throw new ImagegenError('provider_error', `${provider} answered with no images`, { provider, retryable: true });
  if (images.length < request.n) {
    warnings.push({ type: 'partial', setting: 'n', message: `${provider} returned ${images.length} of ${request.n} images` });
  }
  const { images: _dropped, ...raw } = answer;
  return { images, warnings, raw: { ...raw, info: info ?? answer.info } };
}

function parseInfo(info: unknown): Loose | undefined {
  if (isObject(info)) return info;
  if (typeof info !== 'string' || info.trim() === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(info);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
