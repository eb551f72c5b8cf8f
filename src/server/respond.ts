/** Turning a Result into the wire answer: JSON with base64 images, or raw bytes when asked. */
import type { Context } from 'hono';
import { invalidRequest, type Result } from '../imagegen/index.ts';
import { convertImage, MIME_BY_FORMAT, type OutputFormat } from '../images/index.ts';
import type { z } from '@hono/zod-openapi';
import type { ImagesResponse } from './schemas.ts';
import { serverTiming, type Timings } from '../obs/timing.ts';

const RAW_FORMATS: Record<string, OutputFormat> = { 'image/png': 'png', 'image/webp': 'webp', 'image/jpeg': 'jpeg' };

/**
 * The image format the Accept header asks for as raw bytes, or undefined for JSON. JSON wins when
 * it is acceptable at all (`*\/*`, `application/json`), so ordinary clients always get JSON.
 */
export function rawFormatFromAccept(accept: string | undefined): OutputFormat | undefined {
  if (!accept) return undefined;
  const types = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  if (types.some((t) => t === 'application/json' || t === '*/*' || t === 'application/*')) return undefined;
  for (const type of types) if (RAW_FORMATS[type]) return RAW_FORMATS[type];
  return undefined;
}

/** Raw bytes carry one image: refuse n > 1 with such an Accept before any work is done (or billed). */
export function checkAcceptFor(c: Context, n: number): void {
  const raw = rawFormatFromAccept(c.req.header('accept'));
  if (raw && n !== 1) {
    throw invalidRequest(`Accept: ${MIME_BY_FORMAT[raw]} returns exactly one image and n is ${n}; ask for n=1 or accept application/json`, 'n');
  }
}

export async function respondWithImages(
  c: Context,
  result: Result & { cached?: boolean },
  outputFormat: OutputFormat | undefined,
  timings?: Timings,
): Promise<Response> {
  const encoding = performance.now();
  const timed = <T>(value: T): T => {
    if (timings) {
      timings.encode += performance.now() - encoding;
      c.header('Server-Timing', serverTiming(timings));
    }
    return value;
  };
  const raw = rawFormatFromAccept(c.req.header('accept'));
  if (raw) {
    if (result.images.length !== 1) {
      throw invalidRequest(`Accept: ${MIME_BY_FORMAT[raw]} returns exactly one image and this answer has ${result.images.length}; ask for n=1 or accept application/json`, 'n');
    }
    const image = result.images[0]!;
    const bytes = timed(await convertImage(image.bytes, raw));
    c.header('Content-Type', MIME_BY_FORMAT[raw]);
    c.header('X-Model', result.model);
    c.header('X-Provider', result.provider);
    if (image.seed !== undefined) c.header('X-Seed', String(image.seed));
    if (result.warnings.length > 0) c.header('X-Warnings', encodeURIComponent(JSON.stringify(result.warnings)));
    return c.body(toArrayBuffer(bytes), 200);
  }
  const body = timed(await imagesBody(result, outputFormat));
  return c.json(body, 200);
}

/** The JSON answer for a Result; async jobs keep it as their result. */
export async function imagesBody(result: Result & { cached?: boolean }, outputFormat: OutputFormat | undefined): Promise<z.infer<typeof ImagesResponse>> {
  return {
    model: result.model,
    provider: result.provider,
    images: await Promise.all(
      result.images.map(async (image) => {
        const bytes = outputFormat ? await convertImage(image.bytes, outputFormat) : image.bytes;
        return {
          b64_json: Buffer.from(bytes).toString('base64'),
          mime_type: outputFormat ? MIME_BY_FORMAT[outputFormat] : image.mimeType,
          ...(image.width !== undefined && { width: image.width }),
          ...(image.height !== undefined && { height: image.height }),
          ...(image.seed !== undefined && { seed: image.seed }),
        };
      }),
    ),
    warnings: result.warnings.map((w) => ({ type: w.type, message: w.message, ...(w.setting !== undefined && { setting: w.setting }) })),
    usage: {
      images: result.usage.images,
      megapixels: result.usage.megapixels,
      ...(result.usage.inputTokens !== undefined && { input_tokens: result.usage.inputTokens }),
      ...(result.usage.outputTokens !== undefined && { output_tokens: result.usage.outputTokens }),
      ...(result.usage.totalTokens !== undefined && { total_tokens: result.usage.totalTokens }),
    },
    cached: result.cached ?? false,
  };
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
