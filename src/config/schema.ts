/**
 * The config file's shape (YAML or JSON, snake_case like the wire). Every field has a default, so
 * an empty file, or none, starts the daemon on the stub backend with ./data.
 */
import { z } from 'zod';
import { UPSCALE_METHODS } from '../upscale/methods.ts';

const KnobDefaults = z
  .object({
    size: z.string().regex(/^\d+x\d+$/, 'size must look like WIDTHxHEIGHT').optional(),
    steps: z.number().int().positive().optional(),
    cfg_scale: z.number().nonnegative().optional(),
    sampler: z.string().optional(),
    scheduler: z.string().optional(),
    negative_prompt: z.string().optional(),
    strength: z.number().min(0).max(1).optional(),
  })
  .strict();

export const ModelConfig = z
  .object({
    /** The id callers name. */
    id: z.string().min(1),
    /** A key of `providers`. */
    provider: z.string().min(1),
    /** The backend's own model id, when it differs from `id`. */
    model: z.string().min(1).optional(),
    /** Knob values used when a request leaves them unset. */
    defaults: KnobDefaults.optional(),
    description: z.string().optional(),
  })
  .strict();

/** Provider settings are checked by the provider type's own schema (providers/registry.ts). */
export const ProviderConfig = z.looseObject({ type: z.string().min(1) });

export const ServerConfig = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8700),
    data_dir: z.string().min(1).default('./data'),
    /** Largest request body, in MB. */
    body_limit_mb: z.number().positive().default(20),
  })
  .strict();

export const LimitsConfig = z
  .object({
    max_n: z.number().int().min(1).max(100).default(10),
    min_side: z.number().int().min(1).default(64),
    max_side: z.number().int().min(1).default(4096),
    max_prompt_chars: z.number().int().min(1).default(32000),
    /** Decode guard for caller images: pixels and bytes. */
    max_input_pixels: z.number().int().min(1).default(4096 * 4096),
    max_input_mb: z.number().positive().default(20),
  })
  .strict();

export const UpscaleConfig = z
  .object({
    /** The method used when a request names none. */
    default_method: z.enum(UPSCALE_METHODS).default('esrgan'),
    /** ESRGAN worker threads; each runs one job at a time. */
    workers: z.number().int().min(1).max(64).default(1),
    /** Jobs that may wait for a worker; beyond this, 429 overloaded. */
    max_queue: z.number().int().min(0).default(16),
    /** Largest output image, width * height (413 beyond it). */
    max_output_pixels: z.number().int().min(1).default(4096 * 4096),
    /** ESRGAN tile side and the context (overlap) around each tile, in input pixels. */
    tile_size: z.number().int().min(16).max(4096).default(128),
    tile_overlap: z.number().int().min(0).max(64).default(12),
    /** The `provider` method: a key of `providers` with a `base_url` (an SDAPI server) and an upscaler name it lists. */
    provider: z
      .object({
        provider: z.string().min(1),
        upscaler: z.string().min(1),
        timeout_ms: z.number().int().positive().default(300_000),
      })
      .strict()
      .optional(),
  })
  .strict();

export const Config = z
  .object({
    server: ServerConfig.default(ServerConfig.parse({})),
    limits: LimitsConfig.default(LimitsConfig.parse({})),
    upscale: UpscaleConfig.default(UpscaleConfig.parse({})),
    providers: z.record(z.string(), ProviderConfig).default({}),
    models: z.array(ModelConfig).default([]),
    /** The model used when a request names none. */
    default_model: z.string().optional(),
  })
  .strict();

export type Config = z.infer<typeof Config>;
export type ModelConfig = z.infer<typeof ModelConfig>;
export type ProviderConfig = z.infer<typeof ProviderConfig>;
export type LimitsConfig = z.infer<typeof LimitsConfig>;
export type UpscaleConfig = z.infer<typeof UpscaleConfig>;
