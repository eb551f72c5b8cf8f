/**
 * What every HTTP provider takes in the config file (snake_case), and how it reaches the
 * provider's factory (the AI SDK's settings names), so the five backends spell it one way.
 */
import { z } from 'zod';
import type { ProviderContext } from './registry.ts';

export const HTTP_PROVIDER_FIELDS = {
  // Credentials in a URL end up in error messages and logs; they have fields of their own.
  base_url: z
    .url()
    .refine((url) => !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url), 'base_url must not carry credentials (user:pass@); use api_key_env or basic_auth_env')
    .optional(),
  /** The environment variable holding the API key, read when a call needs it. */
  api_key_env: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  timeout_ms: z.number().int().positive().optional(),
};

type HttpProviderFields = { [K in keyof typeof HTTP_PROVIDER_FIELDS]?: z.infer<(typeof HTTP_PROVIDER_FIELDS)[K]> };

export function httpProviderSettings(settings: HttpProviderFields, context: ProviderContext) {
  return {
    name: context.name,
    baseURL: settings.base_url,
    apiKeyEnv: settings.api_key_env,
    env: context.env,
    headers: settings.headers,
    fetch: context.fetch,
    timeoutMs: settings.timeout_ms,
    decodeLimits: context.decodeLimits,
  };
}
