/**
 * A backend's dialect, as data: which canonical knobs it honours, its names for samplers and
 * schedulers, and the ranges and sizes it accepts. `normalizeKnobs` applies one to a request.
 */
import type { Knob, Size } from '../imagegen/index.ts';
import type { Sampler, Scheduler } from './vocabulary.ts';

export interface Range {
  min: number;
  max: number;
}

export interface SizeRule {
  /** Both sides are rounded to a multiple of this (8 for latent diffusion, 16 for gpt-image-2). */
  multipleOf?: number;
  min?: number;
  max?: number;
  /** Largest width*height. */
  maxPixels?: number;
  /** Only these sizes exist (dall-e-3, gpt-image-1): the nearest is taken. */
  allowed?: readonly Size[];
  /** The backend takes an aspect ratio, not a size (Imagen, Gemini, FLUX): the nearest is taken. */
  aspectRatios?: readonly string[];
  /** Aspect ratio bounds, as width/height (gpt-image-2: 1/3 .. 3). */
  aspect?: Range;
}

export interface Dialect {
  /** For messages: "sd.cpp", "dall-e-3". */
  name: string;
  /** Canonical knobs this backend honours; any other set knob is dropped with a warning. */
  knobs: readonly Knob[];
  /** The backend's name for each canonical sampler it has; a sampler not listed is dropped. */
  samplers?: Partial<Record<Sampler, string>>;
  schedulers?: Partial<Record<Scheduler, string>>;
  steps?: Range;
  cfgScale?: Range;
  strength?: Range;
  size?: SizeRule;
}
