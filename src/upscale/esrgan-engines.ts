/**
 * The two runtimes an ESRGAN worker can run the same weights on, behind one `predict`:
 * - `onnx`: ONNX Runtime's native CPU build (onnxruntime-node, shipped inside its npm package),
 *   on the model rewritten by onnx-model.ts; intra-op threads use the worker's share of the cores.
 * - `tfjs`: @tensorflow/tfjs on the wasm backend (single-threaded SIMD), everywhere Node runs.
 * `auto` (the default) takes onnx where its binary loads (glibc Linux, macOS, Windows on x64 and
 * arm64) and tfjs elsewhere. Each runtime is imported only when chosen.
 */
import { availableParallelism } from 'node:os';
import { esrganModelHandler, wasmDirectory, type EsrganWeights } from './esrgan-weights.ts';
import type { EsrganEngine } from './methods.ts';
import { kerasToOnnx, type KerasModelArtifacts } from './onnx-model.ts';

export interface Predictor {
  /** NHWC float RGB (0..255) of h x w pixels in, the same at scale times the size out. */
  predict(input: Float32Array, height: number, width: number): Promise<Float32Array>;
}

type Loader = (weights: EsrganWeights, scale: number, threads: number) => Promise<Predictor>;

let tfjsReady: Promise<typeof import('@tensorflow/tfjs')> | undefined;

function tfjs(): Promise<typeof import('@tensorflow/tfjs')> {
  tfjsReady ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    setWasmPaths(wasmDirectory());
    // The threaded build needs cross-origin isolation machinery meant for browsers; the pool gives
    // parallelism across jobs instead.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend failed to start');
    await tf.ready();
    return tf;
  })();
  return tfjsReady;
}

const LOADERS: Record<EsrganEngine, Loader> = {
  async onnx(weights, scale, threads) {
    const ort = await import('onnxruntime-node');
    const artifacts = await esrganModelHandler(weights, scale).load!();
    const model = kerasToOnnx(artifacts as KerasModelArtifacts);
    // One inter-op thread: the graph is a chain; intra-op threads split each convolution.
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    const [input] = session.inputNames;
    const [output] = session.outputNames;
    return {
      async predict(pixels, height, width) {
        const result = await session.run({ [input!]: new ort.Tensor('float32', pixels, [1, height, width, 3]) });
        return result[output!]!.data as Float32Array;
      },
    };
  },
  async tfjs(weights, scale) {
    const tf = await tfjs();
    const net = await tf.loadLayersModel(esrganModelHandler(weights, scale));
    return {
      async predict(pixels, height, width) {
        const output = tf.tidy(() => net.predict(tf.tensor4d(pixels, [1, height, width, 3])) as import('@tensorflow/tfjs').Tensor);
        try {
          return (await output.data()) as Float32Array;
        } finally {
          output.dispose();
        }
      },
    };
  },
};

/** Whether onnxruntime-node's native binary loads here; `auto` asks once per process. */
let onnxLoads: Promise<boolean> | undefined;

export async function resolveEngine(choice: EsrganEngine | 'auto'): Promise<EsrganEngine> {
  if (choice !== 'auto') return choice;
  onnxLoads ??= import('onnxruntime-node').then(
    () => true,
    () => false,
  );
  return (await onnxLoads) ? 'onnx' : 'tfjs';
}

/** Threads for one worker's ONNX session: its share of the machine's cores. */
export const threadsPerWorker = (workers: number) => Math.max(1, Math.floor(availableParallelism() / workers));

export function loadPredictor(engine: EsrganEngine, weights: EsrganWeights, scale: number, threads: number): Promise<Predictor> {
  return LOADERS[engine](weights, scale, threads);
}
