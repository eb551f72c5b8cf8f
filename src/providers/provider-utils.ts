/**
 * Small steps every remote provider takes: its models built once each, the request as the caller
 * asked it (for knob normalization) and a backend's image bytes vetted into an Image.
 */
import { ImagegenError, type Image, type ImageModel, type ModelInfo, type Request, type SeededRequest } from '../imagegen/index.ts';
import { inspectImage, type DecodeLimits } from '../images/index.ts';

/**
 * The request with the seed only if the caller named it: a backend that takes no seed should warn
 * (or refuse, with strict_knobs) only when a seed was asked for, not for one drawn at random.
 */
export function asAsked(request: SeededRequest): Request {
  const { seedIsRandom, ...rest } = request;
  return seedIsRandom ? { ...rest, seed: undefined } : rest;
}

/** A backend's image bytes, checked (format, limits) and measured. Bad bytes are the backend's fault. */
export async function outputImage(bytes: Uint8Array, provider: string, limits: DecodeLimits | undefined, seed?: number): Promise<Image> {
  try {
    const info = await inspectImage(bytes, 'output', limits);
    return { bytes, mimeType: info.mimeType, width: info.width, height: info.height, ...(seed !== undefined && { seed }) };
  } catch (error) {
    throw new ImagegenError('provider_error', `${provider} returned an image that cannot be used: ${(error as Error).message}`, {
      provider,
      retryable: true,
      cause: error,
    });
  }
}

/** Base64 from a backend (with or without a data: prefix) as bytes. */
export function bytesFromBase64(value: string): Uint8Array {
  const comma = value.startsWith('data:') ? value.indexOf(',') + 1 : 0;
  return new Uint8Array(Buffer.from(value.slice(comma), 'base64'));
}

/** `imageModel(id)` that builds each model once: a model keeps per-model state (rules, discovery). */
export function modelsById(create: (id: string) => ImageModel): (id: string) => ImageModel {
  const models = new Map<string, ImageModel>();
  return (id) => {
    let model = models.get(id);
    if (!model) models.set(id, (model = create(id)));
    return model;
  };
}

/** What listModels says of one of the provider's models. */
export function modelInfo({ id, provider, capabilities, knobs, maxImagesPerCall }: ImageModel): ModelInfo {
  return { id, provider, capabilities, knobs, ...(maxImagesPerCall !== undefined && { maxImagesPerCall }) };
}
