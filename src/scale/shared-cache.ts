/**
 * What replicas share through Redis besides slots: the result cache's third tier, and in-flight
 * requests, so a seeded request answered on one replica is a hit on another, and identical
 * requests arriving on several replicas at once make one backend call.
 *
 * Images are megabytes, so entries are binary (a JSON header, then the image bytes; no base64) and
 * the tier keeps its own byte budget: sizes are counted in Redis, and a write evicts entries unused
 * for `ttlMs`, then the least recently used, until the total fits. This does not rely on the Redis
 * server's maxmemory policy, which a shared Redis may not have. Budget scripts touch entry keys they
 * derive from the prefix, so the tier wants a standalone Redis (or one Cluster slot), not a Cluster.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Result } from '../imagegen/index.ts';
import type { CachedResult, RemoteTier } from '../router/cache.ts';
import type { FleetSettings } from './fleet-queue.ts';

export interface SharedCacheSettings {
  client: Redis;
  prefix: string;
  maxBytes: number;
  ttlMs: number;
}

/** KEYS: lru, entry. ARGV: member, ttlMs. The entry, and it becomes the most recently used; nil if absent or stale. */
const GET = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local used = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not used or now - tonumber(used) > tonumber(ARGV[2]) then return false end
local value = redis.call('GET', KEYS[2])
if not value then return false end
redis.call('ZADD', KEYS[1], now, ARGV[1])
return value`;

/**
 * KEYS: lru, sizes, bytes, entry. ARGV: member, value, maxBytes, ttlMs, entry key prefix.
 * Stores, counts, then evicts the stale and the least recently used until the budget holds.
 */
const SET = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local function drop(member)
  local size = tonumber(redis.call('HGET', KEYS[2], member) or '0')
  redis.call('DEL', ARGV[5] .. member)
  redis.call('HDEL', KEYS[2], member)
  redis.call('ZREM', KEYS[1], member)
  return redis.call('INCRBY', KEYS[3], -size)
end
local size = string.len(ARGV[2])
local old = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
redis.call('SET', KEYS[4], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], size)
redis.call('ZADD', KEYS[1], now, ARGV[1])
local bytes = redis.call('INCRBY', KEYS[3], size - old)
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[4]))) do bytes = drop(member) end
while bytes > tonumber(ARGV[3]) do
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if not oldest then break end
  bytes = drop(oldest)
end
return bytes`;

interface Header {
  v: 1;
  model: string;
  provider: string;
  warnings: Result['warnings'];
  usage: Result['usage'];
  images: { length: number; mime_type: string; width?: number; height?: number; seed?: number }[];
}

/** The cache tier every replica reads and writes. */
export class RedisCacheTier implements RemoteTier {
  private readonly keys: { lru: string; sizes: string; bytes: string; entries: string };

  constructor(private readonly settings: SharedCacheSettings) {
    const base = `${settings.prefix}cache:`;
    this.keys = { lru: `${base}lru`, sizes: `${base}sizes`, bytes: `${base}bytes`, entries: `${base}entry:` };
  }

  /** A miss, also when Redis is away: the cache is a speed-up, never a reason to fail. */
  async get(key: string): Promise<CachedResult | undefined> {
    const value = await this.settings.client.callBuffer('EVAL', GET, 2, this.keys.lru, this.keys.entries + key, key, this.settings.ttlMs).catch(() => null);
    return value ? decodeEntry(value as Buffer) : undefined;
  }

  async set(key: string, result: CachedResult): Promise<void> {
    const value = encodeEntry(result);
    if (value.length > this.settings.maxBytes) return;
    const k = this.keys;
    await this.settings.client.eval(SET, 4, k.lru, k.sizes, k.bytes, k.entries + key, key, value, this.settings.maxBytes, this.settings.ttlMs, k.entries).catch(() => undefined);
  }

  /** Bytes the tier holds now (for tests and /metrics). */
  async bytes(): Promise<number> {
    return Number((await this.settings.client.get(this.keys.bytes)) ?? 0);
  }
}

export function encodeEntry(result: CachedResult): Buffer {
  const header: Header = {
    v: 1,
    model: result.model,
    provider: result.provider,
    warnings: result.warnings,
    usage: result.usage,
    images: result.images.map((image) => ({
      length: image.bytes.byteLength,
      mime_type: image.mimeType,
      ...(image.width !== undefined && { width: image.width }),
      ...(image.height !== undefined && { height: image.height }),
      ...(image.seed !== undefined && { seed: image.seed }),
    })),
  };
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([length, json, ...result.images.map((image) => image.bytes)]);
}

/** An entry we cannot read back (another version, a torn write) is a miss. */
export function decodeEntry(value: Buffer): CachedResult | undefined {
  try {
    const end = 4 + value.readUInt32BE(0);
    const header = JSON.parse(value.subarray(4, end).toString()) as Header;
    if (header.v !== 1) return undefined;
    let at = end;
    const images = header.images.map((image) => {
      const bytes = new Uint8Array(value.subarray(at, (at += image.length)));
      return {
        bytes,
        mimeType: image.mime_type,
        ...(image.width !== undefined && { width: image.width }),
        ...(image.height !== undefined && { height: image.height }),
        ...(image.seed !== undefined && { seed: image.seed }),
      };
    });
    if (at !== value.length) return undefined;
    return { model: header.model, provider: header.provider, warnings: header.warnings, usage: header.usage, images };
  } catch {
    return undefined;
  }
}

/**
 * One backend call per identical request across the fleet. The first replica claims the key
 * (SET NX with a lease it renews) and runs; the others wait until the claim is gone, then read the
 * shared cache. The guarantee: requests that arrive while the first is running make no call of
 * their own if its answer reaches the shared cache; if it failed, was too large to share, or its
 * replica died (the lease lapses), each waiter runs the request itself. Requests that arrive in the
 * same few milliseconds before any claim is set may each claim one in turn: only one wins.
 */
export class FleetFlights {
  constructor(private readonly settings: FleetSettings) {}

  async once<T>(key: string, run: () => Promise<T>, lookup: () => Promise<T | undefined>, signal?: AbortSignal): Promise<T> {
    const { client, prefix, leaseMs, pollMs } = this.settings;
    const claim = `${prefix}flight:${key}`;
    const me = randomUUID();
    const claimed = await client.set(claim, me, 'PX', leaseMs, 'NX').catch(() => 'OK'); // Redis away: run alone
    if (claimed === 'OK') {
      const renew = setInterval(() => void client.pexpire(claim, leaseMs).catch(() => undefined), Math.max(50, leaseMs / 3));
      renew.unref();
      try {
        return await run();
      } finally {
        clearInterval(renew);
        // Only our own claim is removed: after a lapse it may be someone else's.
        await client.eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1, claim, me).catch(() => undefined);
      }
    }
    while ((await client.exists(claim).catch(() => 0)) === 1) {
      if (signal?.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    return (await lookup()) ?? run();
  }
}
