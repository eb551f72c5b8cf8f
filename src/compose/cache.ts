/**
 * Rendered cards by content hash: a memory LRU bounded in bytes, and a folder under the daemon's
 * data dir that survives restarts. The same input always renders the same bytes, so an entry
 * never goes stale; a renderer change bumps RENDERER_VERSION in the key instead.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
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

export function createCardCache(options: { maxBytes: number; dir?: string }): CardCache {
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
      await mkdir(options.dir, { recursive: true });
      const { bytes: data, ...meta } = card;
      // Bytes first, then the metadata that makes the entry visible; each via rename, so a reader
      // never sees half a file.
      await writeAtomically(join(options.dir, `${key}.bin`), data);
      await writeAtomically(join(options.dir, `${key}.json`), JSON.stringify(meta));
    },
  };
}

async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}
