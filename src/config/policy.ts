/**
 * The policy part of the config: tenants, caps, quotas, prices and the safety filter. Kept apart
 * from schema.ts so the gateway's settings read as one block.
 */
import { z } from 'zod';

export const SAFETY_LEVELS = ['off', 'moderate', 'strict'] as const;
export type SafetyLevel = (typeof SAFETY_LEVELS)[number];

/** Per-request caps; a tenant's own caps override these field by field. */
export const CapsConfig = z
  .object({
    n: z.number().int().min(1).optional(),
    width: z.number().int().min(1).optional(),
    height: z.number().int().min(1).optional(),
    /** width * height of one image. */
    pixels: z.number().int().min(1).optional(),
    steps: z.number().int().min(1).optional(),
    prompt_chars: z.number().int().min(1).optional(),
    /** width * height of an upscaled output image. */
    upscale_pixels: z.number().int().min(1).optional(),
  })
  .strict();

export const QuotaConfig = z
  .object({
    images_per_day: z.number().int().min(0).optional(),
    megapixels_per_day: z.number().min(0).optional(),
    /** In the currency of `policy.prices`. */
    cost_per_day: z.number().min(0).optional(),
    images_per_minute: z.number().int().min(0).optional(),
  })
  .strict();

export const TenantConfig = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'tenant id: lowercase letters, digits, - and _'),
    name: z.string().optional(),
    /** The loosest safety level this tenant's requests get; a request may ask for stricter. */
    safety: z.enum(SAFETY_LEVELS).default('moderate'),
    /** Model ids this tenant may use; absent means all. */
    models: z.array(z.string().min(1)).optional(),
    caps: CapsConfig.default({}),
    quota: QuotaConfig.default({}),
    /** IANA time zone whose midnight resets the daily quotas (default UTC). */
    time_zone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'time_zone must be an IANA zone like Europe/Berlin')
      .default('UTC'),
    /** An admin tenant's keys see every tenant's usage. */
    admin: z.boolean().default(false),
  })
  .strict();

/** One row of the price table; the most specific matching row prices an image. */
export const PriceConfig = z
  .object({
    provider: z.string().min(1),
    model: z.string().min(1).optional(),
    size: z.string().regex(/^\d+x\d+$/).optional(),
    quality: z.string().min(1).optional(),
    per_image: z.number().min(0).default(0),
    per_megapixel: z.number().min(0).default(0),
  })
  .strict();

const Threshold = z.number().min(0).max(1);

export const SafetyConfig = z
  .object({
    /** The level a tenant gets when it names none, and the open-mode tenant's level. */
    default_level: z.enum(SAFETY_LEVELS).default('moderate'),
    image: z
      .object({
        enabled: z.boolean().default(true),
        /** nsfwjs class probabilities at or above which an image is withheld. */
        strict: z.object({ porn: Threshold.default(0.5), hentai: Threshold.default(0.5), sexy: Threshold.default(0.6) }).strict().default({ porn: 0.5, hentai: 0.5, sexy: 0.6 }),
        moderate: z.object({ porn: Threshold.default(0.8), hentai: Threshold.default(0.8) }).strict().default({ porn: 0.8, hentai: 0.8 }),
        /** How long a request waits for the classifier still loading at start. */
        load_wait_ms: z.number().int().min(0).default(30000),
      })
      .strict()
      .default({ enabled: true, strict: { porn: 0.5, hentai: 0.5, sexy: 0.6 }, moderate: { porn: 0.8, hentai: 0.8 }, load_wait_ms: 30000 }),
    /** An OpenAI-compatible /v1/moderations endpoint, asked about every prompt when set. */
    moderation: z
      .object({
        url: z.string().url(),
        model: z.string().default('omni-moderation-latest'),
        /** Environment variable holding the bearer key (never the key itself in the file). */
        api_key_env: z.string().optional(),
        timeout_ms: z.number().int().min(1).default(5000),
      })
      .strict()
      .optional(),
  })
  .strict();

export const PolicyConfig = z
  .object({
    caps: CapsConfig.default({}),
    /** Defaults for every tenant's quota; a tenant's own values override. */
    quota: QuotaConfig.default({}),
    prices: z.array(PriceConfig).default([]),
    safety: SafetyConfig.default(SafetyConfig.parse({})),
  })
  .strict();

export type CapsConfig = z.infer<typeof CapsConfig>;
export type QuotaConfig = z.infer<typeof QuotaConfig>;
export type TenantConfig = z.infer<typeof TenantConfig>;
export type PriceConfig = z.infer<typeof PriceConfig>;
export type SafetyConfig = z.infer<typeof SafetyConfig>;
export type PolicyConfig = z.infer<typeof PolicyConfig>;
