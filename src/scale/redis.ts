/** The Redis connection replicas share (`redis:` in the config); absent, everything stays per-process. */
import { Redis } from 'ioredis';
import { ConfigError, type Config } from '../config/index.ts';

export interface SharedRedis {
  client: Redis;
  /** Prefix for every key (`redis.key_prefix`). */
  prefix: string;
  /** Whether Redis answers now (for /healthz). */
  health(): Promise<{ type: 'redis'; ok: boolean; error?: string }>;
  close(): Promise<void>;
}

/** The Redis URL from the variable `redis.url_env` names (it may carry a password, so never the config file). */
export function redisUrl(config: Config, env: NodeJS.ProcessEnv): string {
  const name = config.redis!.url_env;
  const url = env[name];
  if (!url) throw new ConfigError(`config is invalid:\n  redis.url_env: the environment variable ${name} is not set (it holds the Redis URL)`);
  return url;
}

export function openRedis(config: Config, env: NodeJS.ProcessEnv = process.env): SharedRedis | undefined {
  if (!config.redis) return undefined;
  // Commands fail fast while Redis is away instead of queueing without bound; reconnects go on.
  const client = new Redis(redisUrl(config, env), { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 2000 });
  // Without a listener ioredis logs each failed reconnect with the URL; health() reports the state instead.
  client.on('error', () => {});
  return {
    client,
    prefix: config.redis.key_prefix,
    async health() {
      try {
        await Promise.race([client.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())]);
        return { type: 'redis', ok: true };
      } catch {
        // Only a kind of failure: a driver message could carry the host or password of the URL.
        return { type: 'redis', ok: false, error: 'unreachable' };
      }
    },
    async close() {
      client.disconnect();
    },
  };
}
