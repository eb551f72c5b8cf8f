/**
 * A provider that fails on purpose, for refund tests: every call after the first `succeed`
 * answers 502 provider_error (one image per call, so n > succeed gives a partial result).
 * Handed to an engine as provider type `failing` (EngineOptions.providerTypes).
 */
import { z } from 'zod';
import { defineImageModel, ImagegenError, type Provider } from '../../src/imagegen/index.ts';
import { encodeRaw } from '../../src/images/index.ts';
import type { ProviderType } from '../../src/providers/registry.ts';

export const failingProviderType: ProviderType<unknown> = {
  settings: z.object({ type: z.literal('failing'), succeed: z.number().int().min(0).default(0) }).strict() as z.ZodType<unknown>,
  create: (raw, context): Provider => {
    const settings = raw as { succeed: number };
    let calls = 0;
    return {
      name: context.name,
      imageModel: (id) =>
        defineImageModel({
          id,
          provider: context.name,
          capabilities: ['txt2img'],
          knobs: ['size', 'n'],
          maxImagesPerCall: 1,
          async doGenerate(request) {
            calls++;
            if (calls > settings.succeed) throw new ImagegenError('provider_error', 'the fake backend failed', { status: 502, provider: context.name });
            const size = request.size ?? { width: 64, height: 64 };
            const data = Buffer.alloc(size.width * size.height * 3, 128);
            return { images: [{ bytes: await encodeRaw({ data, width: size.width, height: size.height, channels: 3 }), mimeType: 'image/png', ...size }] };
          },
        }),
    };
  },
};
