/** `createReplicateProvider`: Replicate predictions for SDXL- and FLUX-style image models. */
import { ImagegenError, type ImageModel, type Provider } from '../../imagegen/index.ts';
import type { DecodeLimits } from '../../images/index.ts';
import { apiKeyFrom, type FetchFunction } from '../http.ts';
import { modelsById } from '../provider-utils.ts';
import { createReplicateImageModel } from './replicate-image-model.ts';
import type { ReplicateImageModelId, ReplicateSchema } from './replicate-settings.ts';

export const REPLICATE_BASE_URL = 'https://api.replicate.com/v1';
/** Where Replicate serves prediction outputs (backends.md 6.2). */
export const REPLICATE_DELIVERY_HOSTS = ['replicate.delivery', '*.replicate.delivery'] as const;

export interface ReplicateProviderSettings {
  name?: string;
  baseURL?: string;
  apiKey?: string;
  /** Default REPLICATE_API_TOKEN, read at call time. */
  apiKeyEnv?: string;
  env?: NodeJS.ProcessEnv;
  headers?: Record<string, string>;
  fetch?: FetchFunction;
  /** A whole prediction, cold boots included (default 600000). */
  timeoutMs?: number;
  /** `Prefer: wait=N` seconds, 1..60 (default 60). */
  waitSeconds?: number;
  pollIntervalMs?: number;
  /** Hosts outputs may come from (default replicate.delivery and its subdomains). */
  outputHosts?: readonly string[];
  /** Largest output download (default 50 MB). */
  maxOutputBytes?: number;
  /** num_outputs per prediction, 1..4 (default 1: every image gets its own reproducible seed). */
  outputsPerPrediction?: number;
  concurrency?: number;
  /** Input schema of models not in the table: `{"me/my-sdxl": "sdxl"}`. */
  modelSchemas?: Record<string, ReplicateSchema>;
  decodeLimits?: DecodeLimits;
}

export interface ReplicateProvider extends Provider {
  imageModel(id: ReplicateImageModelId): ImageModel;
}

export function createReplicateProvider(settings: ReplicateProviderSettings = {}): ReplicateProvider {
  const name = settings.name ?? 'replicate';
  const outputsPerPrediction = settings.outputsPerPrediction ?? 1;
  if (!(outputsPerPrediction >= 1 && outputsPerPrediction <= 4)) {
    throw new ImagegenError('invalid_request', 'outputsPerPrediction must be 1 to 4 (num_outputs)', { param: 'outputs_per_prediction' });
  }
  const config = {
    provider: name,
    baseURL: (settings.baseURL ?? REPLICATE_BASE_URL).replace(/\/+$/, ''),
    headers: (): Record<string, string> => ({
      ...settings.headers,
      authorization: `Bearer ${settings.apiKey ?? apiKeyFrom(settings.env ?? process.env, settings.apiKeyEnv ?? 'REPLICATE_API_TOKEN', name)}`,
    }),
    fetch: settings.fetch,
    timeoutMs: settings.timeoutMs ?? 600_000,
    waitSeconds: Math.max(1, Math.min(60, settings.waitSeconds ?? 60)),
    pollIntervalMs: settings.pollIntervalMs ?? 500,
    outputHosts: settings.outputHosts ?? REPLICATE_DELIVERY_HOSTS,
    maxOutputBytes: settings.maxOutputBytes ?? 50 * 1024 * 1024,
    outputsPerPrediction,
    concurrency: settings.concurrency ?? 4,
    modelSchemas: settings.modelSchemas ?? {},
    decodeLimits: settings.decodeLimits,
  };
  return { name, imageModel: modelsById((id) => createReplicateImageModel(id, config)) };
}
