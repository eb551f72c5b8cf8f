/**
 * Provider types the config can name, as a table: each has a schema for its settings (snake_case,
 * as written in the config file) and a factory. Adding a backend is adding a row.
 */
import { z } from 'zod';
import type { Provider } from '../imagegen/index.ts';
import type { DecodeLimits } from '../images/index.ts';
import { ConfigError } from '../config/index.ts';
import { createComfyUIProvider, readWorkflowFile, type ComfyUIWorkflowSet } from './comfyui/index.ts';
import { createStubProvider } from './stub/index.ts';

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
  comfyui: defineType({
    settings: z
      .object({
        type: z.literal('comfyui'),
        base_url: z.url().optional(),
        api_key_env: z.string().min(1).optional(),
        headers: z.record(z.string(), z.string()).optional(),
        timeout_ms: z.number().int().positive().optional(),
        request_timeout_ms: z.number().int().positive().optional(),
        poll_interval_ms: z.number().int().positive().optional(),
        discovery_ttl_ms: z.number().int().min(0).optional(),
        /** Model id -> workflow files (API format JSON) per mode. */
        workflows: z
          .record(z.string(), z.object({ txt2img: z.string().optional(), img2img: z.string().optional(), inpaint: z.string().optional(), checkpoint: z.string().optional() }).strict())
          .optional(),
      })
      .strict(),
    create: (settings, context) => {
      try {
        const workflows: Record<string, ComfyUIWorkflowSet> = {};
        for (const [id, files] of Object.entries(settings.workflows ?? {})) {
          const read = (path: string | undefined) => (path === undefined ? undefined : readWorkflowFile(path));
          workflows[id] = { txt2img: read(files.txt2img), img2img: read(files.img2img), inpaint: read(files.inpaint), checkpoint: files.checkpoint };
        }
        return createComfyUIProvider({
          name: context.name,
          baseURL: settings.base_url,
          apiKeyEnv: settings.api_key_env,
          env: context.env,
          headers: settings.headers,
          fetch: context.fetch,
          timeoutMs: settings.timeout_ms,
          requestTimeoutMs: settings.request_timeout_ms,
          pollIntervalMs: settings.poll_interval_ms,
          discoveryTtlMs: settings.discovery_ttl_ms,
          workflows,
          decodeLimits: context.decodeLimits,
        });
      } catch (error) {
        throw new ConfigError(`providers.${context.name}.workflows: ${(error as Error).message}`);
      }
    },
  }),
};
