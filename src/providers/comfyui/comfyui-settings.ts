/** Settings of the ComfyUI provider and the values it sends where a request leaves a knob unset. */
import type { Size } from '../../imagegen/index.ts';
import type { DecodeLimits } from '../../images/index.ts';
import type { FetchFunction } from '../http.ts';

/**
 * With the built-in graphs a model id is a checkpoint file name (as /object_info/
 * CheckpointLoaderSimple lists it); with `workflows` it is any name the workflows are keyed by.
 */
export type ComfyUIModelId = 'sd_xl_base_1.0.safetensors' | 'sd_xl_turbo_1.0_fp16.safetensors' | (string & {});

/** A model served by the user's own workflows (API format, parsed JSON), one per mode. */
export interface ComfyUIWorkflowSet {
  txt2img?: unknown;
  img2img?: unknown;
  inpaint?: unknown;
  /** Fills {{checkpoint}}; the model id when unset. */
  checkpoint?: string;
}

/** KSampler has no "backend default" for these: every input must be sent, so we choose. */
export interface ComfyUIDefaults {
  size: Size;
  steps: number;
  cfgScale: number;
  sampler: string;
  scheduler: string;
  /** Denoise for img2img: 1.0 (KSampler's own default) would ignore the init image. */
  img2imgStrength: number;
  /** Denoise for inpainting: the masked area is repainted; the noise mask keeps the rest. */
  inpaintStrength: number;
}

export const COMFYUI_DEFAULTS: ComfyUIDefaults = {
  size: { width: 1024, height: 1024 },
  steps: 20,
  cfgScale: 7,
  sampler: 'euler',
  scheduler: 'normal',
  img2imgStrength: 0.75,
  inpaintStrength: 1,
};

export interface ComfyUIProviderSettings {
  /** Provider name in results (default "comfyui"). */
  name?: string;
  /** Default http://127.0.0.1:8188. Routes are also served under /api; either works. */
  baseURL?: string;
  /** ComfyUI has no auth of its own; a proxy in front may want a bearer token. */
  apiKey?: string;
  /** Read when a call is made, from `env` (default process.env). */
  apiKeyEnv?: string;
  env?: NodeJS.ProcessEnv;
  headers?: Record<string, string>;
  fetch?: FetchFunction;
  /** Whole generation, queue wait included (default 10 minutes). */
  timeoutMs?: number;
  /** Each HTTP call (default 60 s). */
  requestTimeoutMs?: number;
  /** History polling when the websocket is unavailable (default 1000 ms). */
  pollIntervalMs?: number;
  /** How long sampler, scheduler and checkpoint lists are cached (default 5 minutes). */
  discoveryTtlMs?: number;
  workflows?: Record<string, ComfyUIWorkflowSet>;
  defaults?: Partial<ComfyUIDefaults>;
  decodeLimits?: DecodeLimits;
}
