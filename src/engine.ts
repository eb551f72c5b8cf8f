/**
 * The composition root: config in, the wired stages out. The daemon and `kimaging --local` both
 * serve through one engine, so the CLI's local mode is the same code path as the HTTP one.
 */
import type { Config } from './config/index.ts';
import type { CallOptions, Request, Result } from './imagegen/index.ts';
import type { DecodeLimits } from './images/index.ts';
import { join } from 'node:path';
import { JobRunner } from './jobs/jobs.ts';
import { silentLogger, type Logger } from './obs/log.ts';
import { createMetrics, type Metrics } from './obs/metrics.ts';
import type { ProviderType } from './providers/registry.ts';
import { ResultCache } from './router/cache.ts';
import { createModelRegistry, type ModelRegistry } from './router/registry.ts';
import { createRouter, type CacheMode, type Router } from './router/router.ts';

/** Who asks and through which door: what the stages around the router need to know. */
export interface RequestContext extends CallOptions {
  route: 'generate' | 'edit' | 'compose' | 'upscale';
  requestId?: string;
  /** The caller's cache directive (`cache` on the wire). */
  cache?: CacheMode;
  /** Place in a backend's line while waiting (async jobs report it). */
  onQueue?: (position: number) => void;
}

export interface Engine {
  config: Config;
  decodeLimits: DecodeLimits;
  registry: ModelRegistry;
  router: Router;
  metrics: Metrics;
  logger: Logger;
  /** Background work with an id: async generate and edit, and any other long job. */
  jobs: JobRunner;
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
  /** Provider types beyond the built-in ones (simulated backends in tests and benches). */
  providerTypes?: Record<string, ProviderType<unknown>>;
  /** Where structured logs go; the daemon passes a stderr logger, everything else stays quiet. */
  logger?: Logger;
}

export async function createEngine(config: Config, options: EngineOptions = {}): Promise<Engine> {
  const decodeLimits: DecodeLimits = {
    maxBytes: Math.round(config.limits.max_input_mb * 1024 * 1024),
    maxPixels: config.limits.max_input_pixels,
  };
  const registry = createModelRegistry(config, {
    env: options.env ?? process.env,
    decodeLimits,
    fetch: options.fetch,
    providerTypes: options.providerTypes,
  });
  const metrics = createMetrics();
  const logger = options.logger ?? silentLogger;
  const cache = config.cache.enabled
    ? await ResultCache.open({
        dir: config.cache.max_mb > 0 ? join(config.server.data_dir, 'cache') : undefined,
        memoryEntries: config.cache.memory_entries,
        maxBytes: Math.round(config.cache.max_mb * 1024 * 1024),
      })
    : undefined;
  const router = createRouter({ registry, config, metrics, logger, cache });
  const jobs = new JobRunner({
    ttlMs: config.jobs.ttl_s * 1000,
    maxJobs: config.jobs.max_jobs,
    onFinish: (kind, status) => metrics.jobs.inc({ kind, status }),
  });
  return {
    config,
    decodeLimits,
    registry,
    router,
    metrics,
    logger,
    jobs,
    generate: (modelId, request, context) => router.generate(modelId, request, context),
    async close() {
      jobs.close();
      await router.close();
    },
  };
}
