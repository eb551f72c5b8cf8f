/**
 * Provider types the config can name, as a table: each has a schema for its settings (snake_case,
 * as written in the config file) and a factory. Adding a backend is adding a row.
 */
import { z } from 'zod';
import type { Provider } from '../imagegen/index.ts';
import type { DecodeLimits } from '../images/index.ts';
import { sdapiProviderType } from './sdapi/index.ts';
import { comfyuiProviderType } from './comfyui/comfyui-config.ts';
import { createStubProvider } from './stub/index.ts';
import { geminiProviderType } from './gemini/index.ts';
import { openaiProviderType } from './openai/index.ts';
import { replicateProviderType } from './replicate/index.ts';

export interface ProviderContext {
  /** The provider's key in the config. */
  name: string;
  env: NodeJS.ProcessEnv;
  decodeLimits: DecodeLimits;
  /** Injected in tests; the global fetch otherwise. */
  fetch?: typeof globalThis.fetch;
}

export interface ProviderType<S> {
  settings: z.ZodType<S>;
  create(settings: S, context: ProviderContext): Provider;
}

const defineType = <S>(type: ProviderType<S>): ProviderType<unknown> => type as ProviderType<unknown>;

export const PROVIDER_TYPES: Record<string, ProviderType<unknown>> = {
  stub: defineType({
    settings: z
      .object({
        type: z.literal('stub'),
        models: z.array(z.string().min(1)).min(1).optional(),
        grid: z.number().int().min(1).max(64).optional(),
        latency_ms: z.number().int().min(0).optional(),
      })
      .strict(),
    create: (settings, context) =>
      createStubProvider({
        name: context.name,
        models: settings.models,
        grid: settings.grid,
        latencyMs: settings.latency_ms,
        decodeLimits: context.decodeLimits,
      }),
  }),
  sdapi: defineType(sdapiProviderType),
  comfyui: defineType(comfyuiProviderType),
  openai: defineType(openaiProviderType),
  replicate: defineType(replicateProviderType),
  gemini: defineType(geminiProviderType),
};
