/**
 * Canonical request + dialect -> the values to send, and a warning for every knob dropped or
 * changed. With `strictKnobs` a dropped knob is a 422 `unsupported` instead; changed values (a
 * clamp, a rounding) stay warnings because the request can still be served faithfully enough.
 */
import { ImagegenError, type Knob, type Request, type Size, type Warning } from '../imagegen/index.ts';
import type { Dialect, Range, SizeRule } from './dialect.ts';
import { parseSampler, parseScheduler, type Sampler, type Scheduler } from './vocabulary.ts';

export interface NativeKnobs {
  size?: Size;
  /** Set instead of size when the dialect takes aspect ratios. */
  aspectRatio?: string;
  steps?: number;
  cfgScale?: number;
  strength?: number;
  /** The backend's own names. */
  sampler?: string;
  scheduler?: string;
  negativePrompt?: string;
  /** Whether the seed can be sent (it is always chosen; this says if the backend takes it). */
  seed: boolean;
}

export interface Normalized {
  knobs: NativeKnobs;
  warnings: Warning[];
}

/** Canonical names of the request's sampler and scheduler (a 400 for unknown names). */
export function canonicalSampling(request: Pick<Request, 'sampler' | 'scheduler'>): { sampler?: Sampler; scheduler?: Scheduler } {
  const choice = request.sampler !== undefined ? parseSampler(request.sampler) : undefined;
  const scheduler = request.scheduler !== undefined ? parseScheduler(request.scheduler) : choice?.scheduler;
  return { sampler: choice?.sampler, scheduler };
}

/**
 * A knob the backend cannot honour: dropped with an `unsupported` warning, or with strict_knobs a
 * 422 naming it. `outcome` is said after the message in the warning ("; its default was used").
 */
export function dropKnob(request: Pick<Request, 'strictKnobs'>, warnings: Warning[], setting: string, message: string, outcome = ''): void {
  if (request.strictKnobs) throw new ImagegenError('unsupported', `${message} (strict_knobs is set)`, { param: setting });
  warnings.push({ type: 'unsupported', setting, message: message + outcome });
}

export function normalizeKnobs(request: Request, dialect: Dialect): Normalized {
  const warnings: Warning[] = [];
  const honours = (knob: Knob) => dialect.knobs.includes(knob);
  const drop = (setting: Knob, message: string) => dropKnob(request, warnings, setting, message);
  const change = (setting: Knob, message: string) => warnings.push({ type: 'changed', setting, message });
  const knobs: NativeKnobs = { seed: honours('seed') };

  // Names are checked even when the knob will be dropped: a typo is the caller's to fix.
  const { sampler, scheduler } = canonicalSampling(request);

  if (!knobs.seed && request.seed !== undefined) drop('seed', `${dialect.name} does not take a seed; the image cannot be reproduced`);

  if (request.negativePrompt !== undefined && request.negativePrompt !== '') {
    if (honours('negative_prompt')) knobs.negativePrompt = request.negativePrompt;
    else drop('negative_prompt', `${dialect.name} has no negative prompt; it was ignored`);
  }

  knobs.steps = ranged('steps', request.steps, dialect.steps);
  knobs.cfgScale = ranged('cfg_scale', request.cfgScale, dialect.cfgScale);
  if (request.image) knobs.strength = ranged('strength', request.strength, dialect.strength ?? { min: 0, max: 1 });
  else if (request.strength !== undefined) drop('strength', 'strength applies to an edit of an image; without one it was ignored');

  if (sampler !== undefined) {
    const native = honours('sampler') ? dialect.samplers?.[sampler] : undefined;
    if (native !== undefined) knobs.sampler = native;
    else drop('sampler', `${dialect.name} has no sampler ${sampler}${honours('sampler') ? `; it has ${Object.keys(dialect.samplers ?? {}).join(', ')}` : ''}`);
  }
  if (scheduler !== undefined && scheduler !== 'automatic') {
    const native = honours('scheduler') ? dialect.schedulers?.[scheduler] : undefined;
    if (native !== undefined) knobs.scheduler = native;
    else drop('scheduler', `${dialect.name} has no scheduler ${scheduler}${honours('scheduler') ? `; it has ${Object.keys(dialect.schedulers ?? {}).join(', ')}` : ''}`);
  }

  if (request.size !== undefined) {
    if (!honours('size')) drop('size', `${dialect.name} does not take a size`);
    else Object.assign(knobs, fitSize(request.size, dialect.size ?? {}, (message) => change('size', message)));
  }
  return { knobs, warnings };

  function ranged(setting: Knob, value: number | undefined, range: Range | undefined): number | undefined {
    if (value === undefined) return undefined;
    if (!honours(setting)) {
      drop(setting, `${dialect.name} does not take ${setting}; it was ignored`);
      return undefined;
    }
    if (!range) return value;
    const clamped = Math.min(range.max, Math.max(range.min, value));
    if (clamped !== value) change(setting, `${setting} ${value} clamped to ${clamped} (${dialect.name} takes ${range.min} to ${range.max})`);
    return clamped;
  }
}

/** The size (or aspect ratio) the backend will make, closest to the one asked for. */
export function fitSize(size: Size, rule: SizeRule, warn: (message: string) => void): { size?: Size; aspectRatio?: string } {
  const asked = `${size.width}x${size.height}`;
  if (rule.aspectRatios) {
    const ratio = nearestRatio(size, rule.aspectRatios);
    warn(`size ${asked} sent as aspect ratio ${ratio}; the backend picks the pixel size`);
    return { aspectRatio: ratio };
  }
  if (rule.allowed) {
    const best = nearestSize(size, rule.allowed);
    if (best.width !== size.width || best.height !== size.height) warn(`size ${asked} is not available; using the nearest, ${best.width}x${best.height}`);
    return { size: best };
  }
  let { width, height } = size;
  if (rule.aspect) {
    const aspect = width / height;
    if (aspect > rule.aspect.max) width = Math.round(height * rule.aspect.max);
    if (aspect < rule.aspect.min) height = Math.round(width / rule.aspect.min);
  }
  // Out-of-range sides scale the whole size, so the picture keeps its shape (a 4000x3000 photo
  // becomes 2048x1536, not 2048x2048); only the rounding below moves each side on its own.
  if (rule.max !== undefined && Math.max(width, height) > rule.max) {
    const scale = rule.max / Math.max(width, height);
    width *= scale;
    height *= scale;
  }
  if (rule.min !== undefined && Math.min(width, height) < rule.min) {
    const scale = rule.min / Math.min(width, height);
    width *= scale;
    height *= scale;
  }
  if (rule.maxPixels && width * height > rule.maxPixels) {
    const scale = Math.sqrt(rule.maxPixels / (width * height));
    width = Math.floor(width * scale);
    height = Math.floor(height * scale);
  }
  const step = rule.multipleOf ?? 1;
  const fit = (side: number) => {
    const rounded = Math.max(step, Math.round(side / step) * step);
    const low = rule.min !== undefined ? Math.ceil(rule.min / step) * step : step;
    const high = rule.max !== undefined ? Math.floor(rule.max / step) * step : Infinity;
    return Math.min(high, Math.max(low, rounded));
  };
  width = fit(width);
  height = fit(height);
  // Rounding up can cross maxPixels again; step down the longer side until it fits.
  while (rule.maxPixels && width * height > rule.maxPixels) {
    if (width >= height) width -= step;
    else height -= step;
  }
  if (width !== size.width || height !== size.height) {
    warn(`size ${asked} changed to ${width}x${height}${step > 1 ? ` (multiples of ${step}` : ' ('}${rule.max ? `, at most ${rule.max} a side` : ''}${rule.maxPixels ? `, at most ${rule.maxPixels} pixels` : ''})`);
  }
  return { size: { width, height } };
}

function nearestSize(size: Size, allowed: readonly Size[]): Size {
  const aspect = Math.log(size.width / size.height);
  const area = Math.log(size.width * size.height);
  return allowed.reduce((best, candidate) => {
    const score = (s: Size) => Math.abs(Math.log(s.width / s.height) - aspect) * 4 + Math.abs(Math.log(s.width * s.height) - area);
    return score(candidate) < score(best) ? candidate : best;
  });
}

function nearestRatio(size: Size, ratios: readonly string[]): string {
  const aspect = Math.log(size.width / size.height);
  const value = (ratio: string) => {
    const [w, h] = ratio.split(':').map(Number) as [number, number];
    return Math.abs(Math.log(w / h) - aspect);
  };
  return ratios.reduce((best, ratio) => (value(ratio) < value(best) ? ratio : best));
}
