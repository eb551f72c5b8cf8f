/** Wire body (snake_case, strings) -> canonical Request, with the configured limits checked. */
import type { Context } from 'hono';
import { invalidRequest, type ImageInput, type Request } from '../imagegen/index.ts';
import { decodeBase64Image, inspectImage, type DecodeLimits } from '../images/index.ts';
import type { LimitsConfig } from '../config/index.ts';
import type { EditBody, EditForm, GenerateBody } from './schemas.ts';

/**
 * The body's Content-Type, lower-cased. Without one the validators let an empty body through, so
 * this says what is expected instead.
 */
export function requireBody(c: Context): string {
  const contentType = c.req.header('content-type');
  if (!contentType) throw invalidRequest('request body is required: send JSON with Content-Type: application/json', 'body');
  return contentType.toLowerCase();
}

export function toRequest(body: GenerateBody, limits: LimitsConfig): Request {
  if (body.prompt.length > limits.max_prompt_chars) {
    throw invalidRequest(`prompt is ${body.prompt.length} characters; the limit is ${limits.max_prompt_chars}`, 'prompt');
  }
  const n = body.n ?? 1;
  if (n > limits.max_n) throw invalidRequest(`n must be between 1 and ${limits.max_n}`, 'n');
  const request: Request = { prompt: body.prompt, n };
  if (body.size !== undefined) {
    const [width, height] = body.size.split('x').map(Number) as [number, number];
    if ([width, height].some((side) => side < limits.min_side || side > limits.max_side)) {
      throw invalidRequest(`size ${body.size} is out of range: each side must be ${limits.min_side} to ${limits.max_side}`, 'size');
    }
    request.size = { width, height };
  }
  if (body.seed !== undefined) request.seed = body.seed;
  if (body.steps !== undefined) request.steps = body.steps;
  if (body.cfg_scale !== undefined) request.cfgScale = body.cfg_scale;
  if (body.sampler !== undefined) request.sampler = body.sampler;
  if (body.scheduler !== undefined) request.scheduler = body.scheduler;
  if (body.negative_prompt !== undefined) request.negativePrompt = body.negative_prompt;
  if (body.strict_knobs !== undefined) request.strictKnobs = body.strict_knobs;
  return request;
}

/** Edits: the generate fields plus the caller's images, vetted (format, bytes, pixels) up front. */
export async function toEditRequest(body: EditBody | EditForm, limits: LimitsConfig, decodeLimits: DecodeLimits): Promise<Request> {
  const request = toRequest(body, limits);
  request.image = await imageInput(body.image, 'image', decodeLimits);
  if (body.mask !== undefined) request.mask = await imageInput(body.mask, 'mask', decodeLimits);
  if (body.strength !== undefined) request.strength = body.strength;
  return request;
}

async function imageInput(value: string | File, param: string, decodeLimits: DecodeLimits): Promise<ImageInput> {
  const bytes = typeof value === 'string' ? decodeBase64Image(value, param) : new Uint8Array(await value.arrayBuffer());
  const info = await inspectImage(bytes, param, decodeLimits);
  return { bytes, mimeType: info.mimeType };
}
