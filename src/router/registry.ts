/**
 * The model registry: the ids callers name, mapped to a provider's model and its default knobs.
 * Aliases name chains of those models (tried in order on retryable failures). Built once from the
 * config at start.
 */
import { z } from 'zod';
import { ConfigError, describeIssues, type Config, type ModelConfig } from '../config/index.ts';
import { ImagegenError, type ImageModel, type ModelInfo, type Provider, type Request } from '../imagegen/index.ts';
import { PROVIDER_TYPES, type ProviderContext, type ProviderType } from '../providers/registry.ts';

export interface RegisteredModel {
  info: ModelInfo;
  model: ImageModel;
  /** Applied where the request leaves a knob unset. */
  defaults: Partial<Request>;
}

/** What a requested name routes to: one model, or an alias's chain. */
export interface Route {
  /** The model id or alias as named (the default when the request names none). */
  name: string;
  models: RegisteredModel[];
  /** Start at the least loaded model of the chain instead of the first. */
  balance: boolean;
}

export interface ModelRegistry {
  /** A model id or an alias. */
  readonly defaultModel: string;
  /** The model a name serves with first (an alias: the head of its chain). */
  resolve(id: string | undefined): RegisteredModel;
  route(id: string | undefined): Route;
  list(): ModelInfo[];
  aliases(): Record<string, string[]>;
  providers(): Provider[];
  /** A provider by its key in the config (the backend name models report). */
  provider(name: string): Provider | undefined;
}

export interface RegistryOptions extends Omit<ProviderContext, 'name'> {
  /** Provider types beyond the built-in table (tests and benches add simulated backends). */
  providerTypes?: Record<string, ProviderType<unknown>>;
}

const STUB_PROVIDER = 'stub';

export function createModelRegistry(config: Config, options: RegistryOptions): ModelRegistry {
  const { providerTypes, ...context } = options;
  const types = { ...PROVIDER_TYPES, ...providerTypes };
  const instantiate = (name: string, raw: { type: string; [key: string]: unknown }) => instantiateProvider(types, name, raw, context);
  const providers = new Map<string, Provider>();
  for (const [name, settings] of Object.entries(config.providers)) {
    providers.set(name, instantiate(name, settings));
  }
  const modelConfigs: ModelConfig[] = config.models.length > 0 ? config.models : [{ id: 'stub', provider: STUB_PROVIDER }];
  if (!providers.has(STUB_PROVIDER) && modelConfigs.some((m) => m.provider === STUB_PROVIDER)) {
    providers.set(STUB_PROVIDER, instantiate(STUB_PROVIDER, { type: 'stub', models: modelConfigs.filter((m) => m.provider === STUB_PROVIDER).map((m) => m.model ?? m.id) }));
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

  const aliases = new Map<string, { models: string[]; balance: boolean }>();
  for (const [name, entry] of Object.entries(config.aliases)) {
    const chain = Array.isArray(entry) ? { models: entry, balance: false } : entry;
    if (models.has(name)) throw new ConfigError(`aliases.${name}: "${name}" is already a model id`);
    for (const [index, id] of chain.models.entries()) {
      if (!models.has(id)) {
        const where = Array.isArray(entry) ? `aliases.${name}.${index}` : `aliases.${name}.models.${index}`;
        throw new ConfigError(`${where}: no model named "${id}" (an alias lists model ids; known: ${[...models.keys()].join(', ')})`);
      }
    }
    aliases.set(name, chain);
  }

  const defaultModel = config.default_model ?? modelConfigs[0]!.id;
  if (!models.has(defaultModel) && !aliases.has(defaultModel)) {
    throw new ConfigError(`default_model: no model or alias named "${defaultModel}" (known: ${[...models.keys(), ...aliases.keys()].join(', ')})`);
  }
  // A typo in a tenant's allow-list would lock that tenant out of a model at the first request.
  for (const [t, tenant] of config.tenants.entries()) {
    for (const [index, id] of (tenant.models ?? []).entries()) {
      if (!models.has(id) && !aliases.has(id)) {
        throw new ConfigError(`tenants.${t}.models.${index}: no model or alias named "${id}" (known: ${[...models.keys(), ...aliases.keys()].join(', ')})`);
      }
    }
  }

  const route = (id: string | undefined): Route => {
    const name = id ?? defaultModel;
    const model = models.get(name);
    if (model) return { name, models: [model], balance: false };
    const alias = aliases.get(name);
    if (alias) return { name, models: alias.models.map((m) => models.get(m)!), balance: alias.balance };
    throw new ImagegenError('not_found', `no model or alias named "${id}"; known: ${[...models.keys(), ...aliases.keys()].join(', ')}`, {
      param: 'model',
    });
  };

  return {
    defaultModel,
    resolve: (id) => route(id).models[0]!,
    route,
    list: () => [...models.values()].map((m) => m.info),
    aliases: () => Object.fromEntries([...aliases].map(([name, chain]) => [name, [...chain.models]])),
    providers: () => [...providers.values()],
    provider: (name) => providers.get(name),
  };
}

function instantiateProvider(
  types: Record<string, ProviderType<unknown>>,
  name: string,
  raw: { type: string; [key: string]: unknown },
  context: Omit<ProviderContext, 'name'>,
): Provider {
  const type = types[raw.type];
  if (!type) {
    throw new ConfigError(`providers.${name}.type: unknown provider type "${raw.type}" (known: ${Object.keys(types).join(', ')})`);
  }
  const parsed = type.settings.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`providers.${name} is invalid:\n${describeIssues(parsed.error as z.ZodError, raw).replace(/^ {2}/gm, `  providers.${name}.`)}`);
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
