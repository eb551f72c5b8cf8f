/**
 * One 4x upscale in a process of its own, so its peak memory (maxRSS: the main thread, worker
 * threads, the wasm heap or ONNX Runtime's arena) can be read alone. Prints one JSON line.
 * Usage: upscale-memory-child.ts SIDE SIZE TILE
 *   SIDE: onnx | tfjs (ours, PNG in and out) or upscalerjs (tensor in and out)
 *   TILE: tile (patch) side in input pixels; 0 = the whole image as one tile
 */
import { createUpscaler } from '../src/upscale/index.ts';
import { scenePng, sceneRgb } from '../test/upscale/helpers.ts';
import { loadUpscalerJs } from './upscalerjs.ts';

const [side, sizeArg, tileArg] = process.argv.slice(2) as [string, string, string];
const size = Number(sizeArg);
const tile = Number(tileArg);
const report = (fields: object) => console.log(JSON.stringify({ ...fields, maxRssMB: process.resourceUsage().maxRSS / 1024 }));

let started = performance.now();
try {
  if (side === 'upscalerjs') {
    const upscalerjs = await loadUpscalerJs();
    const rgb = sceneRgb(size, size);
    started = performance.now();
    await upscalerjs.upscale(rgb, size, size, tile ? { patchSize: tile, padding: 12 } : {});
    report({ ok: true, ms: performance.now() - started });
  } else {
    const upscaler = createUpscaler(
      { defaultMethod: 'esrgan', engine: side as 'onnx' | 'tfjs', workers: 1, maxQueue: 1, maxOutputPixels: 8192 * 8192, tileSize: tile || 1 << 20, tileOverlap: 12 },
      { decodeLimits: { maxBytes: 1 << 30, maxPixels: 1 << 30 } },
    );
    const image = await scenePng(size, size);
    let tiles = 0;
    try {
      await upscaler.upscale({ image, scale: 4, tileSize: tile || 1 << 20 }, { onProgress: (p) => (tiles = p.totalSteps ?? 0) });
      report({ ok: true, ms: performance.now() - started, tiles });
    } finally {
      await upscaler.close();
    }
  }
} catch (error) {
  report({ ok: false, ms: performance.now() - started, error: String((error as Error).message).slice(0, 200) });
}
