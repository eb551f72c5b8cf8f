/** Settings of the SDAPI provider (A1111, Forge, SD.Next, sd.cpp's sd-server, llama-swap in front). */
import type { DecodeLimits } from '../../images/index.ts';
import type { SdapiFlavor } from '../../knobs/dialects/sdapi.ts';
import type { FetchFunction } from '../http.ts';

/**
 * What a model id means depends on the server: an A1111 checkpoint title or name (switched per
 * request through override_settings), a llama-swap model id (sent as `model`), or `default`: the
 * checkpoint the server has loaded (sd-server always serves the one model it was started with).
 */
export type SdapiModelId = 'default' | (string & {});

/** A1111's `inpainting_fill`: what fills the masked area before denoising. */
export const INPAINTING_FILL = { fill: 0, original: 1, latent_noise: 2, latent_nothing: 3 } as const;
export type InpaintingFill = keyof typeof INPAINTING_FILL;

/** A1111-only inpainting settings; sd.cpp has none of them (set ones are reported as dropped). */
export interface SdapiInpaintSettings {
  /** Default `original`: denoise from the picture under the mask, what most callers expect. */
  inpaintingFill?: InpaintingFill;
  /** "Only masked": inpaint a crop around the mask at full resolution, paste it back. Default false. */
  onlyMasked?: boolean;
  onlyMaskedPadding?: number;
  maskBlur?: number;
}

export interface SdapiProviderSettings {
  /** Provider name in results and messages (default "sdapi"). */
  name?: string;
  /** Default http://127.0.0.1:7860 (A1111); sd-server listens on :1234, llama-swap on :8080. */
  baseURL?: string;
  /** Which dialect the server speaks; `auto` (default) asks /sdapi/v1/samplers once. */
  flavor?: SdapiFlavor | 'auto';
  /** The server is llama-swap: every generation body carries `model`, discovery goes through /upstream/<model>/. */
  llamaSwap?: boolean;
  /** Sent as `Authorization: Bearer` (llama-swap apiKeys, a proxy); read when a call is made. */
  apiKey?: string | (() => string);
  /** `user:pass` for A1111's --api-auth (HTTP Basic); read when a call is made. */
  basicAuth?: string | (() => string);
  headers?: Record<string, string>;
  fetch?: FetchFunction;
  /** Per generation call (default 10 minutes: CPU and cold-start generations are slow). */
  timeoutMs?: number;
  /** Per discovery call (default 30 s). */
  discoveryTimeoutMs?: number;
  /** How long discovered samplers, schedulers and checkpoints are trusted (default 5 minutes). */
  discoveryTtlMs?: number;
  /** How often an A1111 task's own progress is read (default 1 s), and a cancelled one's start watched. */
  taskPollMs?: number;
  /** Use sd-server's native job API (/sdcpp/v1) where it has one (default true): cancels reach the GPU. */
  sdcppNative?: boolean;
  /** How often a native sd-server job is read (default 250 ms). */
  sdcppPollMs?: number;
  /** Most images per call (default and, for sd.cpp, at most 8). */
  maxImagesPerCall?: number;
  inpaint?: SdapiInpaintSettings;
  decodeLimits?: DecodeLimits;
}
