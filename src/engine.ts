/**
 * The composition root: config in, the wired stages out. The daemon and `kimaging --local` both
 * serve through one engine, so the CLI's local mode is the same code path as the HTTP one.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, SafetyLevel } from './config/index.ts';
import { ImagegenError, type CallOptions, type Request, type Result } from './imagegen/index.ts';
import type { DecodeLimits } from './images/index.ts';
import { JobRunner, localJobs, type Jobs } from './jobs/jobs.ts';
import { openPostgresJobs } from './jobs/postgres-jobs.ts';
import { silentLogger, type Logger } from './obs/log.ts';
import type { Timings } from './obs/timing.ts';
import { createMetrics, type Metrics } from './obs/metrics.ts';
import { createPolicy, type Policy, type PolicyOptions, type Principal } from './policy/index.ts';
import type { ProviderType } from './providers/registry.ts';
import { ResultCache } from './router/cache.ts';
import { createModelRegistry, type ModelRegistry } from './router/registry.ts';
import { createRouter, type CacheMode, type Router } from './router/router.ts';
import { settle, ZERO, type Reservation } from './policy/quota.ts';
import { Fleet } from './scale/fleet-queue.ts';
import { openRedis, type SharedRedis } from './scale/redis.ts';
import { FleetFlights, RedisCacheTier } from './scale/shared-cache.ts';
import { openStore, postgresUrl, type Store } from './store/index.ts';
import { createUpscaler, type Upscaler } from './upscale/index.ts';
import { upscaleSettingsFrom } from './upscale/settings.ts';

/** How often a request waiting for a fleet-wide slot looks again without an announcement. */
const FLEET_POLL_MS = 250;

/** Who asks and through which door: what the stages around the router need to know. */
export interface RequestContext extends CallOptions {
  route: 'generate' | 'edit' | 'compose' | 'upscale';
  requestId?: string;
  /** The tenant and key (from the auth middleware); absent is the open tenant, when there is one. */
  principal?: Principal;
  /** A safety level the request asks for; only a stricter one than the tenant's applies. */
  safety?: SafetyLevel;
  /** The caller's cache directive (`cache` on the wire). */
  cache?: CacheMode;
  /** Place in a backend's line while waiting (async jobs report it). */
  onQueue?: (position: number) => void;
  /** The quota reservation, once taken (async jobs keep it for a refund should their replica die). */
  onReserved?: (reservation: unknown) => Promise<void>;
  /** Filled with where the time went (Server-Timing on the answer). */
  timings?: Timings;
}

export interface Engine {
  config: Config;
  decodeLimits: DecodeLimits;
  registry: ModelRegistry;
  router: Router;
  policy: Policy;
  store: Store;
  /** The Redis replicas share, when `redis:` is configured. */
  redis?: SharedRedis;
  metrics: Metrics;
  logger: Logger;
  /** Background work with an id: async generate and edit, and any other long job. */
  jobs: Jobs;
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
  /** Replaces the nsfwjs image classifier (tests of the decision logic). */
  classifier?: PolicyOptions['classifier'];
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
  // Redis first: a missing URL variable then fails before anything is opened that would leak.
  const redis = openRedis(config, options.env ?? process.env);
  // Replicas sharing Redis share each backend's slots, so `concurrency` holds for the fleet.
  const fleet = redis && new Fleet({ client: redis.client, prefix: redis.prefix, leaseMs: config.redis!.slot_lease_s * 1000, pollMs: FLEET_POLL_MS });
  // ... and a cache tier, which also lets identical requests on several replicas make one call.
  const sharedCache =
    redis && config.redis!.cache_mb > 0
      ? new RedisCacheTier({ client: redis.client, prefix: redis.prefix, maxBytes: Math.round(config.redis!.cache_mb * 1024 * 1024), ttlMs: config.redis!.cache_ttl_s * 1000 })
      : undefined;
  const cache = config.cache.enabled
    ? await ResultCache.open({
        dir: config.cache.max_mb > 0 ? join(config.server.data_dir, 'cache') : undefined,
        memoryEntries: config.cache.memory_entries,
        maxBytes: Math.round(config.cache.max_mb * 1024 * 1024),
        remote: sharedCache,
      })
    : undefined;
  const router = createRouter({
    registry,
    config,
    metrics,
    logger,
    cache,
    ...(fleet && { queueFor: (settings) => fleet.queue(settings) }),
    ...(sharedCache && redis && { fleetFlights: new FleetFlights({ client: redis.client, prefix: redis.prefix, leaseMs: config.redis!.slot_lease_s * 1000, pollMs: FLEET_POLL_MS }) }),
  });
  const runner = new JobRunner({
    ttlMs: config.jobs.ttl_s * 1000,
    maxJobs: config.jobs.max_jobs,
    onFinish: (kind, status) => metrics.jobs.inc({ kind, status }),
    onUnexpected: (kind, error) => logger.error('job failed unexpectedly', { kind, error: String((error as Error)?.stack ?? error) }),
  });
  mkdirSync(config.server.data_dir, { recursive: true });
  const env = options.env ?? process.env;
  const store = await openStore(config, env);
  // With PostgreSQL the jobs are rows every replica reads; embedded, they live in this process.
  const jobs: Jobs =
    config.store.type === 'postgres'
      ? await openPostgresJobs({
          url: postgresUrl(config, env),
          schema: config.store.schema,
          runner,
          leaseMs: config.jobs.lease_s * 1000,
          ttlMs: config.jobs.ttl_s * 1000,
          refund: (reservation) => settle(store, reservation as Reservation, ZERO),
          onError: (what, error) => logger.warn('shared jobs: a database step failed', { what, error: String((error as Error)?.message ?? error) }),
        })
      : localJobs(runner);
  const policy = createPolicy(config, store, { env: options.env, fetch: options.fetch, classifier: options.classifier });
  const upscaler = createUpscaler(upscaleSettingsFrom(config, options.env ?? process.env), { decodeLimits, fetch: options.fetch });

  /** Refusals by the policy, counted for /metrics, then passed on. */
  async function counted<T>(stage: 'prompt' | 'image', step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (ImagegenError.is(error, 'quota_exceeded') || ImagegenError.is(error, 'rate_limited')) metrics.quotaRejections.inc({ reason: error.code });
      if (ImagegenError.is(error, 'content_blocked')) metrics.safetyRejections.inc({ stage });
      throw error;
    }
  }

  return {
    config,
    decodeLimits,
    registry,
    router,
    policy,
    store,
    redis,
    metrics,
    logger,
    jobs,
    upscaler,
    async generate(modelId, request, context) {
      // An unknown model is a 404 before any policy work (moderation, a reservation, a record).
      const head = registry.resolve(modelId);
      const admitted = performance.now();
      const admission = await counted('prompt', () => policy.admit({
        model: modelId ?? registry.defaultModel,
        provider: head.info.provider,
        pricedModel: head.info.id,
        defaultSize: head.defaults.size,
        request,
        principal: context.principal,
        safety: context.safety,
        route: context.route,
        requestId: context.requestId,
        signal: context.signal,
        onReserved: context.onReserved,
      }));
      if (context.timings) context.timings.policy += performance.now() - admitted;
      let result: Result & { cached?: boolean };
      try {
        result = await router.generate(modelId, request, { ...context, tenant: context.principal?.tenant.id });
      } catch (error) {
        await admission.fail(error);
        throw error;
      }
      const completed = performance.now();
      const delivered = await counted('image', () => admission.complete(result));
      if (context.timings) context.timings.policy += performance.now() - completed;
      const withheld = delivered.warnings.filter((w) => w.setting === 'safety' && w.type === 'partial').length;
      if (withheld > 0) metrics.safetyRejections.inc({ stage: 'image' }, withheld);
      return delivered;
    },
    async close() {
      // Jobs first: their cancellations refund quota and write records, so the store must outlive them.
      await jobs.close();
      await upscaler.close();
      await router.close();
      await store.close();
      await fleet?.close();
      await redis?.close();
    },
  };
}
