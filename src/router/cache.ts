/**
 * The result cache: a memory LRU in front of a folder with a size cap, also evicted least recently
 * used, and behind both, when replicas share a Redis, a tier they all read (src/scale/shared-cache.ts). Keys are hashes of the normalized request in a tenant namespace (see `cacheKey`), so a
 * tenant never reads another's entries unless the config shares one namespace.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Request, Result } from '../imagegen/index.ts';

/** What a cache entry holds: a Result without the backend's raw answers. */
export type CachedResult = Omit<Result, 'raw'>;

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * The identity of a request: everything that shapes the images, nothing that does not (the
 * signal, the output format, which is applied after). Input images count by their hash.
 */
export function cacheKey(namespace: string, model: string, request: Request): string {
  const identity = {
    model,
    prompt: request.prompt,
    n: request.n,
    size: request.size ? `${request.size.width}x${request.size.height}` : null,
    seed: request.seed ?? null,
    negative_prompt: request.negativePrompt ?? null,
    steps: request.steps ?? null,
    cfg_scale: request.cfgScale ?? null,
    sampler: request.sampler ?? null,
    scheduler: request.scheduler ?? null,
    strength: request.strength ?? null,
    strict_knobs: request.strictKnobs ?? false,
    image: request.image ? sha256(request.image.bytes) : null,
    mask: request.mask ? sha256(request.mask.bytes) : null,
    provider_options: request.providerOptions ? sortedJson(request.providerOptions) : null,
  };
  return sha256(`${namespace}\0${JSON.stringify(identity)}`);
}

function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/** A tier shared by replicas; its failures are misses. */
export interface RemoteTier {
  get(key: string): Promise<CachedResult | undefined>;
  set(key: string, result: CachedResult): Promise<void>;
}

export interface CacheSettings {
  /** The folder; undefined keeps the cache in memory only. */
  dir?: string;
  memoryEntries: number;
  maxBytes: number;
  remote?: RemoteTier;
}

export type CacheHit = { result: CachedResult; tier: 'memory' | 'disk' | 'shared' };

interface StoredImage {
  b64: string;
  mime_type: string;
  width?: number;
  height?: number;
  seed?: number;
}

export class ResultCache {
  private readonly memory = new Map<string, CachedResult>();
  /** Files on disk in least-recently-used-first order, with their sizes. */
  private readonly files = new Map<string, number>();
  private diskBytes = 0;
  private readonly pending = new Set<Promise<void>>();

  private constructor(private readonly settings: CacheSettings) {}

  /** Opens the folder and indexes what earlier runs left, oldest use first. */
  static async open(settings: CacheSettings): Promise<ResultCache> {
    const cache = new ResultCache(settings);
    if (settings.dir) {
      const found: { key: string; size: number; used: number }[] = [];
      // The folder is made on the first write, so a run that caches nothing leaves nothing behind.
      const names = await readdir(settings.dir).catch(() => [] as string[]);
      for (const name of names) {
        if (!name.endsWith('.json')) continue;
        const info = await stat(join(settings.dir, name)).catch(() => undefined);
        if (info) found.push({ key: name.slice(0, -5), size: info.size, used: info.mtimeMs });
      }
      for (const { key, size } of found.sort((a, b) => a.used - b.used)) cache.index(key, size);
      cache.evictDisk();
    }
    return cache;
  }

  get stats() {
    return { memory_entries: this.memory.size, disk_entries: this.files.size, disk_bytes: this.diskBytes };
  }

  async get(key: string): Promise<CacheHit | undefined> {
    const inMemory = this.memory.get(key);
    if (inMemory) {
      this.remember(key, inMemory);
      this.touch(key);
      return { result: inMemory, tier: 'memory' };
    }
    if (!this.settings.dir || !this.files.has(key)) return this.getShared(key);
    let text: string;
    try {
      text = await readFile(this.path(key), 'utf8');
    } catch {
      this.forget(key);
      return this.getShared(key);
    }
    const result = decode(text);
    if (!result) {
      this.forget(key);
      await rm(this.path(key), { force: true });
      return this.getShared(key);
    }
    this.remember(key, result);
    this.touch(key);
    return { result, tier: 'disk' };
  }

  /** Another replica may have answered it: kept here too once read. */
  private async getShared(key: string): Promise<CacheHit | undefined> {
    const result = await this.settings.remote?.get(key);
    if (!result) return undefined;
    this.remember(key, result);
    return { result, tier: 'shared' };
  }

  /**
   * Stores in memory now and on disk in the background (`flush` waits for it); the promise is
   * the shared tier's write, for a caller that must know other replicas can read it.
   */
  set(key: string, result: CachedResult): Promise<void> {
    this.remember(key, result);
    const shared = this.settings.remote?.set(key, result) ?? Promise.resolve();
    this.track(shared);
    if (this.settings.dir && this.settings.maxBytes > 0) this.setOnDisk(key, result);
    return shared;
  }

  private setOnDisk(key: string, result: CachedResult): void {
    const text = encode(result);
    const size = Buffer.byteLength(text);
    if (size > this.settings.maxBytes) return;
    this.track(
      (async () => {
        const tmp = `${this.path(key)}.${process.pid}.tmp`;
        await mkdir(this.settings.dir!, { recursive: true });
        await writeFile(tmp, text);
        await rename(tmp, this.path(key));
        this.forget(key);
        this.index(key, size);
        this.evictDisk();
      })(),
    );
  }

  /** Waits for background writes and deletions (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  private remember(key: string, result: CachedResult): void {
    if (this.settings.memoryEntries <= 0) return;
    this.memory.delete(key);
    this.memory.set(key, result);
    while (this.memory.size > this.settings.memoryEntries) this.memory.delete(this.memory.keys().next().value!);
  }

  /** A hit makes the file the most recently used, in the index and in its mtime for the next start. */
  private touch(key: string): void {
    const size = this.files.get(key);
    if (size === undefined) return;
    this.files.delete(key);
    this.files.set(key, size);
    const now = new Date();
    this.track(utimes(this.path(key), now, now).catch(() => undefined));
  }

  private index(key: string, size: number): void {
    this.files.set(key, size);
    this.diskBytes += size;
  }

  private forget(key: string): void {
    const size = this.files.get(key);
    if (size === undefined) return;
    this.files.delete(key);
    this.diskBytes -= size;
  }

  private evictDisk(): void {
    while (this.diskBytes > this.settings.maxBytes && this.files.size > 0) {
      const oldest = this.files.keys().next().value!;
      this.forget(oldest);
      this.track(rm(this.path(oldest), { force: true }));
    }
  }

  private track(work: Promise<unknown>): void {
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  private path(key: string): string {
    return join(this.settings.dir!, `${key}.json`);
  }
}

function encode(result: CachedResult): string {
  const images: StoredImage[] = result.images.map((image) => ({
    b64: Buffer.from(image.bytes).toString('base64'),
    mime_type: image.mimeType,
    ...(image.width !== undefined && { width: image.width }),
    ...(image.height !== undefined && { height: image.height }),
    ...(image.seed !== undefined && { seed: image.seed }),
  }));
  return JSON.stringify({ v: 1, model: result.model, provider: result.provider, warnings: result.warnings, usage: result.usage, images });
}

/** A file we cannot read back (truncated by a crash, an older format) is a miss, and removed. */
function decode(text: string): CachedResult | undefined {
  try {
    const data = JSON.parse(text) as { v: number; model: string; provider: string; warnings: Result['warnings']; usage: Result['usage']; images: StoredImage[] };
    if (data.v !== 1 || !Array.isArray(data.images)) return undefined;
    return {
      model: data.model,
      provider: data.provider,
      warnings: data.warnings,
      usage: data.usage,
      images: data.images.map((image) => ({
        bytes: new Uint8Array(Buffer.from(image.b64, 'base64')),
        mimeType: image.mime_type,
        ...(image.width !== undefined && { width: image.width }),
        ...(image.height !== undefined && { height: image.height }),
        ...(image.seed !== undefined && { seed: image.seed }),
      })),
    };
  } catch {
    return undefined;
  }
}
