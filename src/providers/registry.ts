/**
 * Provider types the config can name, as a table: each has a schema for its settings (snake_case,
 * as written in the config file) and a factory. Adding a backend is adding a row.
 */
import { z } from 'zod';
import type { Provider } from '../imagegen/index.ts';
import type { DecodeLimits } from '../images/index.ts';
import { createStubProvider } from './stub/index.ts';
import { createGeminiProvider } from './gemini/index.ts';
import { createOpenAIProvider } from './openai/index.ts';
import { createReplicateProvider } from './replicate/index.ts';

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
  openai: defineType({
    settings: z
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
      .strict(),
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
  }),
  replicate: defineType({
    settings: z
      .object({
        type: z.literal('replicate'),
        base_url: z.url().optional(),
        api_key_env: z.string().min(1).optional(),
        timeout_ms: z.number().int().positive().optional(),
        wait_seconds: z.number().int().min(1).max(60).optional(),
        poll_interval_ms: z.number().int().min(10).optional(),
        /** Hosts outputs may be downloaded from; `*.example` for subdomains, `http://host:port` for an exact origin. */
        output_hosts: z.array(z.string().min(1)).min(1).optional(),
        max_output_mb: z.number().positive().optional(),
        outputs_per_prediction: z.number().int().min(1).max(4).optional(),
        concurrency: z.number().int().min(1).max(16).optional(),
        model_schemas: z.record(z.string(), z.enum(['sdxl', 'flux'])).optional(),
      })
      .strict(),
    create: (settings, context) =>
      createReplicateProvider({
        name: context.name,
        baseURL: settings.base_url,
        apiKeyEnv: settings.api_key_env,
        env: context.env,
        fetch: context.fetch,
        timeoutMs: settings.timeout_ms,
        waitSeconds: settings.wait_seconds,
        pollIntervalMs: settings.poll_interval_ms,
        outputHosts: settings.output_hosts,
        maxOutputBytes: settings.max_output_mb !== undefined ? Math.round(settings.max_output_mb * 1024 * 1024) : undefined,
        outputsPerPrediction: settings.outputs_per_prediction,
        concurrency: settings.concurrency,
        modelSchemas: settings.model_schemas,
        decodeLimits: context.decodeLimits,
      }),
  }),
  gemini: defineType({
    settings: z
      .object({
        type: z.literal('gemini'),
        base_url: z.url().optional(),
        api_key_env: z.string().min(1).optional(),
        timeout_ms: z.number().int().positive().optional(),
        concurrency: z.number().int().min(1).max(16).optional(),
      })
      .strict(),
    create: (settings, context) =>
      createGeminiProvider({
        name: context.name,
        baseURL: settings.base_url,
        apiKeyEnv: settings.api_key_env,
        env: context.env,
        fetch: context.fetch,
        timeoutMs: settings.timeout_ms,
        concurrency: settings.concurrency,
        decodeLimits: context.decodeLimits,
      }),
  }),
};
