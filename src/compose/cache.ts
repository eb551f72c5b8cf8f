/**
 * Rendered cards by content hash: a memory LRU bounded in bytes, and a folder under the daemon's
 * data dir that survives restarts. The same input always renders the same bytes, so an entry
 * never goes stale; a renderer change bumps RENDERER_VERSION in the key instead.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Warning } from '../imagegen/index.ts';

export interface CachedCard {
  bytes: Uint8Array;
  mimeType: string;
  width: number;
  height: number;
  warnings: Warning[];
}

export interface CardCache {
  get(key: string): Promise<CachedCard | undefined>;
  set(key: string, card: CachedCard): Promise<void>;
}

export interface CardCacheOptions {
  /** Memory budget in bytes. */
  maxBytes: number;
  /** The cache folder, if any, and its budget: the oldest cards go first when it is over. */
  dir?: string;
  maxDiskBytes?: number;
}

export function createCardCache(options: CardCacheOptions): CardCache {
  const disk = options.dir ? createDiskIndex(options.dir, options.maxDiskBytes ?? Infinity) : undefined;
  const memory = new Map<string, CachedCard>();
  let bytes = 0;
  const remember = (key: string, card: CachedCard) => {
    if (card.bytes.byteLength > options.maxBytes) return;
    const old = memory.get(key);
    if (old) bytes -= old.bytes.byteLength;
    memory.delete(key);
    memory.set(key, card);
    bytes += card.bytes.byteLength;
    for (const [oldest, entry] of memory) {
      if (bytes <= options.maxBytes) break;
      memory.delete(oldest);
      bytes -= entry.bytes.byteLength;
    }
  };
  return {
    async get(key) {
      const hit = memory.get(key);
      if (hit) {
        // Map order is insertion order: re-inserting marks it most recently used.
        memory.delete(key);
        memory.set(key, hit);
        return hit;
      }
      if (!options.dir) return undefined;
      try {
        const meta = JSON.parse(await readFile(join(options.dir, `${key}.json`), 'utf8')) as Omit<CachedCard, 'bytes'>;
        const card = { ...meta, bytes: new Uint8Array(await readFile(join(options.dir, `${key}.bin`))) };
        remember(key, card);
        return card;
      } catch {
        return undefined;
      }
    },
    async set(key, card) {
      remember(key, card);
      if (!options.dir) return;
      const { bytes: data, ...meta } = card;
      try {
        await mkdir(options.dir, { recursive: true });
        // Bytes first, then the metadata that makes the entry visible; each via rename, so a
        // reader never sees half a file.
        await writeAtomically(join(options.dir, `${key}.bin`), data);
        await writeAtomically(join(options.dir, `${key}.json`), JSON.stringify(meta));
        await disk!.added(key, data.byteLength);
      } catch (error) {
        // A full or read-only disk costs the folder copy, not the card that was drawn.
        console.error(JSON.stringify({ level: 'warn', msg: 'compose cache: could not write to disk', error: String(error) }));
      }
    },
  };
}

/**
 * What the folder holds, oldest first, so it stays within its budget: anyone who can reach the
 * GET route can ask for new cards, and the disk must not fill up with them.
 */
function createDiskIndex(dir: string, maxBytes: number) {
  let index: Promise<Map<string, number>> | undefined;
  let total = 0;
  const load = async () => {
    const entries: { key: string; size: number; mtime: number }[] = [];
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!name.endsWith('.bin')) continue;
      const info = await stat(join(dir, name)).catch(() => undefined);
      if (info) entries.push({ key: name.slice(0, -4), size: info.size, mtime: info.mtimeMs });
    }
    entries.sort((a, b) => a.mtime - b.mtime);
    total = entries.reduce((sum, e) => sum + e.size, 0);
    return new Map(entries.map((e) => [e.key, e.size]));
  };
  return {
    async added(key: string, size: number) {
      index ??= load();
      const known = await index;
      total -= known.get(key) ?? 0;
      known.delete(key);
      known.set(key, size);
      total += size;
      for (const [oldest, oldSize] of known) {
        if (total <= maxBytes || oldest === key) break;
        known.delete(oldest);
        total -= oldSize;
        await rm(join(dir, `${oldest}.json`), { force: true });
        await rm(join(dir, `${oldest}.bin`), { force: true });
      }
    },
  };
}

async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}
