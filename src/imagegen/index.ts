export * from './types.ts';
export * from './errors.ts';
export * from './options.ts';
export * from './seed.ts';
export { defineImageModel, megapixels } from './model.ts';
export type { CallResult, ModelDefinition, SeededRequest } from './model.ts';
export { untilAborted } from './abort.ts';
