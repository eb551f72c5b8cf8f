/**
 * `createComfyUIProvider(settings)`: a ComfyUI server as an imagegen Provider. A model id names a
 * checkpoint run through the built-in SDXL graphs, or a set of the user's own workflows.
 */
import { ImagegenError, type Capability, type ImageModel, type ModelInfo, type Provider } from '../../imagegen/index.ts';
import { apiKeyFrom } from '../http.ts';
import { modelInfo, modelsById } from '../provider-utils.ts';
import { ComfyUIClient } from './comfyui-client.ts';
import { comfyuiImageModel } from './comfyui-image-model.ts';
import { COMFYUI_DEFAULTS, type ComfyUIModelId, type ComfyUIProviderSettings } from './comfyui-settings.ts';
import { DEFAULT_GRAPHS, parseWorkflow, type Workflow } from './comfyui-workflow.ts';

const MODES: readonly Capability[] = ['txt2img', 'img2img', 'inpaint'];

export interface ComfyUIProvider extends Provider {
  imageModel(id: ComfyUIModelId): ImageModel;
}

export function createComfyUIProvider(settings: ComfyUIProviderSettings = {}): ComfyUIProvider {
  const name = settings.name ?? 'comfyui';
  const client = new ComfyUIClient({
    provider: name,
    baseURL: settings.baseURL ?? 'http://127.0.0.1:8188',
    fetch: settings.fetch,
    requestTimeoutMs: settings.requestTimeoutMs ?? 60_000,
    discoveryTtlMs: settings.discoveryTtlMs ?? 5 * 60_000,
    headers: () => {
      const key = settings.apiKey ?? (settings.apiKeyEnv ? apiKeyFrom(settings.env ?? process.env, settings.apiKeyEnv, name) : undefined);
      return { ...settings.headers, ...(key && { authorization: `Bearer ${key}` }) };
    },
  });
  const defaults = { ...COMFYUI_DEFAULTS, ...settings.defaults };
  const builtIn = Object.fromEntries(MODES.map((mode) => [mode, parseWorkflow(DEFAULT_GRAPHS[mode], mode)])) as Record<Capability, Workflow>;
  // Workflow files are checked here, when the provider is made, so a bad file fails at start.
  const custom = new Map(
    Object.entries(settings.workflows ?? {}).map(([id, set]) => {
      const parsed: Partial<Record<Capability, Workflow>> = {};
      for (const mode of MODES) if (set[mode] !== undefined) parsed[mode] = parseWorkflow(set[mode], mode);
      if (Object.keys(parsed).length === 0) throw new ImagegenError('invalid_request', `workflows.${id} has no txt2img, img2img or inpaint workflow`, { param: 'workflow' });
      return [id, { workflows: parsed, checkpoint: set.checkpoint ?? id }];
    }),
  );
  const model = modelsById((id) => {
    const own = custom.get(id);
    return comfyuiImageModel({
      id,
      provider: name,
      client,
      workflows: own?.workflows ?? builtIn,
      checkpoint: own?.checkpoint ?? id,
      defaults,
      timeoutMs: settings.timeoutMs ?? 10 * 60_000,
      requestTimeoutMs: settings.requestTimeoutMs ?? 60_000,
      pollIntervalMs: settings.pollIntervalMs ?? 1000,
      decodeLimits: settings.decodeLimits,
    });
  });

  return {
    name,
    imageModel: model,
    /** The workflow models, then every checkpoint the server lists (run through the built-in graphs). */
    async listModels(options) {
      const checkpoints = await client.choices('CheckpointLoaderSimple', 'ckpt_name', options?.signal);
      const ids = [...custom.keys(), ...checkpoints.filter((id) => !custom.has(id))];
      return ids.map((id): ModelInfo => {
        return modelInfo(model(id));
      });
    },
  };
}
