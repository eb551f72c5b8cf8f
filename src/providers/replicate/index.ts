export { createReplicateProvider, REPLICATE_BASE_URL, REPLICATE_DELIVERY_HOSTS } from './replicate-provider.ts';
export type { ReplicateProvider, ReplicateProviderSettings } from './replicate-provider.ts';
export { REPLICATE_MODEL_RULES, parseModelRef } from './replicate-settings.ts';
export type { ReplicateImageModelId, ReplicateModelRules, ReplicateSchema } from './replicate-settings.ts';
export { parseReplicateError } from './replicate-error.ts';
export { replicateProviderType } from './replicate-config.ts';
