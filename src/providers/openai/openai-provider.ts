/**
 * `createOpenAIProvider`: OpenAI Images, or with `baseURL` any OpenAI-compatible gateway
 * (LiteLLM, LocalAI, OpenRouter, llama-swap's /v1, stable-diffusion.cpp's /v1).
 */
import { ImagegenError, type ImageModel, type Provider } from '../../imagegen/index.ts';
import type { DecodeLimits } from '../../images/index.ts';
import { apiKeyFrom, errorFromResponse, httpCall, readJson, type FetchFunction } from '../http.ts';
import { modelInfo, modelsById } from '../provider-utils.ts';
import { parseOpenAIError } from './openai-error.ts';
import { PARTIAL_IMAGES_MAX, createOpenAIImageModel } from './openai-image-model.ts';
import { OPENAI_MODEL_RULES, type OpenAIImageModelId } from './openai-settings.ts';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAIProviderSettings {
  /** Provider name in results and messages (default "openai"). */
  name?: string;
  /** Default https://api.openai.com/v1; a gateway's `/v1` URL otherwise. */
  baseURL?: string;
  apiKey?: string;
  /** Environment variable holding the key, read at call time (default OPENAI_API_KEY for api.openai.com; none for a gateway). */
  apiKeyEnv?: string;
  env?: NodeJS.ProcessEnv;
  headers?: Record<string, string>;
  fetch?: FetchFunction;
  /** Per call; gpt-image generations can take minutes (default 300000). */
  timeoutMs?: number;
  /** Gateway-specific fields merged into every body. */
  extraFields?: Record<string, unknown>;
  /** stable-diffusion.cpp behind /v1: send the seed and knobs as `<sd_cpp_extra_args>` in the prompt. */
  sdCppExtraArgs?: boolean;
  /** Calls in flight at once when n is split (default 2). */
  concurrency?: number;
  /**
   * GPT image models: partial images to stream per one-image call, 1-3 (default 2), each reported
   * to onProgress as a preview; 0 turns streaming off. Other models never stream.
   */
  partialImages?: number;
  decodeLimits?: DecodeLimits;
}

export interface OpenAIProvider extends Provider {
  imageModel(id: OpenAIImageModelId): ImageModel;
}

export function createOpenAIProvider(settings: OpenAIProviderSettings = {}): OpenAIProvider {
  const name = settings.name ?? 'openai';
  const baseURL = (settings.baseURL ?? OPENAI_BASE_URL).replace(/\/+$/, '');
  const official = settings.baseURL === undefined || baseURL === OPENAI_BASE_URL;
  const keyVariable = settings.apiKeyEnv ?? (official ? 'OPENAI_API_KEY' : undefined);
  const headers = (): Record<string, string> => {
    const key = settings.apiKey ?? (keyVariable ? apiKeyFrom(settings.env ?? process.env, keyVariable, name) : undefined);
    return { ...settings.headers, ...(key && { authorization: `Bearer ${key}` }) };
  };
  const config = {
    provider: name,
    baseURL,
    headers,
    fetch: settings.fetch,
    timeoutMs: settings.timeoutMs ?? 300_000,
    extraFields: settings.extraFields ?? {},
    sdCppExtraArgs: settings.sdCppExtraArgs ?? false,
    concurrency: settings.concurrency ?? 2,
    partialImages: partialImagesSetting(settings.partialImages),
    decodeLimits: settings.decodeLimits,
  };

  const built = modelsById((id) => createOpenAIImageModel(id, config));
  const imageModel = (id: string): ImageModel => {
    if (!id) throw new ImagegenError('not_found', `the ${name} provider needs a model id`, { param: 'model' });
    return built(id);
  };

  return {
    name,
    imageModel,
    /** GET /models: on api.openai.com only the image models of the table; a gateway's whole list otherwise. */
    async listModels(options = {}) {
      const response = await httpCall(`${baseURL}/models`, { headers: headers() }, { provider: name, fetch: settings.fetch, timeoutMs: 30_000, signal: options.signal });
      if (!response.ok) throw await errorFromResponse(response, name, parseOpenAIError);
      const body = (await readJson(response, name)) as { data?: { id?: unknown }[] };
      const ids = (body.data ?? []).map((entry) => entry.id).filter((id): id is string => typeof id === 'string');
      return ids
        .filter((id) => !official || id in OPENAI_MODEL_RULES)
        .map((id) => modelInfo(imageModel(id)));
    },
  };
}

function partialImagesSetting(value: number | undefined): number {
  if (value === undefined) return 2;
  if (!Number.isInteger(value) || value < 0 || value > PARTIAL_IMAGES_MAX) {
    throw new ImagegenError('invalid_request', `partialImages must be an integer from 0 to ${PARTIAL_IMAGES_MAX}, not ${value}`, { param: 'partial_images' });
  }
  return value;
}
