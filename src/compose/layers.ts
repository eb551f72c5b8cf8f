/**
 * Image fields become inline PNG or JPEG data URLs before anything is drawn. Caller bytes are
 * vetted by images/ (format, bytes, pixels); a `{"generate": ...}` layer goes through
 * engine.generate like any /v1/generate request (same policy, same cache). No URL is fetched.
 */
import type { Request, Warning } from '../imagegen/index.ts';
import { convertImage, decodeBase64Image, inspectImage, type DecodeLimits } from '../images/index.ts';
import type { RequestContext } from '../engine.ts';
import type { FieldSpec, ImageValue } from './fields.ts';

export type GenerateFn = (modelId: string | undefined, request: Request, context: RequestContext) => Promise<{ images: { bytes: Uint8Array }[]; warnings: Warning[] }>;

/** Who asks (principal, request id, signal): handed on so a layer meets the same policy as /v1/generate. */
export type LayerCall = Omit<RequestContext, 'route'>;

export interface LayerContext extends LayerCall {
  generate: GenerateFn;
  decodeLimits: DecodeLimits;
}

/** A generate layer without a seed uses this one, so the same card comes out every time. */
const DEFAULT_LAYER_SEED = 0;

export async function resolveImage(
  value: ImageValue,
  spec: FieldSpec,
  param: string,
  context: LayerContext,
  warnings: Warning[],
): Promise<string> {
  let bytes: Uint8Array;
  if (typeof value === 'string') {
    bytes = decodeBase64Image(value, param);
  } else {
    const layer = value.generate;
    const [width, height] = (spec.generate_size ?? '512x512').split('x').map(Number) as [number, number];
    const request: Request = { prompt: layer.prompt, n: 1, size: { width, height }, seed: layer.seed ?? DEFAULT_LAYER_SEED };
    if (layer.steps !== undefined) request.steps = layer.steps;
    if (layer.negative_prompt !== undefined) request.negativePrompt = layer.negative_prompt;
    const { generate, decodeLimits: _limits, ...call } = context;
    const result = await generate(layer.model, request, { ...call, route: 'compose' });
    for (const warning of result.warnings) warnings.push({ ...warning, message: `${param}: ${warning.message}` });
    bytes = result.images[0]!.bytes;
  }
  const info = await inspectImage(bytes, param, context.decodeLimits);
  // satori draws PNG and JPEG; other formats are re-encoded as PNG first.
  const format = info.format === 'jpeg' ? 'jpeg' : 'png';
  const inline = await convertImage(bytes, format, param);
  return `data:image/${format};base64,${Buffer.from(inline).toString('base64')}`;
}
