/** Encoding and format conversion of images we made or already vetted. */
import sharp, { type Sharp } from 'sharp';
import { invalidRequest } from '../imagegen/index.ts';
import { sniffFormat, type RawImage } from './decode.ts';

export type OutputFormat = 'png' | 'webp' | 'jpeg';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['png', 'webp', 'jpeg'];

/** Raw pixels to an encoded image. PNG output is deterministic for the same pixels. */
export async function encodeRaw(raw: RawImage, format: OutputFormat = 'png'): Promise<Uint8Array> {
  const pipeline = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels, premultiplied: raw.premultiplied ?? false } });
  return new Uint8Array(await encodeWith(pipeline, format).toBuffer());
}

/**
 * Re-encode an image into `format`; bytes already in that format pass through untouched. With
 * `param` the bytes are the caller's (vetted by inspectImage): pixels that fail to decode are a
 * 400 naming it, not a backend fault.
 */
export async function convertImage(bytes: Uint8Array, format: OutputFormat, param?: string): Promise<Uint8Array> {
  if (sniffFormat(bytes) === format) return bytes;
  try {
    return new Uint8Array(await encodeWith(sharp(bytes, { limitInputPixels: false }), format).toBuffer());
  } catch (error) {
    if (param === undefined) throw error;
    throw invalidRequest(`${param} could not be decoded: ${(error as Error).message}`, param);
  }
}

/** PNG with an alpha channel (RGBA, or LA for grey): what dall-e-2 edits require of their image. */
export async function toAlphaPng(bytes: Uint8Array, param: string): Promise<Uint8Array> {
  try {
    const image = sharp(bytes, { limitInputPixels: false });
    if ((await image.metadata()).hasAlpha && sniffFormat(bytes) === 'png') return bytes;
    return new Uint8Array(await encodeWith(image.ensureAlpha(), 'png').toBuffer());
  } catch (error) {
    throw invalidRequest(`${param} could not be decoded: ${(error as Error).message}`, param);
  }
}

function encodeWith(pipeline: Sharp, format: OutputFormat): Sharp {
  switch (format) {
    case 'png':
      return pipeline.png({ compressionLevel: 6, adaptiveFiltering: false });
    case 'webp':
      return pipeline.webp({ quality: 90 });
    case 'jpeg':
      return pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: 90, mozjpeg: true });
  }
}
