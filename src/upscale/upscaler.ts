/**
 * Upscaling: an image and a factor in, an image exactly factor times larger out, by one of four
 * methods (a table). ESRGAN runs tiled in the worker pool; Lanczos is sharp's lanczos3; `provider`
 * asks an SDAPI server. Alpha is never dropped: models see RGB only, and the alpha channel is
 * upscaled with Lanczos and joined back. Output size is checked before any work starts.
 */
import sharp from 'sharp';
import { abortError, ImagegenError, invalidRequest, type Image, type ProgressEvent, type Warning } from '../imagegen/index.ts';
import { decodeRaw, encodeRaw, inspectImage, MIME_BY_FORMAT, type DecodeLimits, type OutputFormat, type RawImage } from '../images/index.ts';
import { createSdapiUpscaler, type SdapiUpscaler } from '../providers/sdapi/sdapi-upscale.ts';
import { resolveEngine, threadsPerWorker } from './esrgan-engines.ts';
import type { EsrganWeights } from './esrgan-weights.ts';
import { UPSCALE_SCALES, type EsrganEngine, type UpscaleMethod } from './methods.ts';
import { createWorkerPool, type WorkerPool } from './pool.ts';

/**
 * A tile's output side is capped (tile side <= this / scale). On tfjs the models' last layers
 * hold scale^2 * 3 channels at output resolution, so an 8x tile of 128 would need ~800 MB of wasm
 * heap for one tensor; at 512 output pixels it is 200 MB for 8x and 50 MB for 4x. The onnx graph
 * never builds that tensor (onnx-model.ts folds the upsample), so its tiles are bounded by the
 * 64-channel layers at input resolution: 16 MB each for a 256 tile.
 */
export const MAX_TILE_OUTPUT_SIDE: Record<EsrganEngine, number> = { tfjs: 512, onnx: 2048 };

export interface UpscaleSettings {
  defaultMethod: UpscaleMethod;
  /** Where ESRGAN runs (esrgan-engines.ts); `auto` when unset. */
  engine?: EsrganEngine | 'auto';
  workers: number;
  maxQueue: number;
  /** Largest output, width * height. */
  maxOutputPixels: number;
  /** Tile side in input pixels (capped by MAX_TILE_OUTPUT_SIDE / scale), and context pixels around each tile. */
  tileSize: number;
  tileOverlap: number;
  /** The SDAPI server for the `provider` method, when one is configured. */
  provider?: { name: string; baseURL: string; upscaler: string; timeoutMs?: number; headers?: () => Record<string, string> };
}

export interface UpscaleInput {
  image: Uint8Array;
  scale: number;
  method?: UpscaleMethod;
  format?: OutputFormat;
  /** Tile side for this job, uncapped (the bench compares tiled with one tile); the setting otherwise. */
  tileSize?: number;
}

export interface UpscaleOptions {
  signal?: AbortSignal;
  /** Tiles done of total (ESRGAN); one step for the other methods. */
  onProgress?: (event: ProgressEvent) => void;
}

export interface UpscaleOutcome {
  image: Image & { width: number; height: number };
  method: UpscaleMethod;
  /** Who did the work: `local`, or the SDAPI provider's name. */
  provider: string;
  /** The model that ran, e.g. `esrgan-slim x4 (onnx)`, `lanczos3`, or the SDAPI upscaler's name. */
  model: string;
  warnings: Warning[];
}

/** A request checked and sized, ready to run: refusals (4xx) happen before any work. */
export interface UpscaleJob {
  width: number;
  height: number;
  outWidth: number;
  outHeight: number;
  method: UpscaleMethod;
  run(options?: UpscaleOptions): Promise<UpscaleOutcome>;
}

export interface Upscaler {
  prepare(input: UpscaleInput): Promise<UpscaleJob>;
  upscale(input: UpscaleInput, options?: UpscaleOptions): Promise<UpscaleOutcome>;
  stats(): ReturnType<WorkerPool['stats']>;
  close(): Promise<void>;
}

export interface UpscalerDependencies {
  decodeLimits: DecodeLimits;
  fetch?: typeof globalThis.fetch;
}

/** What a method does with the image's RGB (or RGBA, for Lanczos): pixels of exactly the output size. */
interface MethodContext {
  raw: RawImage;
  scale: number;
  outWidth: number;
  outHeight: number;
  /** The job's own tile side (the bench's); the setting, capped for the engine, otherwise. */
  tileSize?: number;
  options: UpscaleOptions;
}

interface MethodRunner {
  model(scale: number): string | Promise<string>;
  /** Whether the runner resizes alpha itself (else it returns RGB and alpha is upscaled with Lanczos and joined). */
  keepsAlpha: boolean;
  run(context: MethodContext): Promise<RawImage>;
}

export function createUpscaler(settings: UpscaleSettings, deps: UpscalerDependencies): Upscaler {
  const pool = createWorkerPool({ size: settings.workers, maxQueue: settings.maxQueue });
  const sdapi: SdapiUpscaler | undefined = settings.provider
    ? createSdapiUpscaler({
        baseURL: settings.provider.baseURL,
        provider: settings.provider.name,
        fetch: deps.fetch,
        timeoutMs: settings.provider.timeoutMs,
        headers: settings.provider.headers,
      })
    : undefined;

  const engine = () => resolveEngine(settings.engine ?? 'auto');
  const threads = threadsPerWorker(settings.workers);

  const esrgan = (weights: EsrganWeights): MethodRunner => ({
    model: async (scale) => `${weights} x${scale} (${await engine()})`,
    keepsAlpha: false,
    async run({ raw, scale, outWidth, outHeight, tileSize, options }) {
      const rgb = await toRgb(raw);
      const runs = await engine();
      const tile = tileSize ?? Math.min(settings.tileSize, Math.floor(MAX_TILE_OUTPUT_SIDE[runs] / scale));
      const data = await pool.run(
        { weights, scale, width: raw.width, height: raw.height, rgb, tileSize: tile, overlap: settings.tileOverlap, engine: runs, threads },
        { signal: options.signal, onProgress: (done, total) => options.onProgress?.({ step: done, totalSteps: total, fraction: done / total }) },
      );
      return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width: outWidth, height: outHeight, channels: 3 };
    },
  });

  const METHODS: Record<UpscaleMethod, MethodRunner> = {
    esrgan: esrgan('esrgan-slim'),
    'esrgan-medium': esrgan('esrgan-medium'),
    // sharp's resize with the lanczos3 kernel. Measured and read in libvips (resize.c,
    // vips_resize_interpolate): when enlarging, libvips uses its bicubic interpolator for every
    // kernel but nearest and linear, so this is the fast path, not a true Lanczos window.
    lanczos: {
      model: () => 'sharp lanczos3',
      keepsAlpha: true,
      async run({ raw, outWidth, outHeight, options }) {
        const pixels = await resizeRaw(raw, outWidth, outHeight);
        options.onProgress?.({ step: 1, totalSteps: 1, fraction: 1 });
        return pixels;
      },
    },
    provider: {
      model: () => settings.provider?.upscaler ?? 'provider',
      keepsAlpha: false,
      async run({ raw, scale, outWidth, outHeight, options }) {
        const png = await encodeRaw({ ...raw, data: await toRgb(raw), channels: 3 }, 'png');
        const answer = await sdapi!.upscale({ image: png, scale, upscaler: settings.provider!.upscaler, signal: options.signal });
        const limits = { maxBytes: Number.MAX_SAFE_INTEGER, maxPixels: settings.maxOutputPixels };
        let decoded: RawImage;
        try {
          decoded = await decodeRaw(answer, 'provider image', { limits });
        } catch (error) {
          throw new ImagegenError('provider_error', `${settings.provider!.name} answered with an unusable image: ${(error as Error).message}`, {
            provider: settings.provider!.name,
          });
        }
        if (decoded.width !== outWidth || decoded.height !== outHeight) {
          throw new ImagegenError(
            'provider_error',
            `${settings.provider!.name} answered ${decoded.width}x${decoded.height} for a ${scale}x upscale; expected ${outWidth}x${outHeight} (not resized to fit)`,
            { provider: settings.provider!.name },
          );
        }
        options.onProgress?.({ step: 1, totalSteps: 1, fraction: 1 });
        return { ...decoded, data: await toRgb(decoded), channels: 3 };
      },
    },
  };

  async function prepare(input: UpscaleInput): Promise<UpscaleJob> {
    const method = input.method ?? settings.defaultMethod;
    if (!(UPSCALE_SCALES as readonly number[]).includes(input.scale)) {
      throw invalidRequest(`scale must be one of ${UPSCALE_SCALES.join(', ')}; got ${input.scale}`, 'scale');
    }
    if (method === 'provider' && !sdapi) {
      throw new ImagegenError('unsupported', 'method "provider" needs an SDAPI server: set upscale.provider in the config', { param: 'method' });
    }
    const info = await inspectImage(input.image, 'image', deps.decodeLimits);
    const outWidth = info.width * input.scale;
    const outHeight = info.height * input.scale;
    if (outWidth * outHeight > settings.maxOutputPixels) {
      throw new ImagegenError(
        'payload_too_large',
        `a ${input.scale}x upscale of ${info.width}x${info.height} would be ${outWidth}x${outHeight} (${outWidth * outHeight} pixels); ` +
          `the output limit is ${settings.maxOutputPixels} pixels (upscale.max_output_pixels)`,
        { param: 'scale' },
      );
    }
    const format = input.format ?? 'png';
    const runner = METHODS[method];
    return {
      width: info.width,
      height: info.height,
      outWidth,
      outHeight,
      method,
      async run(options = {}) {
        if (options.signal?.aborted) throw abortError(options.signal);
        const raw = await decodeRaw(input.image, 'image', { limits: deps.decodeLimits });
        const hasAlpha = raw.channels === 2 || raw.channels === 4;
        const context: MethodContext = { raw, scale: input.scale, outWidth, outHeight, tileSize: input.tileSize, options };
        let pixels = await runner.run(context);
        if (hasAlpha && !runner.keepsAlpha) pixels = await joinAlpha(pixels, await alphaOf(raw, outWidth, outHeight));
        const warnings: Warning[] = [];
        if (hasAlpha && format === 'jpeg') {
          warnings.push({ type: 'changed', setting: 'format', message: 'JPEG has no alpha channel: transparent areas are flattened onto white' });
        }
        return {
          image: { bytes: await encodeRaw(pixels, format), mimeType: MIME_BY_FORMAT[format], width: outWidth, height: outHeight },
          method,
          provider: method === 'provider' ? settings.provider!.name : 'local',
          model: await runner.model(input.scale),
          warnings,
        };
      },
    };
  }

  return {
    prepare,
    async upscale(input, options) {
      return (await prepare(input)).run(options);
    },
    stats: () => pool.stats(),
    close: () => pool.close(),
  };
}

/** RGB bytes of a decoded image, whatever its channels (grey is expanded, alpha dropped). */
async function toRgb(raw: RawImage): Promise<Buffer> {
  if (raw.channels === 3) return raw.data;
  const pipeline = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
  return pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer();
}

async function resizeRaw(raw: RawImage, width: number, height: number): Promise<RawImage> {
  const { data, info } = await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } })
    .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels as RawImage['channels'] };
}

/** The alpha channel (the last one), upscaled with Lanczos. */
async function alphaOf(raw: RawImage, width: number, height: number): Promise<Buffer> {
  return sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } })
    .extractChannel((raw.channels - 1) as 1 | 3)
    .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
    .raw()
    .toBuffer();
}

async function joinAlpha(rgb: RawImage, alpha: Buffer): Promise<RawImage> {
  const { data } = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .joinChannel(alpha, { raw: { width: rgb.width, height: rgb.height, channels: 1 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: rgb.width, height: rgb.height, channels: 4 };
}
