export { createComposer, type Composer, type ComposedCard, type PreparedCard, type TemplateInfo } from './composer.ts';
export { CustomTemplateSchema, type CustomTemplateConfig } from './custom.ts';
export type { FieldSpec } from './fields.ts';
