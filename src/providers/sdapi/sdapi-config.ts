/** The `type: sdapi` entry of the config file (snake_case) -> createSdapiProvider settings. */
import { z } from 'zod';
import { HTTP_PROVIDER_FIELDS } from '../provider-config.ts';
import type { ProviderType } from '../registry.ts';
import { apiKeyFrom } from '../http.ts';
import { INPAINTING_FILL, type InpaintingFill } from './sdapi-settings.ts';
import { createSdapiProvider } from './sdapi-provider.ts';

const SdapiConfig = z
  .object({
    type: z.literal('sdapi'),
    /** base_url, headers, timeout_ms; api_key_env is a bearer token (llama-swap apiKeys, a proxy). */
    ...HTTP_PROVIDER_FIELDS,
    /** a1111 (also Forge, SD.Next) or sdcpp; auto asks /sdapi/v1/samplers once. */
    flavor: z.enum(['auto', 'a1111', 'sdcpp']).optional(),
    /** The base URL is llama-swap: bodies carry `model`, discovery goes through /upstream/<model>/. */
    llama_swap: z.boolean().optional(),
    /** Environment variable with `user:pass` for A1111's --api-auth. */
    basic_auth_env: z.string().min(1).optional(),
    discovery_ttl_ms: z.number().int().min(0).optional(),
    /** How often an A1111 task's own progress is read, and a cancelled queued one's start watched. */
    task_poll_ms: z.number().int().min(10).optional(),
    /** sd-server's native job API (/sdcpp/v1) where it has one; false keeps /sdapi/v1. */
    sdcpp_native: z.boolean().optional(),
    /** How often a native sd-server job is polled. */
    sdcpp_poll_ms: z.number().int().min(10).optional(),
    max_images_per_call: z.number().int().min(1).max(64).optional(),
    inpainting_fill: z.enum(Object.keys(INPAINTING_FILL) as [InpaintingFill, ...InpaintingFill[]]).optional(),
    only_masked: z.boolean().optional(),
    only_masked_padding: z.number().int().min(0).optional(),
    mask_blur: z.number().int().min(0).optional(),
  })
  .strict();

export const sdapiProviderType: ProviderType<z.infer<typeof SdapiConfig>> = {
  settings: SdapiConfig,
  create: (s, context) =>
    createSdapiProvider({
      name: context.name,
      baseURL: s.base_url,
      flavor: s.flavor,
      llamaSwap: s.llama_swap,
      ...sdapiAuth(s, context.env, context.name),
      fetch: context.fetch,
      timeoutMs: s.timeout_ms,
      discoveryTtlMs: s.discovery_ttl_ms,
      taskPollMs: s.task_poll_ms,
      sdcppNative: s.sdcpp_native,
      sdcppPollMs: s.sdcpp_poll_ms,
      maxImagesPerCall: s.max_images_per_call,
      inpaint: {
        inpaintingFill: s.inpainting_fill,
        onlyMasked: s.only_masked,
        onlyMaskedPadding: s.only_masked_padding,
        maskBlur: s.mask_blur,
      },
      decodeLimits: context.decodeLimits,
    }),
};

export type SdapiConfig = z.infer<typeof SdapiConfig>;

/** The config entry's credentials as provider settings: read from the environment when a call needs them. */
export function sdapiAuth(s: SdapiConfig, env: NodeJS.ProcessEnv, name: string) {
  return {
    ...(s.api_key_env && { apiKey: () => apiKeyFrom(env, s.api_key_env, name) }),
    ...(s.basic_auth_env && { basicAuth: () => apiKeyFrom(env, s.basic_auth_env, name) }),
    headers: s.headers,
  };
}
