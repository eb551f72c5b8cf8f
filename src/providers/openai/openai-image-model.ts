/**
 * One OpenAI Images model: POST /images/generations (JSON) for text-to-image, POST /images/edits
 * (multipart, PNG parts, canonical mask -> transparent-means-edit) for edits. Base64 only. Knobs
 * OpenAI has no field for come back as warnings; token usage is kept. GPT image models stream a
 * one-image call (`stream: true`, `partial_images`) so its partial images reach onProgress as
 * previews; n > 1 stays one plain call, as no stream event says which image it belongs to.
 */
import { z } from 'zod';
import { ImagegenError, defineImageModel, invalidRequest, seedAt, type ImageModel, type SeededRequest, type Warning } from '../../imagegen/index.ts';
import { convertImage, inspectImage, maskToAlphaPng, maskToPng, toAlphaPng, toCanonicalMask, type DecodeLimits } from '../../images/index.ts';
import { dropKnob, normalizeKnobs, type NativeKnobs } from '../../knobs/index.ts';
import { errorFromResponse, httpCall, readJson, type FetchFunction } from '../http.ts';
import { asAsked, bytesFromBase64, outputImage } from '../provider-utils.ts';
import { issueMessage, issueParam } from '../../zod-messages.ts';
import { parseOpenAIError } from './openai-error.ts';
import { readImageStream, type ImagesRoute } from './openai-stream.ts';
import { openAIModelRules, type OpenAIModelRules } from './openai-settings.ts';

export interface OpenAIModelConfig {
  provider: string;
  baseURL: string;
  /** Headers for every call (auth included), built when a call is made so the key is read lazily. */
  headers: () => Record<string, string>;
  fetch?: FetchFunction;
  timeoutMs: number;
  /** Gateway-specific body fields (LiteLLM, LocalAI, OpenRouter); the canonical fields win over them. */
  extraFields: Record<string, unknown>;
  /** stable-diffusion.cpp's /v1: embed seed and knobs as `<sd_cpp_extra_args>` in the prompt. */
  sdCppExtraArgs: boolean;
  concurrency: number;
  /** Partial images a streamed call asks for (1-3); 0 sends no `stream` at all. */
  partialImages: number;
  decodeLimits?: DecodeLimits;
}

/** OpenAI takes 0-3 (openai-node ImageGenerateParamsBase.partial_images); 0 here means "do not stream". */
export const PARTIAL_IMAGES_MAX = 3;

/** Per-request extras a library caller may pass as `providerOptions.openai`. */
export const OpenAIRequestOptions = z
  .object({
    quality: z.string().optional(),
    style: z.string().optional(),
    background: z.enum(['transparent', 'opaque', 'auto']).optional(),
    moderation: z.enum(['low', 'auto']).optional(),
    input_fidelity: z.enum(['high', 'low']).optional(),
    user: z.string().optional(),
    /** Overrides the backend's partial_images for this call; 0 turns streaming off. */
    partial_images: z.number().int().min(0).max(PARTIAL_IMAGES_MAX).optional(),
  })
  .strict();

const ImagesAnswer = z.looseObject({
  data: z.array(z.looseObject({ b64_json: z.string().optional(), url: z.string().optional(), revised_prompt: z.string().optional() })),
  usage: z.looseObject({ input_tokens: z.number().optional(), output_tokens: z.number().optional(), total_tokens: z.number().optional() }).optional(),
});

export function createOpenAIImageModel(id: string, config: OpenAIModelConfig): ImageModel {
  const rules = openAIModelRules(id, { sdCppExtraArgs: config.sdCppExtraArgs });
  return defineImageModel({
    id,
    provider: config.provider,
    capabilities: rules.capabilities,
    knobs: rules.dialect.knobs,
    maxImagesPerCall: rules.maxImagesPerCall,
    concurrency: config.concurrency,
    async doGenerate(request, call) {
      const { knobs, warnings } = normalizeKnobs(asAsked(request), rules.dialect);
      const options = parseRequestOptions(request);
      const partials = partialImages(request, rules, options, config.partialImages, warnings);
      const fields: Record<string, unknown> = {
        ...config.extraFields,
        model: id,
        prompt: config.sdCppExtraArgs ? withSdCppExtraArgs(request, knobs) : request.prompt,
        n: request.n,
        ...(knobs.size && { size: `${knobs.size.width}x${knobs.size.height}` }),
        ...(rules.sendResponseFormat && { response_format: 'b64_json' }),
        ...requestOptions(request, rules, options, warnings),
        ...(partials > 0 && { stream: true, partial_images: partials }),
      };
      const post = (path: string, init: RequestInit) =>
        httpCall(`${config.baseURL}${path}`, { method: 'POST', ...init }, { provider: config.provider, fetch: config.fetch, timeoutMs: config.timeoutMs, signal: call.signal });

      const route: ImagesRoute = request.image ? '/images/edits' : '/images/generations';
      const response = request.image
        ? await post(route, { headers: config.headers(), body: await editForm(fields, request, rules, config.decodeLimits, warnings) })
        : await post(route, { headers: { ...config.headers(), 'content-type': 'application/json' }, body: JSON.stringify(fields) });
      if (!response.ok) throw await errorFromResponse(response, config.provider, parseOpenAIError);
      // A gateway that ignores `stream` answers JSON: read whichever came.
      const streamed = response.headers.get('content-type')?.startsWith('text/event-stream');
      const body = streamed
        ? await readImageStream(response, { provider: config.provider, route, partials, call, decodeLimits: config.decodeLimits })
        : await readJson(response, config.provider);
      const parsed = ImagesAnswer.safeParse(body);
      if (!parsed.success) {
        throw new ImagegenError('provider_error', `${config.provider} answered without an image list (data[])`, { provider: config.provider, retryable: true });
      }
      const answer = parsed.data;

      const images = await Promise.all(
        answer.data.map((item, index) => {
          if (item.b64_json === undefined) {
            // Only base64 is read: a URL would mean fetching from wherever the answer points.
            throw new ImagegenError('provider_error', `${config.provider} answered with ${item.url ? 'a URL' : 'no image'} instead of b64_json`, {
              provider: config.provider,
              retryable: false,
            });
          }
          // sd.cpp uses the embedded seed for image 0 and seed + i for the rest of the batch.
          const seed = config.sdCppExtraArgs ? seedAt(request.seed, index) : undefined;
          return outputImage(bytesFromBase64(item.b64_json), config.provider, config.decodeLimits, seed);
        }),
      );
      if (images.length < request.n) {
        warnings.push({ type: 'partial', setting: 'n', message: `${config.provider} returned ${images.length} of ${request.n} images` });
      }
      return {
        images,
        warnings,
        usage: {
          ...(answer.usage?.input_tokens !== undefined && { inputTokens: answer.usage.input_tokens }),
          ...(answer.usage?.output_tokens !== undefined && { outputTokens: answer.usage.output_tokens }),
          ...(answer.usage?.total_tokens !== undefined && { totalTokens: answer.usage.total_tokens }),
        },
        raw: { ...answer, data: answer.data.map(({ b64_json: _bytes, ...rest }) => rest) },
      };
    },
  });
}

type RequestOptions = z.infer<typeof OpenAIRequestOptions>;

function parseRequestOptions(request: SeededRequest): RequestOptions {
  const raw = request.providerOptions?.openai;
  if (raw === undefined) return {};
  const parsed = OpenAIRequestOptions.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalidRequest(`providerOptions.openai: ${issueMessage(issue, raw, 'provider_options')}`, issueParam(issue, 'provider_options'));
  }
  return parsed.data;
}

/** quality and style, checked against the model's table; the other extras pass through. */
function requestOptions(request: SeededRequest, rules: OpenAIModelRules, options: RequestOptions, warnings: Warning[]): Record<string, unknown> {
  const { quality, style, partial_images: _streaming, ...rest } = options;
  const out: Record<string, unknown> = { ...rest };
  for (const [field, value, allowed] of [
    ['quality', quality, rules.qualities],
    ['style', style, rules.styles],
  ] as const) {
    if (value === undefined) continue;
    if (!allowed) {
      dropKnob(request, warnings, field, `${rules.dialect.name} has no ${field}`, '; it was ignored');
    } else if (!allowed.includes(value)) {
      throw invalidRequest(`${field} "${value}" is not one of ${allowed.join(', ')} for ${rules.dialect.name}`, field);
    } else out[field] = value;
  }
  return out;
}

/**
 * How many partial images this call streams (0: a plain JSON call). Only GPT image models stream,
 * and only with n = 1; a caller who asked for partials where none can come is told so.
 */
function partialImages(request: SeededRequest, rules: OpenAIModelRules, options: RequestOptions, configured: number, warnings: Warning[]): number {
  const wanted = options.partial_images ?? configured;
  if (wanted === 0) return 0;
  const reason = !rules.streams ? `${rules.dialect.name} does not stream partial images` : request.n > 1 ? 'partial images are streamed only when n is 1' : undefined;
  if (reason === undefined) return wanted;
  if (options.partial_images !== undefined) dropKnob(request, warnings, 'partial_images', reason, '; it was ignored');
  return 0;
}

/** The multipart body of an edit: PNG parts (OpenAI refuses application/octet-stream), the mask in the backend's form. */
async function editForm(
  fields: Record<string, unknown>,
  request: SeededRequest,
  rules: OpenAIModelRules,
  limits: DecodeLimits | undefined,
  warnings: Warning[],
): Promise<FormData> {
  const source = request.image!;
  const info = await inspectImage(source.bytes, 'image', limits);
  const png = rules.alphaEditImage ? await toAlphaPng(source.bytes, 'image') : await convertImage(source.bytes, 'png', 'image');
  if (rules.squarePngEditsUnder !== undefined) {
    if (info.width !== info.height) throw invalidRequest(`${rules.dialect.name} edits need a square image; this one is ${info.width}x${info.height}`, 'image');
    if (png.byteLength >= rules.squarePngEditsUnder) {
      throw new ImagegenError('payload_too_large', `${rules.dialect.name} edits need a PNG under ${rules.squarePngEditsUnder} bytes; this one is ${png.byteLength}`, { param: 'image' });
    }
  }
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) form.append(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  form.append(rules.imageArrayField ? 'image[]' : 'image', pngBlob(png), 'image.png');
  if (request.mask) {
    const mask = await toCanonicalMask(request.mask.bytes, { width: info.width, height: info.height }, limits);
    warnings.push(...mask.warnings);
    const maskPng = rules.maskForm === 'alpha' ? await maskToAlphaPng(source.bytes, mask, limits) : await maskToPng(mask);
    form.append('mask', pngBlob(maskPng), 'mask.png');
  }
  return form;
}

/**
 * stable-diffusion.cpp's /v1 route ignores a top-level seed (its CLI default, 42, would repeat every
 * time): the seed and knobs go into the prompt as native JSON, which the server strips out.
 */
function withSdCppExtraArgs(request: SeededRequest, knobs: NativeKnobs): string {
  const sampleParams = {
    ...(knobs.steps !== undefined && { sample_steps: knobs.steps }),
    ...(knobs.sampler !== undefined && { sample_method: knobs.sampler }),
    ...(knobs.scheduler !== undefined && { scheduler: knobs.scheduler }),
    ...(knobs.cfgScale !== undefined && { guidance: { txt_cfg: knobs.cfgScale } }),
  };
  const args = {
    seed: request.seed,
    ...(knobs.negativePrompt !== undefined && { negative_prompt: knobs.negativePrompt }),
    ...(knobs.strength !== undefined && { strength: knobs.strength }),
    ...(Object.keys(sampleParams).length > 0 && { sample_params: sampleParams }),
  };
  return `${request.prompt} <sd_cpp_extra_args>${JSON.stringify(args)}</sd_cpp_extra_args>`;
}

/** A PNG part; copied so the Blob owns a plain ArrayBuffer. */
const pngBlob = (bytes: Uint8Array): Blob => new Blob([new Uint8Array(bytes)], { type: 'image/png' });
