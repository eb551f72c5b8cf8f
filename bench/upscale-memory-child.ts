/**
 * One upscale job in a process of its own, so its peak memory (maxRSS: the main thread, the
 * worker thread and its wasm heap) can be read alone. Prints one JSON line.
 * Usage: upscale-memory-child.ts SIZE SCALE TILE   (TILE 0 = one tile)
 */
import { createUpscaler } from '../src/upscale/index.ts';
import { scenePng } from '../test/upscale/helpers.ts';

const [size, scale, tile] = process.argv.slice(2).map(Number) as [number, number, number];
const upscaler = createUpscaler(
  { defaultMethod: 'esrgan', workers: 1, maxQueue: 1, maxOutputPixels: 8192 * 8192, tileSize: 128, tileOverlap: 12 },
  { decodeLimits: { maxBytes: 1 << 30, maxPixels: 1 << 30 } },
);
const image = await scenePng(size, size);
const started = performance.now();
let tiles = 0;
try {
  const outcome = await upscaler.upscale({ image, scale, ...(tile === 0 && { tileSize: 1 << 20 }) }, { onProgress: (p) => (tiles = p.totalSteps ?? 0) });
  const ms = performance.now() - started;
  console.log(JSON.stringify({ ok: true, ms, tiles, width: outcome.image.width, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, ms: performance.now() - started, error: String((error as Error).message).slice(0, 200), maxRssMB: process.resourceUsage().maxRSS / 1024 }));
} finally {
  await upscaler.close();
}
