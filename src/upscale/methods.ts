/**
 * The upscale methods and scales callers may name: plain data, shared by the config schema, the
 * wire schema and the upscaler (no runtime dependency here).
 */
export const UPSCALE_METHODS = ['esrgan', 'esrgan-medium', 'lanczos', 'provider'] as const;
export type UpscaleMethod = (typeof UPSCALE_METHODS)[number];

/**
 * Every scale here is native for both ESRGAN packages: @upscalerjs/esrgan-slim and -medium 1.0.0
 * ship one set of weights per factor (models/x2, x3, x4, x8). No scale is composed of two passes.
 */
export const UPSCALE_SCALES = [2, 3, 4, 8] as const;
export type UpscaleScale = (typeof UPSCALE_SCALES)[number];

/**
 * Where ESRGAN runs: `onnx` (ONNX Runtime, native, multi-threaded), `tfjs` (tfjs on wasm), or
 * `auto`: onnx where its binary loads, else tfjs. Both run the same weights; see esrgan-engines.ts.
 */
export const ESRGAN_ENGINE_CHOICES = ['auto', 'onnx', 'tfjs'] as const;
export type EsrganEngine = Exclude<(typeof ESRGAN_ENGINE_CHOICES)[number], 'auto'>;
