/**
 * One Replicate model: create a prediction (`Prefer: wait`), poll it while it is starting or
 * processing, cancel it when the caller aborts or time runs out, then download its output URLs,
 * only from Replicate's own delivery hosts and only up to a size cap. The seed the model really
 * used is read from its logs ("Using seed: N").
 */
import { z } from 'zod';
import { ImagegenError, MAX_SEED, defineImageModel, type ImageModel, type SeededRequest, type Warning, untilAborted } from '../../imagegen/index.ts';
import { inspectImage, maskToPng, toCanonicalMask, type DecodeLimits } from '../../images/index.ts';
import { normalizeKnobs } from '../../knobs/index.ts';
import { sdxlCombinedScheduler } from '../../knobs/dialects/replicate.ts';
import { errorFromResponse, excerpt, httpCall, readJson, type FetchFunction } from '../http.ts';
import { asAsked, outputImage } from '../provider-utils.ts';
import { parseReplicateError, predictionError } from './replicate-error.ts';
import { parseModelRef, replicateModelRules, type ReplicateModelRef, type ReplicateModelRules, type ReplicateSchema } from './replicate-settings.ts';

export interface ReplicateModelConfig {
  provider: string;
  baseURL: string;
  headers: () => Record<string, string>;
  fetch?: FetchFunction;
  /** The whole prediction, create to last download. */
  timeoutMs: number;
  /** `Prefer: wait=N`: how long Replicate may hold the create call (1..60 s). */
  waitSeconds: number;
  pollIntervalMs: number;
  /** Hosts outputs may be downloaded from: `replicate.delivery`, `*.replicate.delivery` (https), or an exact origin `http://127.0.0.1:8080`. */
  outputHosts: readonly string[];
  maxOutputBytes: number;
  /** num_outputs per prediction (1..4). 1 keeps every image reproducible from its own seed. */
  outputsPerPrediction: number;
  concurrency: number;
  modelSchemas: Record<string, ReplicateSchema>;
  decodeLimits?: DecodeLimits;
}

/** The JS SDK's limit for inline (data URL) files; larger inputs need the files API. */
const MAX_INLINE_BYTES = 10_000_000;
const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'aborted']);
const USING_SEED = /Using seed: (\d+)/;

const Prediction = z.looseObject({
  id: z.string(),
  status: z.string(),
  output: z.unknown().optional(),
  logs: z.string().nullish(),
  error: z.unknown().optional(),
});
type Prediction = z.infer<typeof Prediction>;

export function createReplicateImageModel(id: string, config: ReplicateModelConfig): ImageModel {
  const ref = parseModelRef(id);
  if (!ref) throw new ImagegenError('not_found', `${config.provider}: "${id}" is not a Replicate model (owner/name or owner/name:version)`, { param: 'model' });
  const rules = replicateModelRules(ref, config.modelSchemas);
  return defineImageModel({
    id,
    provider: config.provider,
    capabilities: rules.capabilities,
    knobs: rules.dialect.knobs,
    maxImagesPerCall: config.outputsPerPrediction,
    concurrency: config.concurrency,
    async doGenerate(request, call) {
      const { input, warnings, seed } = await buildInput(request, rules, config.decodeLimits);
      const prediction = await runPrediction(ref, input, call.signal, config);
      const urls = outputUrls(prediction.output);
      const logged = USING_SEED.exec(prediction.logs ?? '');
      const usedSeed = logged ? Number(logged[1]) : seed;
      const images = [];
      for (const [index, url] of urls.entries()) {
        const bytes = await download(url, config, call.signal);
        // The images of one prediction come from one generator: only the first is what its seed makes alone.
        images.push(await outputImage(bytes, config.provider, config.decodeLimits, index === 0 ? usedSeed : undefined));
      }
      if (images.length < request.n) {
        warnings.push({
          type: 'partial',
          setting: 'n',
          message: `${config.provider} returned ${images.length} of ${request.n} images (its safety checker drops NSFW outputs silently)`,
        });
      }
      if (images.length > 1) {
        warnings.push({
          type: 'other',
          setting: 'seed',
          message: `${images.length} images came from one prediction with seed ${usedSeed}; only the first is reproducible from it (outputs_per_prediction: 1 gives each image its own seed)`,
        });
      }
      return { images, warnings, raw: { id: prediction.id, status: prediction.status, logs: prediction.logs, metrics: prediction.metrics } };
    },
  });
}

/** The canonical request as the model's `input`, with a warning for every knob dropped or changed. */
async function buildInput(
  request: SeededRequest,
  rules: ReplicateModelRules,
  limits: DecodeLimits | undefined,
): Promise<{ input: Record<string, unknown>; warnings: Warning[]; seed: number }> {
  const asked = asAsked(request);
  const combined = rules.schema === 'sdxl' ? sdxlCombinedScheduler(asked) : undefined;
  const { knobs, warnings } = normalizeKnobs(combined?.rest ?? asked, rules.dialect);
  const extras = { ...request.providerOptions?.replicate };

  let seed = request.seed;
  if (rules.schema === 'flux' && seed === 0) {
    // cog-flux reads a falsy seed as "pick a random one" (`if not seed`). 2^32 - 1 is the one
    // seed no other image of the request can have (image i of seed s uses s + i within 0..MAX_SEED).
    seed = FLUX_SEED_FOR_ZERO;
    if (!request.seedIsRandom) warnings.push({ type: 'changed', setting: 'seed', message: `FLUX reads seed 0 as "random"; seed ${FLUX_SEED_FOR_ZERO} was sent instead` });
  }
  const input: Record<string, unknown> = { prompt: request.prompt, num_outputs: request.n, seed };

  if (rules.schema === 'sdxl') {
    if (knobs.size && !(request.image && !request.mask)) Object.assign(input, { width: knobs.size.width, height: knobs.size.height });
    else if (knobs.size) warnings.push({ type: 'changed', setting: 'size', message: 'SDXL img2img makes the size of the init image; size was not sent' });
    if (knobs.negativePrompt !== undefined) input.negative_prompt = knobs.negativePrompt;
    if (knobs.steps !== undefined) input.num_inference_steps = knobs.steps;
    if (knobs.cfgScale !== undefined) input.guidance_scale = knobs.cfgScale;
    const scheduler = combined?.native ?? knobs.sampler;
    if (scheduler !== undefined) input.scheduler = scheduler;
  } else {
    if (knobs.aspectRatio !== undefined) input.aspect_ratio = knobs.aspectRatio;
    if (knobs.steps !== undefined) input.num_inference_steps = knobs.steps;
    // cog-flux defaults to lossy webp; PNG like every other backend.
    input.output_format = 'png';
    if (rules.goFast && !request.seedIsRandom) {
      if (extras.go_fast === true) {
        warnings.push({ type: 'other', setting: 'seed', message: 'go_fast is on: FLUX outputs are not deterministic even with a seed' });
      } else input.go_fast = false; // fp8 go_fast ignores the seed's promise of reproducibility
    }
  }
  if (knobs.strength !== undefined) input.prompt_strength = knobs.strength;

  if (request.image) {
    const info = await inspectImage(request.image.bytes, 'image', limits);
    input.image = dataUrl(request.image.bytes, info.mimeType);
    if (request.mask) {
      // Both schemas: white = inpaint, black = keep, the canonical form.
      const mask = await toCanonicalMask(request.mask.bytes, { width: info.width, height: info.height }, limits);
      warnings.push(...mask.warnings);
      input.mask = dataUrl(await maskToPng(mask), 'image/png');
    }
    const inline = String(input.image).length + String(input.mask ?? '').length;
    if (inline > MAX_INLINE_BYTES) {
      throw new ImagegenError('payload_too_large', `image and mask are ${inline} bytes as data URLs; Replicate takes at most ${MAX_INLINE_BYTES} inline`, { param: 'image' });
    }
  }
  return { input: { ...extras, ...input }, warnings, seed };
}

const dataUrl = (bytes: Uint8Array, mimeType: string) => `data:${mimeType};base64,${Buffer.from(bytes).toString('base64')}`;

const CANCEL_TIMEOUT_MS = 10_000;
const FLUX_SEED_FOR_ZERO = MAX_SEED + 1;

async function runPrediction(ref: ReplicateModelRef, input: Record<string, unknown>, signal: AbortSignal | undefined, config: ReplicateModelConfig): Promise<Prediction> {
  const deadline = Date.now() + config.timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  const call = async (path: string, init: RequestInit, callSignal?: AbortSignal, timeoutMs = remaining()): Promise<Prediction> => {
    const response = await httpCall(`${config.baseURL}${path}`, { ...init, headers: { ...config.headers(), ...init.headers } }, {
      provider: config.provider,
      fetch: config.fetch,
      timeoutMs,
      signal: callSignal,
    });
    if (!response.ok) throw await errorFromResponse(response, config.provider, parseReplicateError);
    const parsed = Prediction.safeParse(await readJson(response, config.provider));
    if (!parsed.success) throw new ImagegenError('provider_error', `${config.provider} answered without a prediction`, { provider: config.provider, retryable: true });
    return parsed.data;
  };
  // The cancel gets its own time: it is sent once the deadline has passed or the caller left, and
  // it is not waited for, so a running (billed) prediction is stopped without holding the answer.
  const cancel = (id: string) => {
    void call(`/predictions/${encodeURIComponent(id)}/cancel`, { method: 'POST' }, undefined, CANCEL_TIMEOUT_MS).catch(() => undefined);
  };

  const wait = Math.max(1, Math.min(config.waitSeconds, Math.ceil(remaining() / 1000)));
  const path = ref.version ? '/predictions' : `/models/${ref.owner}/${ref.name}/predictions`;
  // Not tied to the caller's signal: an abort while Replicate holds the call still gets the
  // prediction's id from the answer, so the prediction is canceled instead of left running.
  const creating = call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', prefer: `wait=${wait}` },
    body: JSON.stringify(ref.version ? { version: ref.version, input } : { input }),
  });
  let prediction: Prediction;
  try {
    prediction = await untilAborted(creating, signal);
  } catch (error) {
    if (signal?.aborted) creating.then((p) => (TERMINAL.has(p.status) ? undefined : cancel(p.id)), () => undefined);
    throw error;
  }

  while (!TERMINAL.has(prediction.status)) {
    try {
      if (Date.now() >= deadline) throw new ImagegenError('provider_timeout', `${config.provider} prediction ${prediction.id} did not finish within ${config.timeoutMs} ms`, { provider: config.provider });
      await sleep(Math.min(config.pollIntervalMs, remaining()), signal);
      prediction = await call(`/predictions/${encodeURIComponent(prediction.id)}`, { method: 'GET' }, signal);
    } catch (error) {
      if (ImagegenError.is(error, 'cancelled') || ImagegenError.is(error, 'provider_timeout')) cancel(prediction.id);
      throw error;
    }
  }
  if (prediction.status !== 'succeeded') throw predictionError(config.provider, prediction.id, prediction.status, prediction.error);
  return prediction;
}


function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return untilAborted(new Promise<void>((resolve) => setTimeout(resolve, ms)), signal);
}

/** Image models answer with a list of URLs; some with one URL. */
function outputUrls(output: unknown): string[] {
  const list = Array.isArray(output) ? output : output === undefined || output === null ? [] : [output];
  return list.filter((item): item is string => typeof item === 'string');
}

/** Whether `url` is on one of the delivery hosts outputs may come from. */
export function isDeliveryHost(url: URL, hosts: readonly string[]): boolean {
  return hosts.some((entry) => {
    if (entry.includes('://')) return url.origin === new URL(entry).origin;
    if (url.protocol !== 'https:') return false;
    return entry.startsWith('*.') ? url.hostname.endsWith(entry.slice(1)) : url.hostname === entry;
  });
}

async function download(address: string, config: ReplicateModelConfig, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const refuse = (message: string) => new ImagegenError('provider_error', `${config.provider}: ${message}`, { provider: config.provider, retryable: false });
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw refuse(`output "${excerpt(address, 80)}" is not a URL`);
  }
  if (!isDeliveryHost(url, config.outputHosts)) {
    throw refuse(`output on ${url.protocol}//${url.host} is not on Replicate's delivery hosts (${config.outputHosts.join(', ')}); not downloaded`);
  }
  // No credentials to the delivery host, and no redirect off the allow-list.
  const response = await httpCall(url.href, { redirect: 'manual' }, { provider: config.provider, fetch: config.fetch, timeoutMs: 120_000, signal });
  if (response.status >= 300 && response.status < 400) throw refuse(`output ${url.pathname} redirects elsewhere; not followed`);
  if (!response.ok) throw await errorFromResponse(response, config.provider);
  const tooBig = () => refuse(`output ${url.pathname} is larger than the ${config.maxOutputBytes}-byte cap`);
  if (Number(response.headers.get('content-length') ?? 0) > config.maxOutputBytes) {
    await response.body?.cancel();
    throw tooBig();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > config.maxOutputBytes) {
      await reader.cancel();
      throw tooBig();
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
