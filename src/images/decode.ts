/**
 * The one place untrusted image bytes are decoded. Format is sniffed from magic bytes (a caller's
 * MIME type is not trusted), size and pixel limits are enforced before any pixel is decoded.
 */
import sharp, { type Metadata } from 'sharp';
import { ImagegenError, invalidRequest } from '../imagegen/index.ts';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './limits.ts';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif';

export const MIME_BY_FORMAT: Record<ImageFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
};

const MAGIC: { format: ImageFormat; test: (b: Uint8Array) => boolean }[] = [
  { format: 'png', test: (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 },
  { format: 'jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  {
    format: 'webp',
    test: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP',
  },
  { format: 'gif', test: (b) => ascii(b, 0, 4) === 'GIF8' },
];

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  return MAGIC.find((m) => m.test(bytes))?.format;
}

export interface DecodedInfo {
  format: ImageFormat;
  mimeType: string;
  width: number;
  height: number;
  channels: number;
  hasAlpha: boolean;
}

/** Check bytes are an image within limits, and read its header. `param` names the field at fault. */
export async function inspectImage(
  bytes: Uint8Array,
  param: string,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): Promise<DecodedInfo> {
  if (bytes.byteLength > limits.maxBytes) {
    throw new ImagegenError('payload_too_large', `${param} is ${bytes.byteLength} bytes; the limit is ${limits.maxBytes}`, {
      param,
    });
  }
  const format = sniffFormat(bytes);
  if (!format) throw invalidRequest(`${param} is not a PNG, JPEG, WebP or GIF image`, param);
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw invalidRequest(`${param} could not be decoded as ${format}`, param);
  }
  // The size as displayed: decodeRaw applies the EXIF orientation, so a rotated photo and its
  // mask line up, and callers that size work from this header see the same shape.
  const turned = (meta.orientation ?? 1) >= 5;
  const width = turned ? meta.height : meta.width;
  const height = turned ? meta.width : meta.height;
  if (!width || !height) throw invalidRequest(`${param} has no dimensions`, param);
  if (width * height > limits.maxPixels) {
    throw new ImagegenError(
      'payload_too_large',
      `${param} is ${width}x${height} (${width * height} pixels); the decode limit is ${limits.maxPixels} pixels`,
      { param },
    );
  }
  return {
    format,
    mimeType: MIME_BY_FORMAT[format],
    width,
    height,
    channels: meta.channels ?? 3,
    hasAlpha: meta.hasAlpha ?? false,
  };
}

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  /** Colour already multiplied by alpha (a rasteriser's native output); encoding undoes it. */
  premultiplied?: boolean;
}

/** Decode to raw pixels (after inspectImage has vetted the bytes), optionally resized. */
export async function decodeRaw(
  bytes: Uint8Array,
  param: string,
  options: { limits?: DecodeLimits; channels?: 3 | 4; size?: { width: number; height: number } } = {},
): Promise<RawImage> {
  const limits = options.limits ?? DEFAULT_DECODE_LIMITS;
  await inspectImage(bytes, param, limits);
  try {
    let pipeline = sharp(bytes, { limitInputPixels: limits.maxPixels }).rotate();
    if (options.size) pipeline = pipeline.resize(options.size.width, options.size.height, { fit: 'fill' });
    if (options.channels === 3) pipeline = pipeline.removeAlpha();
    if (options.channels === 4) pipeline = pipeline.ensureAlpha();
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (error) {
    throw invalidRequest(`${param} could not be decoded: ${(error as Error).message}`, param);
  }
}
