/**
 * The config file's shape (YAML or JSON, snake_case like the wire). Every field has a default, so
 * an empty file, or none, starts the daemon on the stub backend with ./data.
 */
import { z } from 'zod';
import { CustomTemplateSchema } from '../compose/custom.ts';
import { BUILT_IN_TEMPLATES } from '../compose/templates/index.ts';
import { PolicyConfig, TenantConfig } from './policy.ts';
import { ESRGAN_ENGINE_CHOICES, UPSCALE_METHODS } from '../upscale/methods.ts';

const KnobDefaults = z
  .object({
    size: z.string().regex(/^\d+x\d+$/, 'size must look like WIDTHxHEIGHT').optional(),
    steps: z.number().int().positive().optional(),
    cfg_scale: z.number().nonnegative().optional(),
    sampler: z.string().optional(),
    scheduler: z.string().optional(),
    negative_prompt: z.string().optional(),
    strength: z.number().min(0).max(1).optional(),
  })
  .strict();

export const ModelConfig = z
  .object({
    /** The id callers name. */
    id: z.string().min(1),
    /** A key of `providers`. */
    provider: z.string().min(1),
    /** The backend's own model id, when it differs from `id`. */
    model: z.string().min(1).optional(),
    /** Knob values used when a request leaves them unset. */
    defaults: KnobDefaults.optional(),
    description: z.string().optional(),
  })
  .strict();

/** Provider settings are checked by the provider type's own schema (providers/registry.ts). */
export const ProviderConfig = z.looseObject({ type: z.string().min(1) });

export const ServerConfig = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8700),
    data_dir: z.string().min(1).default('./data'),
    /** Largest request body, in MB. */
    body_limit_mb: z.number().positive().default(20),
    /**
     * With tenants configured, GET /metrics needs an admin key (its labels name tenants and
     * models); true opens it to a scraper that cannot send one. Open mode never needs a key.
     */
    public_metrics: z.boolean().default(false),
  })
  .strict();

export const LimitsConfig = z
  .object({
    max_n: z.number().int().min(1).max(100).default(10),
    min_side: z.number().int().min(1).default(64),
    max_side: z.number().int().min(1).default(4096),
    max_prompt_chars: z.number().int().min(1).default(32000),
    /** Decode guard for caller images: pixels and bytes. */
    max_input_pixels: z.number().int().min(1).default(4096 * 4096),
    max_input_mb: z.number().positive().default(20),
  })
  .strict();

export const ComposeConfig = z
  .object({
    /** Memory cache for rendered cards, in MB. */
    cache_mb: z.number().min(0).default(64),
    /** Also keep rendered cards in <data_dir>/compose-cache, across restarts. */
    disk_cache: z.boolean().default(true),
    /** Budget of that folder, in MB; the oldest cards are removed first. */
    disk_cache_mb: z.number().min(1).default(512),
    /**
     * Serve GET /v1/compose/{template} without an API key, so an og:image URL works for crawlers.
     * Text and inline images only: a generate layer still needs a key (no anonymous generation).
     */
    public_cards: z.boolean().default(false),
    /**
     * Who draws cards: Takumi (native, about 3x faster; the default) or satori + resvg. Both draw
     * the same trees; satori is kept for a custom template whose CSS Takumi draws differently.
     */
    renderer: z.enum(['takumi', 'satori']).default('takumi'),
    /** Custom templates by id: size, fields and a JSON element tree with {{field}} placeholders. */
    templates: z
      .record(z.string(), CustomTemplateSchema)
      .superRefine((templates, ctx) => {
        for (const id of Object.keys(templates)) {
          if (!/^[a-z][a-z0-9-]{0,39}$/.test(id)) ctx.addIssue({ code: 'custom', path: [id], message: 'template ids are lower-case words joined by dashes' });
          if (BUILT_IN_TEMPLATES.some((t) => t.id === id)) ctx.addIssue({ code: 'custom', path: [id], message: 'a custom template cannot reuse a built-in template id' });
        }
      })
      .default({}),
  })
  .strict();

/** An alias names a chain: tried in order, the next on a retryable failure; `balance` starts at the least loaded. */
export const AliasConfig = z.union([
  z.array(z.string().min(1)).min(1),
  z.object({ models: z.array(z.string().min(1)).min(1), balance: z.boolean().default(false) }).strict(),
]);

const BackendLimits = z
  .object({
    /** Calls this backend runs at once (1 for a single-GPU A1111). */
    concurrency: z.number().int().min(1).optional(),
    /** Requests that may wait for it; beyond that, 429 overloaded. */
    queue: z.number().int().min(0).optional(),
  })
  .strict();

export const RouterConfig = z
  .object({
    /** One backend call, from the moment it leaves the queue. */
    attempt_timeout_s: z.number().positive().default(300),
    /** The whole request: queue waits and every attempt of the chain. */
    deadline_s: z.number().positive().default(600),
    breaker: z
      .object({
        /** Consecutive failures that open a backend's circuit. */
        failures: z.number().int().min(1).default(5),
        /** Seconds an open circuit waits before letting one probe through. */
        cooldown_s: z.number().positive().default(30),
      })
      .strict()
      .default({ failures: 5, cooldown_s: 30 }),
    /** Seconds between health checks of each backend that can list its models (0: none). */
    health_check_s: z.number().min(0).default(30),
    default_concurrency: z.number().int().min(1).default(4),
    default_queue: z.number().int().min(0).default(64),
    /** Per provider name (a key of `providers`). */
    backends: z.record(z.string(), BackendLimits).default({}),
  })
  .strict();

export const CacheConfig = z
  .object({
    enabled: z.boolean().default(true),
    /** Entries kept in memory in front of the folder. */
    memory_entries: z.number().int().min(0).default(256),
    /** Size cap of the folder (data_dir/cache); least recently used entries go first. */
    max_mb: z.number().min(0).default(1024),
    /** Also cache requests without an explicit seed (their answer is then one fixed random draw). */
    unseeded: z.boolean().default(false),
    /** One namespace for every tenant instead of one each. */
    shared: z.boolean().default(false),
  })
  .strict();

export const JobsConfig = z
  .object({
    /** Seconds a finished job's result stays readable. */
    ttl_s: z.number().positive().default(3600),
    /** Jobs kept at once (queued, running and finished); beyond that, 429 overloaded. */
    max_jobs: z.number().int().min(1).default(1000),
    /**
     * With the PostgreSQL store: seconds a replica's claim on its running jobs lasts without
     * renewal. A replica that dies leaves its jobs failed (and refunded) this long after.
     */
    lease_s: z.number().positive().default(30),
  })
  .strict();

/** Where keys, quotas and the ledger live: the embedded SQLite file, or PostgreSQL shared by replicas. */
export const StoreConfig = z
  .object({
    type: z.enum(['sqlite', 'postgres']).default('sqlite'),
    /** postgres: the environment variable holding the connection URL (it carries the password). */
    url_env: z.string().min(1).default('KIMAGING_PG_URL'),
    /** postgres: the schema for the tables (created if missing). */
    schema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'schema must be a plain identifier (letters, digits, _)')
      .default('public'),
    /** postgres: connections per replica. */
    pool_size: z.number().int().min(1).max(100).default(10),
  })
  .strict();

/** Redis shared by replicas (see src/scale/redis.ts); absent, everything stays per-process. */
export const RedisConfig = z
  .object({
    /** The environment variable holding the Redis URL (it may carry a password, so never the config file). */
    url_env: z.string().min(1).default('KIMAGING_REDIS_URL'),
    /** Prefix of every key this service writes, so replicas of one deployment share and others do not collide. */
    key_prefix: z.string().min(1).default('kimg:'),
    /** How long a backend slot outlives its replica's last renewal (a killed replica's slot frees after this). */
    slot_lease_s: z.number().min(1).max(600).default(15),
    /** Byte budget of the result cache tier replicas share (0 turns it off, and cross-replica coalescing with it). */
    cache_mb: z.number().min(0).default(256),
    /** A shared entry unused this long is dropped. */
    cache_ttl_s: z.number().int().min(1).default(86_400),
  })
  .strict();

export const LogConfig = z
  .object({
    /** debug also logs prompts; info and above never do. */
    level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  })
  .strict();

export const UpscaleConfig = z
  .object({
    /** The method used when a request names none. */
    default_method: z.enum(UPSCALE_METHODS).default('esrgan'),
    /** Where ESRGAN runs: onnx (native ONNX Runtime), tfjs (wasm), or auto (onnx where it loads). */
    engine: z.enum(ESRGAN_ENGINE_CHOICES).default('auto'),
    /** ESRGAN worker threads; each runs one job at a time (on onnx, with cores / workers threads). */
    workers: z.number().int().min(1).max(64).default(1),
    /** Jobs that may wait for a worker; beyond this, 429 overloaded. */
    max_queue: z.number().int().min(0).default(16),
    /** Largest output image, width * height (413 beyond it). */
    max_output_pixels: z.number().int().min(1).default(4096 * 4096),
    /** ESRGAN tile side and the context (overlap) around each tile, in input pixels. */
    tile_size: z.number().int().min(16).max(4096).default(256),
    tile_overlap: z.number().int().min(0).max(64).default(12),
    /** The `provider` method: a key of `providers` with a `base_url` (an SDAPI server) and an upscaler name it lists. */
    provider: z
      .object({
        provider: z.string().min(1),
        upscaler: z.string().min(1),
        timeout_ms: z.number().int().positive().default(300_000),
      })
      .strict()
      .optional(),
  })
  .strict();

export const Config = z
  .object({
    server: ServerConfig.default(ServerConfig.parse({})),
    limits: LimitsConfig.default(LimitsConfig.parse({})),
    compose: ComposeConfig.default(ComposeConfig.parse({})),
    upscale: UpscaleConfig.default(UpscaleConfig.parse({})),
    providers: z.record(z.string(), ProviderConfig).default({}),
    models: z.array(ModelConfig).default([]),
    /** Names for chains of models: `default: [sdxl, gpt-image-1]`. */
    aliases: z.record(z.string(), AliasConfig).default({}),
    /** The model or alias used when a request names none. */
    default_model: z.string().optional(),
    /** API-key holders; none means open mode (tenant `local`, loopback only). */
    tenants: z.array(TenantConfig).default([]),
    policy: PolicyConfig.default(PolicyConfig.parse({})),
    router: RouterConfig.default(RouterConfig.parse({})),
    cache: CacheConfig.default(CacheConfig.parse({})),
    jobs: JobsConfig.default(JobsConfig.parse({})),
    log: LogConfig.default(LogConfig.parse({})),
    store: StoreConfig.default(StoreConfig.parse({})),
    redis: RedisConfig.optional(),
  })
  .strict();

export type Config = z.infer<typeof Config>;
export type ModelConfig = z.infer<typeof ModelConfig>;
export type ProviderConfig = z.infer<typeof ProviderConfig>;
export type LimitsConfig = z.infer<typeof LimitsConfig>;
export type RouterConfig = z.infer<typeof RouterConfig>;
export type CacheConfig = z.infer<typeof CacheConfig>;
export type JobsConfig = z.infer<typeof JobsConfig>;
export type UpscaleConfig = z.infer<typeof UpscaleConfig>;
export type StoreConfig = z.infer<typeof StoreConfig>;
export type RedisConfig = z.infer<typeof RedisConfig>;
