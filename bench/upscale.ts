/**
 * bench/upscale: ours against UpscalerJS, one run, two parts; 4x with the esrgan-slim weights.
 * 1. Speed at 256->1024 and 512->2048, best of RUNS after a warm-up at the same size:
 *    - ours, end to end (PNG decode, tiles in the worker, blend, PNG encode), on each engine:
 *      onnx (ONNX Runtime, native, this machine's cores) and tfjs (wasm, one thread);
 *    - UpscalerJS 1.0.0 (bench/upscalerjs.ts: same weights, tfjs 4.11 wasm), tensor in and out, as
 *      one tensor (its default) and in 128 px patches with 12 px padding (its way to bound memory);
 *    - Lanczos (sharp).
 *    The ratio is UpscalerJS's faster way over ours.
 * 2. Peak memory (maxRSS) of one job per child process, run one after another.
 * Usage: npm run bench:upscale
 */
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createUpscaler, type UpscaleInput } from '../src/upscale/index.ts';
import type { EsrganEngine } from '../src/upscale/methods.ts';
import { scenePng, sceneRgb } from '../test/upscale/helpers.ts';
import { loadUpscalerJs, type UpscalerJsPatching } from './upscalerjs.ts';

const RUNS = 3;
const SIZES = [256, 512];
const SCALE = 4;
const LIMITS = { decodeLimits: { maxBytes: 1 << 28, maxPixels: 1 << 28 } };

const ours = (engine: EsrganEngine) =>
  createUpscaler({ defaultMethod: 'esrgan', engine, workers: 1, maxQueue: 4, maxOutputPixels: 8192 * 8192, tileSize: 256, tileOverlap: 12 }, LIMITS);
const engines = { onnx: ours('onnx'), tfjs: ours('tfjs') };
const upscalerjs = await loadUpscalerJs();

async function best(run: () => Promise<unknown>): Promise<number> {
  await run();
  let ms = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    ms = Math.min(ms, performance.now() - started);
  }
  return ms;
}

const fmt = (ms: number) => ms.toFixed(0).padStart(6);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

console.log(
  `bench/upscale on Node ${process.version}, ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ` +
    `${SCALE}x esrgan-slim; best of ${RUNS} after a warm-up\n`,
);
console.log('| input -> output | ours onnx ms | ours tfjs ms | UpscalerJS one tensor ms | UpscalerJS 128 px patches ms | UpscalerJS / ours onnx | UpscalerJS / ours tfjs | Lanczos ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const size of SIZES) {
  const image = await scenePng(size, size);
  const rgb = sceneRgb(size, size);
  const job = (engine: EsrganEngine, input: Partial<UpscaleInput> = {}) => () => engines[engine].upscale({ image, scale: SCALE, ...input });
  const theirs = (patching: UpscalerJsPatching) => () => upscalerjs.upscale(rgb, size, size, patching);
  const onnx = await best(job('onnx'));
  const tfjs = await best(job('tfjs'));
  const whole = await best(theirs({}));
  const patched = await best(theirs({ patchSize: 128, padding: 12 }));
  const lanczos = await best(job('onnx', { method: 'lanczos' }));
  const baseline = Math.min(whole, patched);
  console.log(
    `| ${size} -> ${size * SCALE} | ${fmt(onnx)} | ${fmt(tfjs)} | ${fmt(whole)} | ${fmt(patched)} | ${ratio(baseline, onnx)} | ${ratio(baseline, tfjs)} | ${fmt(lanczos)} |`,
  );
}
await Promise.all(Object.values(engines).map((u) => u.close()));

interface ChildResult {
  ok: boolean;
  ms: number;
  maxRssMB: number;
  tiles?: number;
  error?: string;
}

/** Run one job in a child process; resolves with its JSON line (or why it ended without one). */
function inChild(side: string, size: number, tile: number): Promise<ChildResult> {
  const script = fileURLToPath(new URL('./upscale-memory-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, side, String(size), String(tile)], { timeout: 240_000 });
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

const JOBS: [label: string, side: string, size: number, tile: number][] = [
  ['ours onnx, 256 px tiles', 'onnx', 256, 256],
  ['ours onnx, 256 px tiles', 'onnx', 512, 256],
  ['ours onnx, 256 px tiles', 'onnx', 1024, 256],
  ['ours onnx, one tile', 'onnx', 1024, 0],
  ['ours tfjs, 128 px tiles', 'tfjs', 1024, 128],
  ['UpscalerJS, one tensor', 'upscalerjs', 512, 0],
  ['UpscalerJS, one tensor', 'upscalerjs', 1024, 0],
  ['UpscalerJS, 128 px patches', 'upscalerjs', 1024, 128],
];

console.log('\nPeak memory, 4x, one child process per job, one at a time (maxRSS: everything the process held at its peak,');
console.log('including the input and output images, 3 bytes per output pixel for ours):\n');
console.log('| job | input -> output | ms | peak RSS MB | tiles / error |');
console.log('| --- | --- | --- | --- | --- |');
for (const [label, side, size, tile] of JOBS) {
  const r = await inChild(side, size, tile);
  console.log(
    `| ${label} | ${size} -> ${size * SCALE} | ${r.ok ? fmt(r.ms) : 'failed'} | ${Number.isFinite(r.maxRssMB) ? r.maxRssMB.toFixed(0) : '-'} | ${r.ok ? (r.tiles ?? '') : r.error} |`,
  );
}
