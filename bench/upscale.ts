/**
 * bench/upscale: one run, two parts.
 * 1. Speed: ESRGAN (esrgan-slim, the default) 2x and 4x on 128x128 and 256x256, tiled (128 px
 *    tiles, 12 px overlap) and as one tile, and Lanczos (sharp), end to end through the upscaler
 *    (decode, worker, blend, encode). Best of RUNS after a warm-up that loads each model.
 * 2. Peak memory (maxRSS of a child process per job) of a 1024x1024 4x job tiled vs one tile. One
 *    tile fails at 1024 (its upsampling layer alone is a 3.2 GB tensor; the wasm heap is 32-bit), so
 *    the failure is printed and 768x768 (3072 out), which did run as one tile here, is measured both
 *    ways. Sizes between 768 and 1024 were not tried.
 * Usage: npm run bench:upscale
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createUpscaler, type UpscaleInput } from '../src/upscale/index.ts';
import { scenePng } from '../test/upscale/helpers.ts';

const RUNS = 2;
const SIZES = [128, 256];
const SCALES = [2, 4];
const ONE_TILE = 1 << 20;

const upscaler = createUpscaler(
  { defaultMethod: 'esrgan', workers: 1, maxQueue: 4, maxOutputPixels: 8192 * 8192, tileSize: 128, tileOverlap: 12 },
  { decodeLimits: { maxBytes: 1 << 28, maxPixels: 1 << 28 } },
);

async function best(input: UpscaleInput): Promise<{ ms: number; tiles: number }> {
  let ms = Infinity;
  let tiles = 0;
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    await upscaler.upscale(input, { onProgress: (p) => (tiles = p.totalSteps ?? 0) });
    ms = Math.min(ms, performance.now() - started);
  }
  return { ms, tiles };
}

const fmt = (ms: number) => ms.toFixed(0).padStart(7);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`.padStart(8);

console.log(`bench/upscale on Node ${process.version}, ${RUNS} runs each, best shown; ESRGAN = esrgan-slim on tfjs 4.11 wasm, 1 worker\n`);
for (const scale of SCALES) await upscaler.upscale({ image: await scenePng(16, 16), scale });

console.log('| input | scale | ESRGAN tiled ms (tiles) | ESRGAN one tile ms | tiled / one tile | Lanczos ms | ESRGAN tiled / Lanczos |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const size of SIZES) {
  const image = await scenePng(size, size);
  for (const scale of SCALES) {
    const tiled = await best({ image, scale });
    const whole = await best({ image, scale, tileSize: ONE_TILE });
    const lanczos = await best({ image, scale, method: 'lanczos' });
    console.log(
      `| ${size}x${size} | ${scale}x | ${fmt(tiled.ms)} (${tiled.tiles}) | ${fmt(whole.ms)} | ${ratio(tiled.ms, whole.ms)} | ${fmt(lanczos.ms)} | ${ratio(tiled.ms, lanczos.ms)} |`,
    );
  }
}
await upscaler.close();

interface ChildResult {
  ok: boolean;
  ms: number;
  maxRssMB: number;
  tiles?: number;
  error?: string;
}

/** Run one job in a child process; resolves with its JSON line (or why it ended without one). */
function inChild(size: number, scale: number, tile: number): Promise<ChildResult> {
  const script = fileURLToPath(new URL('./upscale-memory-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(size), String(scale), String(tile)], { timeout: 240_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as ChildResult);
      } catch {
        resolve({ ok: false, ms: NaN, maxRssMB: NaN, error: `child ended (${signal ?? `exit ${code}`}): ${(stderr || line).trim().slice(-200)}` });
      }
    }),
  );
}

const row = (label: string, r: ChildResult) =>
  console.log(`| ${label} | ${r.ok ? `${fmt(r.ms)}` : 'failed'} | ${Number.isFinite(r.maxRssMB) ? r.maxRssMB.toFixed(0) : '-'} | ${r.ok ? (r.tiles ?? '') : r.error} |`);

console.log('\nPeak memory, 4x, one child process per job; the tiled and one-tile jobs of a size run side by side, so their');
console.log('ms are not comparable with the table above (maxRSS includes the worker thread and its wasm heap):\n');
console.log('| job | ms | peak RSS MB | tiles / error |');
console.log('| --- | --- | --- | --- |');
const [tiled1024, untiled1024] = await Promise.all([inChild(1024, 4, 128), inChild(1024, 4, 0)]);
row('1024x1024 -> 4096x4096, tiled (128 px)', tiled1024);
row('1024x1024 -> 4096x4096, one tile', untiled1024);
if (!untiled1024.ok) {
  // Tried on the machine this was written on: 768 runs as one tile (1.8 GB upsampling tensor), 1024 does not.
  const size = 768;
  const [tiled, whole] = await Promise.all([inChild(size, 4, 128), inChild(size, 4, 0)]);
  row(`${size}x${size} -> ${size * 4}x${size * 4}, tiled (128 px)`, tiled);
  row(`${size}x${size} -> ${size * 4}x${size * 4}, one tile (feasible)`, whole);
}
