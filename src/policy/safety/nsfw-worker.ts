/**
 * The nsfwjs classifier (MobileNetV2, weights shipped inside the npm package) on @tensorflow/tfjs
 * with the wasm backend, on a thread of its own: about 80 ms of synchronous wasm per image would
 * otherwise stop the daemon's event loop. tfjs-node cannot install here; wasm needs no native build.
 *
 * Protocol (nsfw-protocol.ts): posts `ready` or `failed` once, then answers each `classify` with
 * `scores` or `error`.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { INPUT_SIZE, type FromNsfwWorker, type NsfwClass, type NsfwScores, type ToNsfwWorker } from './nsfw-protocol.ts';

const require = createRequire(import.meta.url);

interface NsfwModel {
  classify(image: unknown, topk?: number): Promise<{ className: string; probability: number }[]>;
}

const port = parentPort!;
const post = (message: FromNsfwWorker) => port.postMessage(message);

async function load() {
  const tf = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
  await tf.setBackend('wasm');
  // Required as CommonJS: nsfwjs 4.2.1's ESM build imports a path that does not exist.
  const nsfwjs = require('nsfwjs') as { load(name: string): Promise<NsfwModel> };
  const model = await quietly(() => nsfwjs.load('MobileNetV2'));
  return { tf, model };
}

/** nsfwjs prints a hosting hint (console.info) on load; drop that one line, keep all others. */
async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const info = console.info;
  console.info = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes("You're using the model")) return;
    info(...args);
  };
  try {
    return await run();
  } finally {
    console.info = info;
  }
}

try {
  const { tf, model } = await load();
  port.on('message', async (message: ToNsfwWorker) => {
    const tensor = tf.tensor3d(message.rgb, [INPUT_SIZE, INPUT_SIZE, 3], 'int32');
    try {
      const scores: NsfwScores = { porn: 0, hentai: 0, sexy: 0, drawing: 0, neutral: 0 };
      for (const p of await model.classify(tensor, 5)) scores[p.className.toLowerCase() as NsfwClass] = p.probability;
      post({ type: 'scores', id: message.id, scores });
    } catch (error) {
      post({ type: 'error', id: message.id, message: String(error) });
    } finally {
      tensor.dispose();
    }
  });
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'failed', message: String(error) });
}
