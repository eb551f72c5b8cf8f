/**
 * Images as chat parts, and image generation as a tool, for assistants built on the OpenAI,
 * AI SDK or Anthropic message shapes: a result image goes into the next message as a base64
 * part (never a URL to fetch), and `generate_image` is offered to a model in one line.
 *
 * The tool's parameters are the daemon's /v1/generate body (its zod schema, as JSON Schema), so
 * what a model sends can be posted to the daemon as is, or turned into a library Request.
 */
import { z } from 'zod';
import { LimitsConfig } from './config/index.ts';
import type { Image, Request } from './imagegen/index.ts';
import { toRequest } from './server/canonical.ts';
import { GenerateBody } from './server/schemas.ts';

const base64 = (image: Image) => Buffer.from(image.bytes).toString('base64');

/** OpenAI Chat Completions: `{type: 'image_url', image_url: {url: 'data:...'}}`. */
export function toOpenAIImagePart(image: Image, detail: 'auto' | 'low' | 'high' = 'auto') {
  return { type: 'image_url' as const, image_url: { url: `data:${image.mimeType};base64,${base64(image)}`, detail } };
}

/** AI SDK message content: an image part (`{type: 'image', image, mediaType}`). */
export function toAISDKImagePart(image: Image) {
  return { type: 'image' as const, image: image.bytes, mediaType: image.mimeType };
}

/** AI SDK message content: the same image as a file part, for models that take files. */
export function toAISDKFilePart(image: Image) {
  return { type: 'file' as const, data: image.bytes, mediaType: image.mimeType };
}

/** Anthropic Messages: `{type: 'image', source: {type: 'base64', media_type, data}}`. */
export function toAnthropicImageBlock(image: Image) {
  return { type: 'image' as const, source: { type: 'base64' as const, media_type: image.mimeType, data: base64(image) } };
}

/** What a model may send: the /v1/generate body without the transport switches (async, cache). */
export const GenerateImageToolInput = GenerateBody.omit({ async: true, cache: true });
export type GenerateImageToolInput = z.infer<typeof GenerateImageToolInput>;

const TOOL_DESCRIPTION =
  'Generate images from a text prompt. Optional: model, n, size (WIDTHxHEIGHT), seed (for a repeatable image), steps, cfg_scale, sampler, scheduler, negative_prompt.';

/** OpenAI function calling: `tools: [generateImageTool]` in a chat.completions request. */
export const generateImageTool = {
  type: 'function' as const,
  function: { name: 'generate_image', description: TOOL_DESCRIPTION, parameters: z.toJSONSchema(GenerateImageToolInput, { io: 'input' }) },
};

/**
 * An AI SDK tool (`tools: {generate_image: aiSdkGenerateImageTool(run)}` in generateText): the
 * input schema is the zod schema itself; `run` is yours (post to the daemon, or the library).
 */
export function aiSdkGenerateImageTool<T>(run: (input: GenerateImageToolInput) => Promise<T>) {
  return { description: TOOL_DESCRIPTION, inputSchema: GenerateImageToolInput, execute: run };
}

/** A model's tool-call arguments as a library Request, checked like the daemon checks them. */
export function toolCallToRequest(args: unknown, limits: LimitsConfig = LimitsConfig.parse({})): { model?: string; request: Request } {
  const input = GenerateImageToolInput.parse(args);
  return { ...(input.model !== undefined && { model: input.model }), request: toRequest(input, limits) };
}
