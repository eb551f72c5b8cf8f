/**
 * The baseline for bench/upscale: UpscalerJS 1.0.0 (`upscaler`, its browser entry, as the issue
 * asks; never `upscaler/node`, which needs tfjs-node's native download) on @tensorflow/tfjs 4.11
 * with the wasm backend, running the same @upscalerjs/esrgan-slim weights read from the same
 * package files. Node has no canvas, so images go in and out as tensors: its times include no
 * PNG decode or encode (ours do).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import esrganSlim4x from '@upscalerjs/esrgan-slim/4x';
import { esrganModelHandler, wasmDirectory } from '../src/upscale/esrgan-weights.ts';

interface UpscalerLike {
  upscale(image: tf.Tensor3D, options: { output: 'tensor'; patchSize?: number; padding?: number }): Promise<tf.Tensor3D>;
  warmup(sizes: { patchSize: number }[]): Promise<void>;
}

/** Patch options: none is one tensor for the whole image (its default). */
export type UpscalerJsPatching = { patchSize?: number; padding?: number };

export async function loadUpscalerJs(): Promise<{ upscale(rgb: Uint8Array, width: number, height: number, patching: UpscalerJsPatching): Promise<Float32Array | Int32Array | Uint8Array> }> {
  setWasmPaths(wasmDirectory());
  // The same wasm build our tfjs engine uses (SIMD, one thread).
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend failed to start');
  await tf.ready();
  // The package's browser build uses extensionless ESM imports; tsx's loader resolves them.
  const { default: Upscaler } = (await import('upscaler')) as unknown as { default: new (options: { model: object }) => UpscalerLike };
  // The package's own model definition, with its path swapped for a file loader (it would fetch from a CDN).
  const upscaler = new Upscaler({ model: { ...esrganSlim4x, path: esrganModelHandler('esrgan-slim', 4) } });
  await upscaler.warmup([{ patchSize: 16 }]);
  return {
    async upscale(rgb, width, height, patching) {
      const input = tf.tensor3d(rgb, [height, width, 3], 'int32');
      const output = await upscaler.upscale(input, { output: 'tensor', ...patching });
      const data = await output.data();
      input.dispose();
      output.dispose();
      return data;
    },
  };
}
