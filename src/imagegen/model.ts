/**
 * `defineImageModel` turns a provider's one-call `doGenerate` into a full ImageModel: it builds the
 * request from options, checks what every backend needs checked, applies the seed rule, splits n
 * into calls the backend can take, and keeps the images of calls that succeeded when one fails.
 */
import { ImagegenError, abortError, invalidRequest } from './errors.ts';
import { draftFrom } from './options.ts';
import { MAX_SEED, isValidSeed, randomSeed, seedAt } from './seed.ts';
import type { CallOptions, ImageModel, ModelInfo, Option, Request, RequestInput, Result, Warning } from './types.ts';

/** What one backend call returns; the wrapper fills in provider, model and usage totals. */
export interface CallResult {
  images: Result['images'];
  warnings?: Warning[];
  usage?: Partial<Result['usage']>;
  raw?: unknown;
}

/** The request a backend call gets: the seed is always chosen. */
export type SeededRequest = Request & {
  seed: number;
  /** The caller named no seed and this one was drawn at random (so a backend that takes none need not warn). */
  seedIsRandom?: boolean;
};

export interface ModelDefinition extends ModelInfo {
  /** Calls run side by side when n is split (default 1: one after another). */
  concurrency?: number;
  /** One backend call for request.n <= maxImagesPerCall images, seed already chosen. */
  doGenerate(request: SeededRequest, call: CallOptions): Promise<CallResult>;
}

export function defineImageModel(definition: ModelDefinition): ImageModel {
  const { doGenerate, concurrency, ...info } = definition;
  return {
    ...info,
    async generate(input: RequestInput, ...options: Option[]): Promise<Result> {
      const { request, call } = draftFrom(input, options);
      checkRequest(request, info);
      if (call.signal?.aborted) throw abortError(call.signal);
      const seeded: SeededRequest = request.seed === undefined ? { ...request, seed: randomSeed(), seedIsRandom: true } : { ...request, seed: request.seed };
      return generateInCalls(seeded, call, info, doGenerate, concurrency ?? 1);
    },
  };
}

function checkRequest(request: Request, info: ModelInfo): void {
  if (typeof request.prompt !== 'string') throw invalidRequest('prompt must be a string', 'prompt');
  if (!Number.isInteger(request.n) || request.n < 1) throw invalidRequest('n must be an integer >= 1', 'n');
  if (request.seed !== undefined && !isValidSeed(request.seed)) {
    throw invalidRequest(`seed must be an integer from 0 to ${MAX_SEED}`, 'seed');
  }
  if (request.strength !== undefined && !(request.strength >= 0 && request.strength <= 1)) {
    throw invalidRequest('strength must be between 0 and 1', 'strength');
  }
  if (request.mask && !request.image) throw invalidRequest('a mask needs an image to apply to', 'mask');
  const needed = request.mask ? 'inpaint' : request.image ? 'img2img' : 'txt2img';
  if (!info.capabilities.includes(needed)) {
    throw new ImagegenError('unsupported', `model ${info.id} does not do ${needed}`, {
      param: needed === 'txt2img' ? 'model' : needed === 'inpaint' ? 'mask' : 'image',
    });
  }
}

async function generateInCalls(
  request: SeededRequest,
  call: CallOptions,
  info: ModelInfo,
  doGenerate: ModelDefinition['doGenerate'],
  concurrency: number,
): Promise<Result> {
  const perCall = Math.max(1, info.maxImagesPerCall ?? request.n);
  const chunks: SeededRequest[] = [];
  for (let first = 0; first < request.n; first += perCall) {
    chunks.push({ ...request, n: Math.min(perCall, request.n - first), seed: seedAt(request.seed, first) });
  }
  const settled = await mapLimited(chunks, concurrency, (chunk) => doGenerate(chunk, call), call.signal);
  // A cancelled request is cancelled, not partially served.
  if (call.signal?.aborted) throw abortError(call.signal);

  const result: Result = {
    images: [],
    warnings: [],
    usage: { images: 0, megapixels: 0 },
    provider: info.provider,
    model: info.id,
    raw: [],
  };
  const failures: unknown[] = [];
  for (const outcome of settled) {
    if (outcome.status === 'rejected') {
      failures.push(outcome.reason);
      continue;
    }
    const part = outcome.value;
    result.images.push(...part.images);
    result.warnings.push(...(part.warnings ?? []));
    result.raw!.push(part.raw);
    for (const key of ['inputTokens', 'outputTokens', 'totalTokens'] as const) {
      const value = part.usage?.[key];
      if (value !== undefined) result.usage[key] = (result.usage[key] ?? 0) + value;
    }
  }
  // Nothing made: the first failure is the answer (or, if every call "succeeded" empty-handed, the
  // backend's fault, so a chain can fall back). Something made: keep it and say what is missing.
  if (result.images.length === 0) {
    throw failures[0] ?? new ImagegenError('provider_error', `${info.provider} answered without any image`, { provider: info.provider, retryable: true });
  }
  if (failures.length > 0) {
    const reason = failures[0] instanceof Error ? failures[0].message : String(failures[0]);
    result.warnings.push({
      type: 'partial',
      setting: 'n',
      message: `${failures.length} of ${chunks.length} backend calls failed (${reason}); returning ${result.images.length} of ${request.n} images`,
    });
  }
  result.usage.images = result.images.length;
  result.usage.megapixels = megapixels(result.images);
  return result;
}

export function megapixels(images: Result['images']): number {
  const pixels = images.reduce((sum, image) => sum + (image.width ?? 0) * (image.height ?? 0), 0);
  return pixels / 1_000_000;
}

/** fn over items, `limit` at a time; no new item starts once `signal` has fired. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  signal?: AbortSignal,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await fn(items[index]!) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
