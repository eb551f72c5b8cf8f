/**
 * Known Replicate models and their input schema, as a table. A model id is `owner/name` (an
 * official model, run through /v1/models/{owner}/{name}/predictions) or `owner/name:<version>` (run
 * through /v1/predictions with that version). Models not in the table are read as SDXL-like unless
 * the provider's `modelSchemas` says otherwise.
 */
import type { Capability } from '../../imagegen/index.ts';
import type { Dialect } from '../../knobs/index.ts';
import {
  REPLICATE_FLUX_DEV_DIALECT,
  REPLICATE_FLUX_FILL_DIALECT,
  REPLICATE_FLUX_SCHNELL_DIALECT,
  REPLICATE_SDXL_DIALECT,
} from '../../knobs/dialects/replicate.ts';

export type ReplicateImageModelId =
  | 'stability-ai/sdxl'
  | 'black-forest-labs/flux-schnell'
  | 'black-forest-labs/flux-dev'
  | 'black-forest-labs/flux-fill-dev'
  | (string & {});

export type ReplicateSchema = 'sdxl' | 'flux';

export interface ReplicateModelRules {
  schema: ReplicateSchema;
  dialect: Dialect;
  capabilities: readonly Capability[];
  /** cog-flux's fp8 `go_fast` mode: "outputs will not be deterministic ... even if you set a seed". */
  goFast?: boolean;
}

export const REPLICATE_MODEL_RULES: Record<string, ReplicateModelRules> = {
  'stability-ai/sdxl': { schema: 'sdxl', dialect: REPLICATE_SDXL_DIALECT, capabilities: ['txt2img', 'img2img', 'inpaint'] },
  'black-forest-labs/flux-schnell': { schema: 'flux', dialect: REPLICATE_FLUX_SCHNELL_DIALECT, capabilities: ['txt2img'], goFast: true },
  'black-forest-labs/flux-dev': { schema: 'flux', dialect: REPLICATE_FLUX_DEV_DIALECT, capabilities: ['txt2img', 'img2img'], goFast: true },
  'black-forest-labs/flux-fill-dev': { schema: 'flux', dialect: REPLICATE_FLUX_FILL_DIALECT, capabilities: ['inpaint'] },
};

const BY_SCHEMA: Record<ReplicateSchema, ReplicateModelRules> = {
  sdxl: REPLICATE_MODEL_RULES['stability-ai/sdxl']!,
  flux: REPLICATE_MODEL_RULES['black-forest-labs/flux-dev']!,
};

export interface ReplicateModelRef {
  owner: string;
  name: string;
  version?: string;
}

/** `owner/name` or `owner/name:version`; undefined if the id is neither. */
export function parseModelRef(id: string): ReplicateModelRef | undefined {
  const match = /^([\w.-]+)\/([\w.-]+)(?::([0-9a-f]{6,}))?$/i.exec(id);
  if (!match) return undefined;
  return { owner: match[1]!, name: match[2]!, ...(match[3] && { version: match[3] }) };
}

export function replicateModelRules(ref: ReplicateModelRef, schemas: Record<string, ReplicateSchema> = {}): ReplicateModelRules {
  const key = `${ref.owner}/${ref.name}`;
  const schema = schemas[key];
  if (schema) return BY_SCHEMA[schema];
  return REPLICATE_MODEL_RULES[key] ?? BY_SCHEMA.sdxl;
}
