/**
 * The ESRGAN worker thread: tfjs on the wasm backend, one job at a time, tile by tile. Between
 * tiles it yields to its message queue, so a cancel arrives within one tile's time. Loaded models
 * stay in memory for the worker's life (a few MB of weights each).
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { esrganModelHandler, wasmDirectory, type EsrganWeights } from './esrgan-weights.ts';
import { cropRgb, cropWindow, mirrorPad, planTiles, TileBlender } from './tiling.ts';
import type { FromWorker, RunMessage, ToWorker } from './worker-protocol.ts';

const port = parentPort!;
const cancelled = new Set<number>();
const models = new Map<string, Promise<tf.LayersModel>>();
let queue: Promise<void> = Promise.resolve();

const ready = (async () => {
  setWasmPaths(wasmDirectory());
  // The threaded build needs cross-origin isolation machinery meant for browsers; the pool gives
  // parallelism across jobs instead.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend failed to start');
  await tf.ready();
})();

function model(weights: EsrganWeights, scale: number): Promise<tf.LayersModel> {
  const key = `${weights}/x${scale}`;
  let loaded = models.get(key);
  if (!loaded) {
    loaded = tf.loadLayersModel(esrganModelHandler(weights, scale));
    models.set(key, loaded);
  }
  return loaded;
}

const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const yieldToMessages = () => new Promise<void>((resolve) => setImmediate(resolve));

async function run(job: RunMessage): Promise<void> {
  await ready;
  const net = await model(job.weights, job.scale);
  const pad = job.overlap;
  const width = job.width + 2 * pad;
  const padded = mirrorPad(job.rgb, job.width, job.height, pad);
  const plan = planTiles(width, job.height + 2 * pad, job.tileSize, job.overlap);
  const blender = new TileBlender(plan, job.scale);
  for (const [index, tile] of plan.tiles.entries()) {
    await yieldToMessages();
    if (cancelled.delete(job.id)) return post({ type: 'cancelled', id: job.id });
    const input = cropRgb(padded, width, tile);
    const output = tf.tidy(() => net.predict(tf.tensor4d(input, [1, tile.y1 - tile.y0, tile.x1 - tile.x0, 3])) as tf.Tensor);
    const rgb = (await output.data()) as Float32Array;
    output.dispose();
    blender.add(tile, rgb);
    post({ type: 'progress', id: job.id, done: index + 1, total: plan.tiles.length });
  }
  const s = job.scale;
  const rgb = cropWindow(blender.finish(), width * s, pad * s, pad * s, job.width * s, job.height * s);
  post({ type: 'done', id: job.id, rgb, width: job.width * job.scale, height: job.height * job.scale }, [rgb.buffer as ArrayBuffer]);
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
