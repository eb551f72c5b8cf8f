/** The `type: openai` entry of the config file (snake_case) -> createOpenAIProvider settings. */
import { z } from 'zod';
import { HTTP_PROVIDER_FIELDS, httpProviderSettings } from '../provider-config.ts';
import type { ProviderType } from '../registry.ts';
import { PARTIAL_IMAGES_MAX } from './openai-image-model.ts';
import { createOpenAIProvider } from './openai-provider.ts';

const OpenAIConfig = z
  .object({
    type: z.literal('openai'),
    ...HTTP_PROVIDER_FIELDS,
    extra_fields: z.record(z.string(), z.unknown()).optional(),
    sd_cpp_extra_args: z.boolean().optional(),
    concurrency: z.number().int().min(1).max(16).optional(),
    partial_images: z.number().int().min(0).max(PARTIAL_IMAGES_MAX).optional(),
  })
  .strict();

export const openaiProviderType: ProviderType<z.infer<typeof OpenAIConfig>> = {
  settings: OpenAIConfig,
  create: (settings, context) =>
    createOpenAIProvider({
      ...httpProviderSettings(settings, context),
      extraFields: settings.extra_fields,
      sdCppExtraArgs: settings.sd_cpp_extra_args,
      concurrency: settings.concurrency,
      partialImages: settings.partial_images,
    }),
};
