/** The `type: gemini` entry of the config file (snake_case) -> createGeminiProvider settings. */
import { z } from 'zod';
import { HTTP_PROVIDER_FIELDS, httpProviderSettings } from '../provider-config.ts';
import type { ProviderType } from '../registry.ts';
import { createGeminiProvider } from './gemini-provider.ts';

const GeminiConfig = z
  .object({
    type: z.literal('gemini'),
    ...HTTP_PROVIDER_FIELDS,
    concurrency: z.number().int().min(1).max(16).optional(),
  })
  .strict();

export const geminiProviderType: ProviderType<z.infer<typeof GeminiConfig>> = {
  settings: GeminiConfig,
  create: (settings, context) =>
    createGeminiProvider({
      ...httpProviderSettings(settings, context),
      concurrency: settings.concurrency,
    }),
};
