/**
 * A fake Gemini API (backends.md 5), with the quirks a client must handle:
 * - auth by `x-goog-api-key`; a bad key is a 400 INVALID_ARGUMENT, errors are
 *   `{"error": {code, message, status}}`;
 * - generateContent answers an image only with the IMAGE response modality, takes
 *   imageConfig.aspectRatio from a fixed list, answers text parts beside the image, and an
 *   unsafe request comes back with no image: promptFeedback.blockReason or finishReason IMAGE_SAFETY;
 * - Imagen's predict takes sampleCount 1..4 and five aspect ratios; filtered images are entries with
 *   raiFilteredReason and no bytes when includeRaiReason is set, and silently missing otherwise.
 * Prompts that steer it: "blocked", "unsafe", "filter" (the second image is filtered), "allfiltered",
 * "overload" (503), "slow" (1.5 s).
 */
import type { ServerResponse } from 'node:http';
import sharp from 'sharp';
import { delay, paintPng, sendJson, startFakeServer, type FakeServer } from './hosted-fake-http.ts';

const GEMINI_RATIOS = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'];
const IMAGEN_RATIOS = ['1:1', '3:4', '4:3', '9:16', '16:9'];
const RAI_REASON = 'Your current safety filter threshold filtered out 1 generated image. You will not be charged for blocked images.';

const googleError = (res: ServerResponse, code: number, status: string, message: string) => sendJson(res, code, { error: { code, message, status } });

/** A small image in the given ratio: 16 pixels per unit. */
const sizeOf = (ratio: string) => ratio.split(':').map((v) => Number(v) * 16) as [number, number];

export async function startGeminiFake(options: { apiKey?: string } = {}): Promise<FakeServer> {
  return startFakeServer(async (req, res) => {
    if (options.apiKey && req.headers['x-goog-api-key'] !== options.apiKey) {
      return googleError(res, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.');
    }
    if (req.method === 'GET' && req.path === '/v1beta/models') {
      return sendJson(res, 200, {
        models: [
          { name: 'models/gemini-2.5-flash', supportedGenerationMethods: ['generateContent', 'countTokens'] },
          { name: 'models/gemini-2.5-flash-image', supportedGenerationMethods: ['generateContent', 'countTokens'] },
          { name: 'models/imagen-4.0-generate-001', supportedGenerationMethods: ['predict'] },
          { name: 'models/text-embedding-004', supportedGenerationMethods: ['embedContent'] },
        ],
      });
    }
    const match = /^\/v1beta\/models\/([^/:]+):(generateContent|predict)$/.exec(req.path);
    if (req.method !== 'POST' || !match) return googleError(res, 404, 'NOT_FOUND', `Method not found: ${req.method} ${req.path}`);
    const [, model, method] = match as unknown as [string, string, string];
    const body = req.json ?? {};
    const prompt: string = method === 'predict' ? (body.instances?.[0]?.prompt ?? '') : (body.contents?.[0]?.parts?.find((p: any) => p.text)?.text ?? '');
    if (prompt.includes('slow')) await delay(1500);
    if (prompt.includes('overload')) return googleError(res, 503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
    return method === 'predict' ? predict(res, model, body, prompt) : generateContent(res, model, body, prompt);
  });
}

async function generateContent(res: ServerResponse, model: string, body: any, prompt: string): Promise<void> {
  if (model.startsWith('imagen')) return googleError(res, 400, 'INVALID_ARGUMENT', `models/${model} is not supported for generateContent.`);
  const config = body.generationConfig ?? {};
  const ratio = config.imageConfig?.aspectRatio ?? '1:1';
  if (!GEMINI_RATIOS.includes(ratio)) return googleError(res, 400, 'INVALID_ARGUMENT', `Unsupported aspect ratio: ${ratio}`);
  const usageMetadata = { promptTokenCount: 12, candidatesTokenCount: 1290, totalTokenCount: 1302 };
  if (prompt.includes('blocked')) return sendJson(res, 200, { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata });
  if (prompt.includes('unsafe')) return sendJson(res, 200, { candidates: [{ content: { role: 'model', parts: [] }, finishReason: 'IMAGE_SAFETY', index: 0 }], usageMetadata });
  const text = { text: 'Here is the image you asked for.' };
  if (!(config.responseModalities ?? []).includes('IMAGE')) {
    return sendJson(res, 200, { candidates: [{ content: { role: 'model', parts: [text] }, finishReason: 'STOP', index: 0 }], usageMetadata });
  }
  const input = body.contents?.[0]?.parts?.find((p: any) => p.inlineData)?.inlineData;
  let [width, height] = sizeOf(ratio);
  if (input && !config.imageConfig?.aspectRatio) {
    const meta = await sharp(Buffer.from(input.data, 'base64')).metadata();
    [width, height] = [meta.width!, meta.height!];
  }
  const png = await paintPng(width, height, `${prompt}|${config.seed ?? 'random'}`);
  sendJson(res, 200, {
    candidates: [{ content: { role: 'model', parts: [text, { inlineData: { mimeType: 'image/png', data: png.toString('base64') } }] }, finishReason: 'STOP', index: 0 }],
    usageMetadata,
    modelVersion: model,
  });
}

async function predict(res: ServerResponse, model: string, body: any, prompt: string): Promise<void> {
  if (!model.startsWith('imagen')) return googleError(res, 400, 'INVALID_ARGUMENT', `models/${model} is not found for API version v1beta, or is not supported for predict.`);
  const parameters = body.parameters ?? {};
  const count = parameters.sampleCount ?? 4;
  if (!(count >= 1 && count <= 4)) return googleError(res, 400, 'INVALID_ARGUMENT', 'sampleCount must be between 1 and 4.');
  const ratio = parameters.aspectRatio ?? '1:1';
  if (!IMAGEN_RATIOS.includes(ratio)) return googleError(res, 400, 'INVALID_ARGUMENT', `Unsupported aspect ratio: ${ratio}`);
  const [width, height] = sizeOf(ratio);
  const predictions = [];
  for (let i = 0; i < count; i++) {
    const filtered = prompt.includes('allfiltered') || (prompt.includes('filter') && i === 1);
    if (filtered) {
      if (parameters.includeRaiReason) predictions.push({ raiFilteredReason: RAI_REASON });
      continue;
    }
    predictions.push({ bytesBase64Encoded: (await paintPng(width, height, `${prompt}|${i}`)).toString('base64'), mimeType: 'image/png' });
  }
  // With nothing to return and no reasons asked for, Imagen answers an empty object.
  sendJson(res, 200, predictions.length > 0 ? { predictions } : {});
}
