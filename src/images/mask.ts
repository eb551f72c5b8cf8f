/**
 * Masks in canonical form: one 8-bit channel, 255 = repaint, 0 = keep, the size of the image.
 * Each provider derives its backend's form from this one (alpha for OpenAI, B/W for A1111, ...).
 */
import sharp from 'sharp';
import { invalidRequest, type Warning } from '../imagegen/index.ts';
import { decodeRaw, inspectImage } from './decode.ts';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './limits.ts';

export interface CanonicalMask {
  /** width * height bytes, each 0 or 255. */
  data: Buffer;
  width: number;
  height: number;
  warnings: Warning[];
}

/**
 * Read a caller's mask. Grey levels are thresholded at 128. A mask of another size is resized to
 * the image (with a warning). A mask with transparency is refused: alpha means "edit" to OpenAI
 * and "keep" to A1111, and guessing would repaint the wrong region.
 */
export async function toCanonicalMask(
  bytes: Uint8Array,
  size: { width: number; height: number },
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): Promise<CanonicalMask> {
  const info = await inspectImage(bytes, 'mask', limits);
  const warnings: Warning[] = [];
  if (info.hasAlpha) {
    const alpha = await sharp(bytes)
      .extractChannel('alpha')
      .raw()
      .toBuffer()
      .catch((error: Error) => {
        throw invalidRequest(`mask could not be decoded: ${error.message}`, 'mask');
      });
    if (alpha.some((value) => value !== 255)) {
      throw invalidRequest(
        'mask has transparent pixels; masks are white = repaint, black = keep, with no alpha. ' +
          'Convert an OpenAI-style mask (transparent = edit) by painting its transparent area white on black.',
        'mask',
      );
    }
  }
  if (info.width !== size.width || info.height !== size.height) {
    warnings.push({
      type: 'changed',
      setting: 'mask',
      message: `mask resized from ${info.width}x${info.height} to the image's ${size.width}x${size.height}`,
    });
  }
  let data: Buffer;
  try {
    ({ data } = await sharp(bytes, { limitInputPixels: limits.maxPixels })
      .rotate()
      .removeAlpha()
      .resize(size.width, size.height, { fit: 'fill', kernel: 'nearest' })
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true }));
  } catch (error) {
    // The header was fine (inspectImage) but the pixels are not: the caller's mask, a 400.
    throw invalidRequest(`mask could not be decoded: ${(error as Error).message}`, 'mask');
  }
  for (let i = 0; i < data.length; i++) data[i] = data[i]! >= 128 ? 255 : 0;
  return { data, width: size.width, height: size.height, warnings };
}

/** Encode a canonical mask as a greyscale PNG (white = repaint), the form most backends take. */
export async function maskToPng(mask: CanonicalMask): Promise<Uint8Array> {
  return new Uint8Array(
    // Without toColourspace sharp writes a 3-channel sRGB PNG.
    await sharp(mask.data, { raw: { width: mask.width, height: mask.height, channels: 1 } }).toColourspace('b-w').png().toBuffer(),
  );
}

/**
 * OpenAI's mask form: an RGBA copy of the image with alpha 0 (transparent = edit) where the
 * canonical mask is 255, opaque elsewhere. The image is resized to the mask if they differ.
 */
export async function maskToAlphaPng(image: Uint8Array, mask: CanonicalMask, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Promise<Uint8Array> {
  const { data } = await decodeRaw(image, 'image', { limits, channels: 4, size: { width: mask.width, height: mask.height } });
  for (let p = 0; p < mask.width * mask.height; p++) data[p * 4 + 3] = mask.data[p] === 255 ? 0 : 255;
  return new Uint8Array(await sharp(data, { raw: { width: mask.width, height: mask.height, channels: 4 } }).png().toBuffer());
}

/**
 * The reverse, for callers that speak OpenAI (POST /v1/images/edits): a mask whose fully
 * transparent pixels (alpha 0) are the area to edit becomes a canonical white-on-black PNG.
 * A mask with no alpha channel cannot be read that way: a 400 saying so.
 */
export async function alphaMaskToCanonicalPng(bytes: Uint8Array, param: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Promise<Uint8Array> {
  const info = await inspectImage(bytes, param, limits);
  if (!info.hasAlpha) {
    throw invalidRequest(`${param} has no alpha channel; OpenAI-style masks mark the area to edit as fully transparent (alpha 0)`, param);
  }
  const { data, width, height } = await decodeRaw(bytes, param, { limits, channels: 4 });
  const grey = Buffer.alloc(width * height);
  for (let p = 0; p < grey.length; p++) grey[p] = data[p * 4 + 3] === 0 ? 255 : 0;
  return new Uint8Array(await sharp(grey, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toBuffer());
}
