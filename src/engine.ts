/**
 * The composition root: config in, the wired stages out. The daemon and `kimaging --local` both
 * serve through one engine, so the CLI's local mode is the same code path as the HTTP one.
 */
import type { Config } from './config/index.ts';
import type { DecodeLimits } from './images/index.ts';
import { createModelRegistry, type ModelRegistry } from './router/registry.ts';
import { createRouter, type Router } from './router/router.ts';

export interface Engine {
  config: Config;
  decodeLimits: DecodeLimits;
  registry: ModelRegistry;
  router: Router;
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
  return {
    config,
    decodeLimits,
    registry,
    router: createRouter(registry),
    async close() {},
  };
}
