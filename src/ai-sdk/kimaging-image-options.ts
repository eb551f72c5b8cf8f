/**
 * `providerOptions.kimaging`: our knobs that the AI SDK's generateImage has no argument for.
 * Names are the daemon's wire names (snake_case), so they read the same as in the HTTP docs.
 */
import { z } from 'zod';

export const kimagingImageOptions = z
  .object({
    negative_prompt: z.string().optional(),
    steps: z.number().int().min(1).max(1000).optional(),
    cfg_scale: z.number().min(0).max(100).optional(),
    sampler: z.string().min(1).optional(),
    scheduler: z.string().min(1).optional(),
    /** img2img denoising strength for edits, 0 (keep the image) .. 1 (ignore it). */
    strength: z.number().min(0).max(1).optional(),
    output_format: z.enum(['png', 'webp', 'jpeg']).optional(),
    strict_knobs: z.boolean().optional(),
    safety: z.enum(['off', 'moderate', 'strict']).optional(),
    cache: z.enum(['no-store', 'no-cache']).optional(),
  })
  .strict();

export type KoderImagingImageOptions = z.infer<typeof kimagingImageOptions>;
