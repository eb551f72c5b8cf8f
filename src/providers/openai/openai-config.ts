/** The `type: openai` entry of the config file (snake_case) -> createOpenAIProvider settings. */
import { z } from 'zod';
import type { ProviderType } from '../registry.ts';
import { createOpenAIProvider } from './openai-provider.ts';

const OpenAIConfig = z
  .object({
    type: z.literal('openai'),
    /** An OpenAI-compatible gateway's /v1 URL; api.openai.com when absent. */
    base_url: z.url().optional(),
    api_key_env: z.string().min(1).optional(),
    timeout_ms: z.number().int().positive().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    extra_fields: z.record(z.string(), z.unknown()).optional(),
    sd_cpp_extra_args: z.boolean().optional(),
    concurrency: z.number().int().min(1).max(16).optional(),
  })
  .strict();

export const openaiProviderType: ProviderType<z.infer<typeof OpenAIConfig>> = {
  settings: OpenAIConfig,
  create: (settings, context) =>
    createOpenAIProvider({
      name: context.name,
      baseURL: settings.base_url,
      apiKeyEnv: settings.api_key_env,
      env: context.env,
      headers: settings.headers,
      fetch: context.fetch,
      timeoutMs: settings.timeout_ms,
      extraFields: settings.extra_fields,
      sdCppExtraArgs: settings.sd_cpp_extra_args,
      concurrency: settings.concurrency,
      decodeLimits: context.decodeLimits,
    }),
};
