/**
 * The ESRGAN worker thread: one job at a time, tile by tile, on the engine the job names (see
 * esrgan-engines.ts). Between tiles it yields to its message queue, so a cancel arrives within
 * one tile's time. Loaded models stay in memory for the worker's life (a few MB of weights each).
 */
import { parentPort } from 'node:worker_threads';
import { loadPredictor, type Predictor } from './esrgan-engines.ts';
import { cropRgb, cropWindow, mirrorPad, planTiles, TileBlender } from './tiling.ts';
import type { FromWorker, RunMessage, ToWorker } from './worker-protocol.ts';

const port = parentPort!;
const cancelled = new Set<number>();
const models = new Map<string, Promise<Predictor>>();
let queue: Promise<void> = Promise.resolve();

function model(job: RunMessage): Promise<Predictor> {
  const key = `${job.engine}/${job.weights}/x${job.scale}`;
  let loaded = models.get(key);
  if (!loaded) {
    loaded = loadPredictor(job.engine, job.weights, job.scale, job.threads);
    // A load that failed is not kept: the next job tries again.
    loaded.catch(() => models.delete(key));
    models.set(key, loaded);
  }
  return loaded;
}

const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const yieldToMessages = () => new Promise<void>((resolve) => setImmediate(resolve));

async function run(job: RunMessage): Promise<void> {
  const net = await model(job);
  // Every tile sees `pad` pixels of context on all four sides: real pixels inside the image,
  // mirrored ones outside it. Only the planned region (core plus the blend overlap) is kept.
  const pad = job.overlap;
  const s = job.scale;
  const paddedWidth = job.width + 2 * pad;
  const padded = mirrorPad(job.rgb, job.width, job.height, pad);
  const plan = planTiles(job.width, job.height, job.tileSize, job.overlap);
  const blender = new TileBlender(plan, s);
  for (const [index, tile] of plan.tiles.entries()) {
    await yieldToMessages();
    if (cancelled.delete(job.id)) return post({ type: 'cancelled', id: job.id });
    // In padded coordinates the context window [core - pad, core + pad) starts at the core's origin.
    const context = { x0: tile.coreX0, y0: tile.coreY0, x1: tile.coreX1 + 2 * pad, y1: tile.coreY1 + 2 * pad };
    const w = context.x1 - context.x0;
    const h = context.y1 - context.y0;
    const rgb = await net.predict(cropRgb(padded, paddedWidth, context), h, w);
    const keep = cropWindow(rgb, w * s, (tile.x0 + pad - tile.coreX0) * s, (tile.y0 + pad - tile.coreY0) * s, (tile.x1 - tile.x0) * s, (tile.y1 - tile.y0) * s);
    blender.add(tile, keep);
    post({ type: 'progress', id: job.id, done: index + 1, total: plan.tiles.length });
  }
  const rgb = blender.finish();
  post({ type: 'done', id: job.id, rgb, width: job.width * s, height: job.height * s }, [rgb.buffer as ArrayBuffer]);
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'cancel') {
    cancelled.add(message.id);
    return;
  }
  queue = queue.then(() =>
    run(message).catch((error: unknown) => post({ type: 'error', id: message.id, message: String((error as Error)?.message ?? error) })),
  ).finally(() => cancelled.delete(message.id));
});
