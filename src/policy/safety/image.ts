/**
 * Output-image safety with nsfwjs (MobileNetV2, weights shipped inside the npm package) on
 * @tensorflow/tfjs with the wasm backend: tfjs-node cannot install here, and wasm runs the
 * 224x224 MobileNet about as fast as native for one image (~80 ms) without a native build.
 *
 * The model loads once per process, in the background, when the first engine starts; nothing
 * waits for it at start-up. A request whose images need checking while it still loads waits up
 * to `load_wait_ms` (see policy.ts for what happens when it is not ready or failed to load).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { decodeRaw } from '../../images/index.ts';
import type { SafetyLevel } from '../../config/index.ts';

const require = createRequire(import.meta.url);

export type NsfwClass = 'porn' | 'hentai' | 'sexy' | 'drawing' | 'neutral';
export type NsfwScores = Record<NsfwClass, number>;

export interface ImageClassifier {
  readonly state: 'loading' | 'ready' | 'failed';
  /** Resolves true when loaded, false when loading failed or `waitMs` passed first. */
  ready(waitMs: number): Promise<boolean>;
  classify(bytes: Uint8Array): Promise<NsfwScores>;
}

const INPUT_SIZE = 224;

interface NsfwModel {
  classify(image: unknown, topk?: number): Promise<{ className: string; probability: number }[]>;
}

let shared: ImageClassifier | undefined;

/** The process-wide classifier; the first call starts loading it. */
export function imageClassifier(): ImageClassifier {
  shared ??= loadClassifier();
  return shared;
}

function loadClassifier(): ImageClassifier {
  let state: ImageClassifier['state'] = 'loading';
  // Required as CommonJS: nsfwjs 4.2.1's ESM build imports a path that does not exist.
  const loading: Promise<{ tf: typeof import('@tensorflow/tfjs'); model: NsfwModel } | undefined> = (async () => {
    const tf = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
    if (tf.getBackend() !== 'wasm') {
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
      await withoutProcessHandlers(() => tf.setBackend('wasm'));
    }
    const nsfwjs = require('nsfwjs') as { load(name: string): Promise<NsfwModel> };
    const model = await quietly(() => nsfwjs.load('MobileNetV2'));
    state = 'ready';
    return { tf, model };
  })().catch((error: unknown) => {
    state = 'failed';
    console.error(JSON.stringify({ level: 'error', msg: 'image safety classifier failed to load', error: String(error) }));
    return undefined;
  });

  return {
    get state() {
      return state;
    },
    async ready(waitMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), waitMs);
      });
      const loaded = await Promise.race([loading, timeout]);
      clearTimeout(timer);
      return loaded !== undefined;
    },
    async classify(bytes) {
      const loaded = await loading;
      if (!loaded) throw new Error('image safety classifier is not loaded');
      const raw = await decodeRaw(bytes, 'image', { channels: 3, size: { width: INPUT_SIZE, height: INPUT_SIZE } });
      const tensor = loaded.tf.tensor3d(raw.data, [INPUT_SIZE, INPUT_SIZE, 3], 'int32');
      try {
        const predictions = await loaded.model.classify(tensor, 5);
        const scores: NsfwScores = { porn: 0, hentai: 0, sexy: 0, drawing: 0, neutral: 0 };
        for (const p of predictions) scores[p.className.toLowerCase() as NsfwClass] = p.probability;
        return scores;
      } finally {
        tensor.dispose();
      }
    },
  };
}

/**
 * The wasm backend's Emscripten glue adds process-wide uncaughtException/unhandledRejection
 * handlers that rethrow, so any later crash of the daemon would point at a line of minified
 * wasm glue. Node's own behaviour is the same minus that; take the handlers back off.
 */
async function withoutProcessHandlers<T>(run: () => Promise<T>): Promise<T> {
  const events: string[] = ['uncaughtException', 'unhandledRejection'];
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = events.map((event) => new Set(emitter.listeners(event)));
  try {
    return await run();
  } finally {
    events.forEach((event, i) => {
      for (const listener of emitter.listeners(event)) if (!before[i]!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    });
  }
}

/** nsfwjs prints a hosting hint (console.info) on load; drop that one line, keep all others. */
async function quietly<T>(load: () => Promise<T>): Promise<T> {
  const info = console.info;
  console.info = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes("You're using the model")) return;
    info(...args);
  };
  try {
    return await load();
  } finally {
    console.info = info;
  }
}

export interface ImageThresholds {
  strict: { porn: number; hentai: number; sexy: number };
  moderate: { porn: number; hentai: number };
}

/** The class that withholds an image at this level, or undefined when it may be shown. */
export function imageVerdict(level: SafetyLevel, scores: NsfwScores, thresholds: ImageThresholds): NsfwClass | undefined {
  if (level === 'off') return undefined;
  const limits: Partial<Record<NsfwClass, number>> = thresholds[level];
  return (Object.keys(limits) as NsfwClass[]).find((cls) => scores[cls] >= limits[cls]!);
}
