/**
 * OpenAI Images, per model (backends.md 1): only size and n, with each model's own size rule.
 * No seed, negative prompt, steps, CFG, sampler or strength on any of them. An OpenAI-compatible
 * gateway with an unknown model takes any size; stable-diffusion.cpp's /v1 route takes the full
 * native knob set when they are embedded as `<sd_cpp_extra_args>` in the prompt (backends.md 3.2).
 */
import type { Size } from '../../imagegen/index.ts';
import type { Dialect } from '../dialect.ts';
import { SDCPP_SAMPLERS, SDCPP_SCHEDULERS } from './sdapi.ts';

const square = (side: number): Size => ({ width: side, height: side });

const GPT_IMAGE: Dialect = {
  name: 'gpt-image-1',
  knobs: ['size', 'n'],
  size: { allowed: [square(1024), { width: 1536, height: 1024 }, { width: 1024, height: 1536 }] },
};

/** Any WxH, both multiples of 16, aspect 1:3 to 3:1, at most 3840x2160 worth of pixels. */
const GPT_IMAGE_2: Dialect = {
  name: 'gpt-image-2',
  knobs: ['size', 'n'],
  size: { multipleOf: 16, min: 16, max: 3840, maxPixels: 3840 * 2160, aspect: { min: 1 / 3, max: 3 } },
};

export const OPENAI_DIALECTS: Record<string, Dialect> = {
  'gpt-image-1': GPT_IMAGE,
  'gpt-image-1-mini': { ...GPT_IMAGE, name: 'gpt-image-1-mini' },
  'gpt-image-1.5': { ...GPT_IMAGE, name: 'gpt-image-1.5' },
  'chatgpt-image-latest': { ...GPT_IMAGE, name: 'chatgpt-image-latest' },
  'gpt-image-2': GPT_IMAGE_2,
  'gpt-image-2-2026-04-21': { ...GPT_IMAGE_2, name: 'gpt-image-2-2026-04-21' },
  'dall-e-3': {
    name: 'dall-e-3',
    knobs: ['size', 'n'],
    size: { allowed: [square(1024), { width: 1792, height: 1024 }, { width: 1024, height: 1792 }] },
  },
  'dall-e-2': { name: 'dall-e-2', knobs: ['size', 'n'], size: { allowed: [square(256), square(512), square(1024)] } },
};

/** A gateway's model we know nothing about: size and n pass through as asked. */
export const OPENAI_COMPATIBLE_DIALECT: Dialect = { name: 'OpenAI-compatible gateway', knobs: ['size', 'n'] };

/** sd.cpp's /v1 route, reading native names (the same tables as its sdapi route) from sd_cpp_extra_args. */
export const SD_CPP_EXTRA_ARGS_DIALECT: Dialect = {
  name: 'sd.cpp (/v1 with sd_cpp_extra_args)',
  knobs: ['size', 'n', 'seed', 'steps', 'cfg_scale', 'sampler', 'scheduler', 'negative_prompt', 'strength'],
  samplers: SDCPP_SAMPLERS,

  schedulers: SDCPP_SCHEDULERS,

  // The server clamps sample_steps to 1..100 and refuses a negative CFG (backends.md 3.5).
  steps: { min: 1, max: 100 },
  cfgScale: { min: 0, max: 100 },
  strength: { min: 0, max: 1 },
};
