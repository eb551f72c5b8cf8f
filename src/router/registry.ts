/**
 * The model registry: the ids callers name, mapped to a provider's model and its default knobs.
 * Built once from the config at start.
 */
import { z } from 'zod';
import { ConfigError, describeIssues, type Config, type ModelConfig } from '../config/index.ts';
import { ImagegenError, type ImageModel, type ModelInfo, type Provider, type Request } from '../imagegen/index.ts';
import { PROVIDER_TYPES, type ProviderContext } from '../providers/registry.ts';

export interface RegisteredModel {
  info: ModelInfo;
  model: ImageModel;
  /** Applied where the request leaves a knob unset. */
  defaults: Partial<Request>;
}

export interface ModelRegistry {
  readonly defaultModel: string;
  resolve(id: string | undefined): RegisteredModel;
  list(): ModelInfo[];
  providers(): Provider[];
}

const STUB_PROVIDER = 'stub';

export function createModelRegistry(
  config: Config,
  context: Omit<ProviderContext, 'name'>,
): ModelRegistry {
  const providers = new Map<string, Provider>();
  for (const [name, settings] of Object.entries(config.providers)) {
    providers.set(name, instantiate(name, settings, context));
  }
  const modelConfigs: ModelConfig[] = config.models.length > 0 ? config.models : [{ id: 'stub', provider: STUB_PROVIDER }];
  if (!providers.has(STUB_PROVIDER) && modelConfigs.some((m) => m.provider === STUB_PROVIDER)) {
    providers.set(STUB_PROVIDER, instantiate(STUB_PROVIDER, { type: 'stub', models: modelConfigs.filter((m) => m.provider === STUB_PROVIDER).map((m) => m.model ?? m.id) }, context));
  }

  const models = new Map<string, RegisteredModel>();
  for (const [index, entry] of modelConfigs.entries()) {
    if (models.has(entry.id)) throw new ConfigError(`models.${index}.id: "${entry.id}" is defined twice`);
    const provider = providers.get(entry.provider)!;
    let model: ImageModel;
    try {
      model = provider.imageModel(entry.model ?? entry.id);
    } catch (error) {
      throw new ConfigError(`models.${index}: ${(error as Error).message}`);
    }
    models.set(entry.id, {
      info: {
        id: entry.id,
        provider: entry.provider,
        capabilities: model.capabilities,
        knobs: model.knobs,
        ...(model.maxImagesPerCall !== undefined && { maxImagesPerCall: model.maxImagesPerCall }),
      },
      model,
      defaults: defaultsFrom(entry),
    });
  }

  const defaultModel = config.default_model ?? modelConfigs[0]!.id;
  if (!models.has(defaultModel)) {
    throw new ConfigError(`default_model: no model named "${defaultModel}" (known: ${[...models.keys()].join(', ')})`);
  }

  return {
    defaultModel,
    resolve(id) {
      const found = models.get(id ?? defaultModel);
      if (!found) {
        throw new ImagegenError('not_found', `no model named "${id}"; known models: ${[...models.keys()].join(', ')}`, {
          param: 'model',
        });
      }
      return found;
    },
    list: () => [...models.values()].map((m) => m.info),
    providers: () => [...providers.values()],
  };
}

function instantiate(name: string, raw: { type: string; [key: string]: unknown }, context: Omit<ProviderContext, 'name'>): Provider {
  const type = PROVIDER_TYPES[raw.type];
  if (!type) {
    throw new ConfigError(`providers.${name}.type: unknown provider type "${raw.type}" (known: ${Object.keys(PROVIDER_TYPES).join(', ')})`);
  }
  const parsed = type.settings.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`providers.${name} is invalid:\n${describeIssues(parsed.error as z.ZodError).replace(/^ {2}/gm, `  providers.${name}.`)}`);
  }
  return type.create(parsed.data, { ...context, name });
}

function defaultsFrom(entry: ModelConfig): Partial<Request> {
  const d = entry.defaults ?? {};
  const [width, height] = d.size ? d.size.split('x').map(Number) : [];
  const defaults: Partial<Request> = {
    size: width && height ? { width, height } : undefined,
    steps: d.steps,
    cfgScale: d.cfg_scale,
    sampler: d.sampler,
    scheduler: d.scheduler,
    negativePrompt: d.negative_prompt,
    strength: d.strength,
  };
  for (const key of Object.keys(defaults) as (keyof Request)[]) if (defaults[key] === undefined) delete defaults[key];
  return defaults;
}
