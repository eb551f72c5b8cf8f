/**
 * createSdapiProvider: the SDAPI protocol (/sdapi/v1/*) as served by AUTOMATIC1111, Forge, SD.Next
 * and stable-diffusion.cpp's sd-server, directly or behind llama-swap.
 */
import { ImagegenError, type ImageModel, type ModelInfo, type Provider } from '../../imagegen/index.ts';
import { SDAPI_MAX_IMAGES_PER_CALL } from '../../knobs/dialects/sdapi.ts';
import { errorFromResponse, httpCall, readJson } from '../http.ts';
import { modelsById } from '../provider-utils.ts';
import { createSdapiDiscovery } from './sdapi-discovery.ts';
import { parseSdapiError } from './sdapi-error.ts';
import { SDAPI_CAPABILITIES, SDAPI_KNOBS, createSdapiImageModel } from './sdapi-image-model.ts';
import type { SdapiModelId, SdapiProviderSettings } from './sdapi-settings.ts';

const DEFAULTS = {
  baseURL: 'http://127.0.0.1:7860',
  timeoutMs: 10 * 60_000,
  discoveryTimeoutMs: 30_000,
  discoveryTtlMs: 5 * 60_000,
  taskPollMs: 1_000,
  sdcppPollMs: 250,
};

export interface SdapiProvider extends Provider {
  imageModel(id: SdapiModelId): ImageModel;
}

export function createSdapiProvider(settings: SdapiProviderSettings = {}): SdapiProvider {
  const name = settings.name ?? 'sdapi';
  const baseURL = (settings.baseURL ?? DEFAULTS.baseURL).replace(/\/+$/, '');
  const flavor = settings.flavor ?? 'auto';
  const llamaSwap = settings.llamaSwap ?? false;
  // sd-server clamps batch_count to 8 without saying so; with an unknown flavor assume it might be one.
  const cap = flavor === 'a1111' ? Infinity : SDAPI_MAX_IMAGES_PER_CALL.sdcpp;
  const maxImagesPerCall = Math.min(settings.maxImagesPerCall ?? SDAPI_MAX_IMAGES_PER_CALL[flavor === 'auto' ? 'sdcpp' : flavor], cap);

  const headers = () => sdapiHeaders(settings);

  async function call(method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<Response> {
    return httpCall(
      baseURL + path,
      {
        method,
        headers: { ...headers(), ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      },
      { provider: name, fetch: settings.fetch, timeoutMs, signal },
    );
  }

  /** A short call whose route may be missing on this server: the JSON, or undefined for a 404. */
  async function optional(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const response = await call(method, path, body, settings.discoveryTimeoutMs ?? DEFAULTS.discoveryTimeoutMs);
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) throw await errorFromResponse(response, name, parseSdapiError);
    return readJson(response, name);
  }

  const discovery = createSdapiDiscovery({
    flavor,
    ttlMs: settings.discoveryTtlMs ?? DEFAULTS.discoveryTtlMs,
    get: (path) => optional('GET', path),
    native: settings.sdcppNative,
  });
  const timeoutMs = settings.timeoutMs ?? DEFAULTS.timeoutMs;

  const built = modelsById((id) =>
    createSdapiImageModel(id, {
      provider: name,
      llamaSwap,
      maxImagesPerCall,
      inpaint: settings.inpaint ?? {},
      decodeLimits: settings.decodeLimits,
      discovery,
      tasks: {
        post: (path, body) => optional('POST', path, body),
        intervalMs: settings.taskPollMs ?? DEFAULTS.taskPollMs,
        // A cancelled task still in A1111's queue is watched as long as its request could have run.
        cancelWatchMs: timeoutMs,
      },
      native: {
        provider: name,
        // Submission, polls and cancel are short calls; the job as a whole gets the generation timeout.
        send: (method, path, body, signal) => call(method, path, body, settings.discoveryTimeoutMs ?? DEFAULTS.discoveryTimeoutMs, signal),
        pollMs: settings.sdcppPollMs ?? DEFAULTS.sdcppPollMs,
        timeoutMs,
      },
      async post(path, body, signal) {
        const response = await call('POST', path, body, timeoutMs, signal);
        if (!response.ok) throw await errorFromResponse(response, name, parseSdapiError);
        return readJson(response, name);
      },
    }),
  );
  const imageModel = (id: SdapiModelId): ImageModel => {
    if (!id) throw new ImagegenError('invalid_request', `${name}: a model id is required (use "default" for the loaded checkpoint)`, { param: 'model' });
    return built(id);
  };

  return {
    name,
    imageModel,
    /** The checkpoints the server reports (llama-swap lists chat models too, so it is not asked). */
    async listModels(): Promise<ModelInfo[]> {
      if (llamaSwap) return [];
      const checkpoints = (await discovery.checkpoints('')) ?? [];
      return checkpoints.map((c) => ({ id: c.title, provider: name, capabilities: SDAPI_CAPABILITIES, knobs: SDAPI_KNOBS, maxImagesPerCall }));
    },
  };
}

/** An SDAPI server's request headers: a bearer key (llama-swap, a proxy) or A1111's Basic auth, read when a call is made. */
export function sdapiHeaders(settings: Pick<SdapiProviderSettings, 'apiKey' | 'basicAuth' | 'headers'>): Record<string, string> {
  const read = (value: string | (() => string) | undefined) => (typeof value === 'function' ? value() : value);
  const apiKey = read(settings.apiKey);
  const basic = read(settings.basicAuth);
  return {
    accept: 'application/json',
    ...(basic && { authorization: `Basic ${Buffer.from(basic).toString('base64')}` }),
    ...(apiKey && { authorization: `Bearer ${apiKey}` }),
    ...settings.headers,
  };
}
