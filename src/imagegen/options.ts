/**
 * Functional options. `buildRequest('a fox', withCount(2), withSeed(7))` and
 * `buildRequest({prompt: 'a fox', n: 2, seed: 7})` give the same plain Request.
 */
import type { CallOptions, Draft, ImageInput, Option, ProgressEvent, Request, RequestInput, Size } from './types.ts';

const set =
  <K extends keyof Request>(key: K) =>
  (value: Request[K]): Option =>
  (draft) => {
    draft.request[key] = value;
  };

export const withCount = set('n');
export const withSeed = set('seed');
export const withSteps = set('steps');
export const withCfgScale = set('cfgScale');
export const withNegativePrompt = set('negativePrompt');
export const withSampler = set('sampler');
export const withScheduler = set('scheduler');
export const withStrength = set('strength');
export const withStrictKnobs = (strict = true): Option => set('strictKnobs')(strict);

export function withSize(size: Size | `${number}x${number}` | number, height?: number): Option {
  return set('size')(toSize(size, height));
}

export function withImage(image: ImageInput | Uint8Array): Option {
  return set('image')(image instanceof Uint8Array ? { bytes: image } : image);
}

export function withMask(mask: ImageInput | Uint8Array): Option {
  return set('mask')(mask instanceof Uint8Array ? { bytes: mask } : mask);
}

export function withProviderOptions(provider: string, options: Record<string, unknown>): Option {
  return (draft) => {
    draft.request.providerOptions = { ...draft.request.providerOptions, [provider]: options };
  };
}

export const withSignal =
  (signal: AbortSignal): Option =>
  (draft) => {
    draft.call.signal = signal;
  };

export const withProgress =
  (onProgress: (event: ProgressEvent) => void): Option =>
  (draft) => {
    draft.call.onProgress = onProgress;
  };

function toSize(size: Size | string | number, height?: number): Size {
  if (typeof size === 'number') return { width: size, height: height ?? size };
  if (typeof size === 'string') {
    const match = /^(\d+)x(\d+)$/.exec(size);
    if (!match) throw new TypeError(`size must look like WIDTHxHEIGHT, got ${JSON.stringify(size)}`);
    return { width: Number(match[1]), height: Number(match[2]) };
  }
  return { width: size.width, height: size.height };
}

/** The request and call settings that input + options describe. Undefined fields are dropped. */
export function draftFrom(input: RequestInput, options: readonly Option[]): Draft {
  const base = typeof input === 'string' ? { prompt: input } : input;
  const request = { n: 1, ...base } as Request;
  const draft: Draft = { request, call: {} };
  for (const option of options) option(draft);
  for (const key of Object.keys(request) as (keyof Request)[]) {
    if (request[key] === undefined) delete request[key];
  }
  return draft;
}

export function buildRequest(input: RequestInput, ...options: Option[]): Request {
  return draftFrom(input, options).request;
}

export type { CallOptions };
