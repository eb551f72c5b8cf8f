/**
 * One Google image model. Gemini native image output: POST models/{model}:generateContent with
 * the IMAGE response modality, the aspect ratio derived from the size and the seed in
 * generationConfig; edits send the image as an inlineData part (no mask exists: inpainting is
 * prompt-driven). Imagen: POST models/{model}:predict with sampleCount; a filtered prediction is
 * that image missing with a warning, all of them filtered is content_blocked.
 */
import { z } from 'zod';
import { ImagegenError, defineImageModel, type ImageModel, type SeededRequest, type Warning } from '../../imagegen/index.ts';
import { inspectImage, type DecodeLimits } from '../../images/index.ts';
import { dropKnob, normalizeKnobs } from '../../knobs/index.ts';
import { errorFromResponse, excerpt, httpCall, readJson, type FetchFunction } from '../http.ts';
import { asAsked, bytesFromBase64, outputImage } from '../provider-utils.ts';
import { CONTENT_FINISH_REASONS, parseGeminiError } from './gemini-error.ts';
import { geminiModelRules } from './gemini-settings.ts';

export interface GeminiModelConfig {
  provider: string;
  baseURL: string;
  headers: () => Record<string, string>;
  fetch?: FetchFunction;
  timeoutMs: number;
  concurrency: number;
  decodeLimits?: DecodeLimits;
}

const Part = z.looseObject({ text: z.string().optional(), inlineData: z.looseObject({ mimeType: z.string().optional(), data: z.string() }).optional() });
const GenerateContentAnswer = z.looseObject({
  candidates: z.array(z.looseObject({ content: z.looseObject({ parts: z.array(Part).optional() }).optional(), finishReason: z.string().optional() })).optional(),
  promptFeedback: z.looseObject({ blockReason: z.string().optional(), blockReasonMessage: z.string().optional() }).optional(),
  usageMetadata: z.looseObject({ promptTokenCount: z.number().optional(), candidatesTokenCount: z.number().optional(), totalTokenCount: z.number().optional() }).optional(),
});
const PredictAnswer = z.looseObject({
  predictions: z.array(z.looseObject({ bytesBase64Encoded: z.string().optional(), mimeType: z.string().optional(), raiFilteredReason: z.string().optional() })).optional(),
});

type Call = { request: SeededRequest; signal?: AbortSignal };

export function createGeminiImageModel(id: string, config: GeminiModelConfig): ImageModel {
  const rules = geminiModelRules(id);
  const post = async (method: string, body: unknown, signal: AbortSignal | undefined): Promise<unknown> => {
    const response = await httpCall(
      `${config.baseURL}/models/${encodeURIComponent(id)}:${method}`,
      { method: 'POST', headers: { ...config.headers(), 'content-type': 'application/json' }, body: JSON.stringify(body) },
      { provider: config.provider, fetch: config.fetch, timeoutMs: config.timeoutMs, signal },
    );
    if (!response.ok) throw await errorFromResponse(response, config.provider, parseGeminiError);
    return readJson(response, config.provider);
  };
  const generate = rules.endpoint === 'predict' ? predict : generateContent;
  return defineImageModel({
    id,
    provider: config.provider,
    capabilities: rules.capabilities,
    knobs: rules.dialect.knobs,
    maxImagesPerCall: rules.maxImagesPerCall,
    concurrency: config.concurrency,
    doGenerate: (request, call) => generate({ request, signal: call.signal }),
  });

  async function generateContent({ request, signal }: Call) {
    const { knobs, warnings } = normalizeKnobs(asAsked(request), rules.dialect);
    const parts: unknown[] = [{ text: request.prompt }];
    if (request.image) {
      const info = await inspectImage(request.image.bytes, 'image', config.decodeLimits);
      parts.push({ inlineData: { mimeType: info.mimeType, data: Buffer.from(request.image.bytes).toString('base64') } });
    }
    if (request.mask) maskIsPromptDriven(request, warnings);
    const body = {
      contents: [{ role: 'user', parts }],
      generationConfig: {
        responseModalities: ['IMAGE'],
        ...(knobs.aspectRatio !== undefined && { imageConfig: { aspectRatio: knobs.aspectRatio } }),
        seed: request.seed,
      },
    };
    const parsed = GenerateContentAnswer.safeParse(await post('generateContent', body, signal));
    if (!parsed.success) throw malformed();
    const answer = parsed.data;
    const candidate = answer.candidates?.[0];
    const imagePart = candidate?.content?.parts?.find((part) => part.inlineData?.data);
    if (!imagePart) {
      const reason = answer.promptFeedback?.blockReason ?? candidate?.finishReason;
      const text = candidate?.content?.parts?.map((part) => part.text ?? '').join(' ').trim();
      const message = `${config.provider} returned no image${reason ? ` (${reason})` : ''}${text ? `: ${excerpt(text, 200)}` : ''}`;
      if (reason && CONTENT_FINISH_REASONS.has(reason)) throw new ImagegenError('content_blocked', message, { provider: config.provider, retryable: false });
      throw new ImagegenError('provider_error', message, { provider: config.provider, retryable: true });
    }
    // The seed was sent and used; Google calls generation with a seed "mostly deterministic".
    const image = await outputImage(bytesFromBase64(imagePart.inlineData!.data), config.provider, config.decodeLimits, request.seed);
    const usage = answer.usageMetadata;
    return {
      images: [image],
      warnings,
      usage: {
        ...(usage?.promptTokenCount !== undefined && { inputTokens: usage.promptTokenCount }),
        ...(usage?.candidatesTokenCount !== undefined && { outputTokens: usage.candidatesTokenCount }),
        ...(usage?.totalTokenCount !== undefined && { totalTokens: usage.totalTokenCount }),
      },
      raw: { finishReason: candidate?.finishReason, text: candidate?.content?.parts?.filter((p) => p.text).map((p) => p.text) },
    };
  }

  async function predict({ request, signal }: Call) {
    const { knobs, warnings } = normalizeKnobs(asAsked(request), rules.dialect);
    const body = {
      instances: [{ prompt: request.prompt }],
      parameters: {
        sampleCount: request.n,
        ...(knobs.aspectRatio !== undefined && { aspectRatio: knobs.aspectRatio }),
        ...(knobs.cfgScale !== undefined && { guidanceScale: knobs.cfgScale }),
        // Without it a filtered image is dropped with no word; with it the entry says why.
        includeRaiReason: true,
      },
    };
    const parsed = PredictAnswer.safeParse(await post('predict', body, signal));
    if (!parsed.success) throw malformed();
    const predictions = parsed.data.predictions ?? [];
    const reasons = predictions.filter((p) => !p.bytesBase64Encoded).map((p) => p.raiFilteredReason ?? 'no reason given');
    const images = await Promise.all(
      predictions.filter((p) => p.bytesBase64Encoded).map((p) => outputImage(bytesFromBase64(p.bytesBase64Encoded!), config.provider, config.decodeLimits)),
    );
    if (images.length === 0) {
      throw new ImagegenError('content_blocked', `${config.provider} filtered every image${reasons.length ? `: ${reasons.join('; ')}` : ''}`, {
        provider: config.provider,
        retryable: false,
      });
    }
    if (images.length < request.n) {
      warnings.push({
        type: 'partial',
        setting: 'n',
        message: `content_blocked: ${config.provider} returned ${images.length} of ${request.n} images; ${request.n - images.length} filtered${reasons.length ? ` (${reasons.join('; ')})` : ''}`,
      });
    }
    return { images, warnings, raw: { filtered: reasons } };
  }

  function maskIsPromptDriven(request: SeededRequest, warnings: Warning[]): void {
    const message = `${rules.dialect.name} takes no mask: the image was sent without it and the edit is prompt-driven (describe the region to change in the prompt)`;
    dropKnob(request, warnings, 'mask', message);
  }

  function malformed(): ImagegenError {
    return new ImagegenError('provider_error', `${config.provider} answered in an unexpected shape`, { provider: config.provider, retryable: true });
  }
}

