/**
 * The composition root: config in, the wired stages out. The daemon and `kimaging --local` both
 * serve through one engine, so the CLI's local mode is the same code path as the HTTP one.
 */
import type { Config } from './config/index.ts';
import type { CallOptions, Request, Result } from './imagegen/index.ts';
import type { DecodeLimits } from './images/index.ts';
import { createModelRegistry, type ModelRegistry } from './router/registry.ts';
import { createRouter, type Router } from './router/router.ts';
import { createUpscaler, type Upscaler } from './upscale/index.ts';
import { upscaleSettingsFrom } from './upscale/settings.ts';

/** Who asks and through which door: what the stages around the router need to know. */
export interface RequestContext extends CallOptions {
  route: 'generate' | 'edit' | 'compose' | 'upscale';
  requestId?: string;
}

export interface Engine {
  config: Config;
  decodeLimits: DecodeLimits;
  registry: ModelRegistry;
  router: Router;
  /** Super-resolution and Lanczos (POST /v1/upscale, kimaging upscale); its own worker pool. */
  upscaler: Upscaler;
  /**
   * The one path every image request takes (HTTP routes, compose layers, the CLI's --local):
   * policy before and after, the router in between. See DESIGN.md, "How a request flows".
   */
  generate(modelId: string | undefined, request: Request, context: RequestContext): Promise<Result & { cached?: boolean }>;
  close(): Promise<void>;
}

export interface EngineOptions {
  env?: NodeJS.ProcessEnv;
  /** Replaces the global fetch for every provider (tests point it at fakes). */
  fetch?: typeof globalThis.fetch;
}

export async function createEngine(config: Config, options: EngineOptions = {}): Promise<Engine> {
  const decodeLimits: DecodeLimits = {
    maxBytes: Math.round(config.limits.max_input_mb * 1024 * 1024),
    maxPixels: config.limits.max_input_pixels,
  };
  const registry = createModelRegistry(config, { env: options.env ?? process.env, decodeLimits, fetch: options.fetch });
  const router = createRouter(registry);
  const upscaler = createUpscaler(upscaleSettingsFrom(config), { decodeLimits, fetch: options.fetch });
  return {
    config,
    decodeLimits,
    registry,
    router,
    upscaler,
    generate: (modelId, request, context) => router.generate(modelId, request, context),
    async close() {
      await upscaler.close();
    },
  };
}
