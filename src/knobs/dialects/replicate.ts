/**
 * Replicate models' input schemas as dialects (backends.md 6.4): cog-sdxl (`stability-ai/sdxl`)
 * and cog-flux (`black-forest-labs/flux-*`). SDXL's `scheduler` input is really a sampler (a
 * diffusers scheduler class); Karras sigmas exist only as the combined `KarrasDPM`. FLUX has no
 * negative prompt, no sampler or scheduler, and no free size: only an aspect ratio. FLUX-dev's
 * `guidance` is distilled guidance, not classic CFG, so cfg_scale is not mapped onto it.
 */
import type { Request } from '../../imagegen/index.ts';
import type { Dialect } from '../dialect.ts';
import { canonicalSampling } from '../normalize.ts';
import type { Sampler, Scheduler } from '../vocabulary.ts';

export const REPLICATE_SDXL_DIALECT: Dialect = {
  name: 'Replicate SDXL',
  knobs: ['size', 'n', 'seed', 'steps', 'cfg_scale', 'sampler', 'negative_prompt', 'strength'],
  samplers: {
    euler: 'K_EULER',
    euler_a: 'K_EULER_ANCESTRAL',
    heun: 'HeunDiscrete',
    dpmpp_2m: 'DPMSolverMultistep',
    ddim: 'DDIM',
    plms: 'PNDM',
  },
  steps: { min: 1, max: 500 },
  cfgScale: { min: 1, max: 50 },
  strength: { min: 0, max: 1 },
  size: { multipleOf: 8, min: 64 },
};

/** Canonical sampler + scheduler pairs SDXL has as one native name. */
const SDXL_COMBINED: { sampler: Sampler; scheduler: Scheduler; native: string }[] = [{ sampler: 'dpmpp_2m', scheduler: 'karras', native: 'KarrasDPM' }];

/**
 * The pair SDXL spells as one name ("DPM++ 2M" + karras -> KarrasDPM), taken out of the request so
 * normalization does not drop its scheduler; undefined when the request has no such pair.
 */
export function sdxlCombinedScheduler(request: Request): { native: string; rest: Request } | undefined {
  const { sampler, scheduler } = canonicalSampling(request);
  const pair = SDXL_COMBINED.find((c) => c.sampler === sampler && c.scheduler === scheduler);
  if (!pair) return undefined;
  const { sampler: _sampler, scheduler: _scheduler, ...rest } = request;
  return { native: pair.native, rest };
}

const FLUX_RATIOS = ['1:1', '16:9', '21:9', '3:2', '2:3', '4:5', '5:4', '3:4', '4:3', '9:16', '9:21'] as const;

export const REPLICATE_FLUX_SCHNELL_DIALECT: Dialect = {
  name: 'Replicate FLUX schnell',
  knobs: ['size', 'n', 'seed', 'steps'],
  steps: { min: 1, max: 4 },
  size: { aspectRatios: FLUX_RATIOS },
};

export const REPLICATE_FLUX_DEV_DIALECT: Dialect = {
  name: 'Replicate FLUX dev',
  knobs: ['size', 'n', 'seed', 'steps', 'strength'],
  steps: { min: 1, max: 50 },
  strength: { min: 0, max: 1 },
  size: { aspectRatios: FLUX_RATIOS },
};

/** flux-fill: the image and mask set the size. */
export const REPLICATE_FLUX_FILL_DIALECT: Dialect = {
  name: 'Replicate FLUX fill',
  knobs: ['n', 'seed', 'steps'],
  steps: { min: 1, max: 50 },
};
