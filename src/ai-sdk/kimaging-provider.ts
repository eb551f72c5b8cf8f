/**
 * `createKoderImaging({baseURL, apiKey})`: the AI SDK provider for a koder-imaging daemon, so
 * `generateImage({model: kimaging.image('sdxl'), prompt})` goes through the daemon's policy,
 * quota, cache and ledger like any other caller. The key is read from KIMAGING_API_KEY when not
 * given, at call time (open-mode daemons need none).
 */
import { KoderImagingImageModel } from './kimaging-image-model.ts';

/** Model ids and aliases are the daemon's own (GET /v1/models); any string is allowed. */
export type KoderImagingModelId = 'stub' | (string & {});

export interface KoderImagingSettings {
  /** The daemon's API root, e.g. http://127.0.0.1:8700/v1 (the default). */
  baseURL?: string;
  apiKey?: string;
  headers?: Record<string, string>;
  /** For tests, proxies or a custom agent. */
  fetch?: typeof globalThis.fetch;
}

export interface KoderImagingProvider {
  (modelId: KoderImagingModelId): KoderImagingImageModel;
  image(modelId: KoderImagingModelId): KoderImagingImageModel;
  imageModel(modelId: KoderImagingModelId): KoderImagingImageModel;
}

export function createKoderImaging(settings: KoderImagingSettings = {}): KoderImagingProvider {
  const baseURL = (settings.baseURL ?? 'http://127.0.0.1:8700/v1').replace(/\/+$/, '');
  const fetch = settings.fetch ?? globalThis.fetch;
  const headers = () => {
    const apiKey = settings.apiKey ?? process.env.KIMAGING_API_KEY;
    return { ...(apiKey && { authorization: `Bearer ${apiKey}` }), ...settings.headers };
  };
  let models: Promise<number | undefined> | undefined;
  const maxN = () => {
    models ??= fetch(`${baseURL}/models`, { headers: headers() })
      .then(async (response) => (response.ok ? ((await response.json()) as { max_n?: number }).max_n : undefined))
      .catch(() => undefined);
    return models;
  };
  const image = (modelId: KoderImagingModelId) => new KoderImagingImageModel(modelId, { provider: 'kimaging', baseURL, headers, fetch, maxN });
  return Object.assign((modelId: KoderImagingModelId) => image(modelId), { image, imageModel: image });
}

/** A provider for the daemon at KIMAGING_BASE_URL (or http://127.0.0.1:8700/v1) with KIMAGING_API_KEY. */
export const kimaging: KoderImagingProvider = createKoderImaging({ baseURL: process.env.KIMAGING_BASE_URL });
