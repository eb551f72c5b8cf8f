/** `createGeminiProvider`: Gemini native image output and Imagen on the Gemini API. */
import type { ImageModel, Provider } from '../../imagegen/index.ts';
import type { DecodeLimits } from '../../images/index.ts';
import { apiKeyFrom, errorFromResponse, httpCall, readJson, type FetchFunction } from '../http.ts';
import { modelInfo, modelsById } from '../provider-utils.ts';
import { parseGeminiError } from './gemini-error.ts';
import { createGeminiImageModel } from './gemini-image-model.ts';
import type { GeminiImageModelId } from './gemini-settings.ts';

export const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

export interface GeminiProviderSettings {
  name?: string;
  baseURL?: string;
  apiKey?: string;
  /** Default GEMINI_API_KEY, read at call time; sent as `x-goog-api-key`. */
  apiKeyEnv?: string;
  env?: NodeJS.ProcessEnv;
  headers?: Record<string, string>;
  fetch?: FetchFunction;
  /** Per call (default 180000). */
  timeoutMs?: number;
  /** Calls in flight at once when n is split (default 2). */
  concurrency?: number;
  decodeLimits?: DecodeLimits;
}

export interface GeminiProvider extends Provider {
  imageModel(id: GeminiImageModelId): ImageModel;
}

export function createGeminiProvider(settings: GeminiProviderSettings = {}): GeminiProvider {
  const name = settings.name ?? 'gemini';
  const baseURL = (settings.baseURL ?? GEMINI_BASE_URL).replace(/\/+$/, '');
  const headers = (): Record<string, string> => ({
    ...settings.headers,
    'x-goog-api-key': settings.apiKey ?? apiKeyFrom(settings.env ?? process.env, settings.apiKeyEnv ?? 'GEMINI_API_KEY', name),
  });
  const config = {
    provider: name,
    baseURL,
    headers,
    fetch: settings.fetch,
    timeoutMs: settings.timeoutMs ?? 180_000,
    concurrency: settings.concurrency ?? 2,
    decodeLimits: settings.decodeLimits,
  };
  const imageModel = modelsById((id) => createGeminiImageModel(id, config));
  return {
    name,
    imageModel,
    /** GET models: the image models among them (Imagen via predict, Gemini `*-image*` via generateContent). */
    async listModels(options = {}) {
      const response = await httpCall(`${baseURL}/models?pageSize=1000`, { headers: headers() }, { provider: name, fetch: settings.fetch, timeoutMs: 30_000, signal: options.signal });
      if (!response.ok) throw await errorFromResponse(response, name, parseGeminiError);
      const body = (await readJson(response, name)) as { models?: { name?: unknown; supportedGenerationMethods?: unknown }[] };
      return (body.models ?? [])
        .map((m) => ({ id: typeof m.name === 'string' ? m.name.replace(/^models\//, '') : '', methods: Array.isArray(m.supportedGenerationMethods) ? m.supportedGenerationMethods : [] }))
        .filter(({ id, methods }) => (id.startsWith('imagen-') && methods.includes('predict')) || (id.includes('-image') && methods.includes('generateContent')))
        .map(({ id }) => modelInfo(imageModel(id)));
    },
  };
}
