/** The `type: gemini` entry of the config file (snake_case) -> createGeminiProvider settings. */
import { z } from 'zod';
import type { ProviderType } from '../registry.ts';
import { createGeminiProvider } from './gemini-provider.ts';

const GeminiConfig = z
  .object({
    type: z.literal('gemini'),
    base_url: z.url().optional(),
    api_key_env: z.string().min(1).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    timeout_ms: z.number().int().positive().optional(),
    concurrency: z.number().int().min(1).max(16).optional(),
  })
  .strict();

export const geminiProviderType: ProviderType<z.infer<typeof GeminiConfig>> = {
  settings: GeminiConfig,
  create: (settings, context) =>
    createGeminiProvider({
      name: context.name,
      baseURL: settings.base_url,
      apiKeyEnv: settings.api_key_env,
      env: context.env,
      headers: settings.headers,
      fetch: context.fetch,
      timeoutMs: settings.timeout_ms,
      concurrency: settings.concurrency,
      decodeLimits: context.decodeLimits,
    }),
};
