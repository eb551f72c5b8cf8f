export { createOpenAIProvider, OPENAI_BASE_URL } from './openai-provider.ts';
export type { OpenAIProvider, OpenAIProviderSettings } from './openai-provider.ts';
export { OPENAI_MODEL_RULES, openAIModelRules } from './openai-settings.ts';
export type { OpenAIImageModelId, OpenAIModelRules } from './openai-settings.ts';
export { parseOpenAIError } from './openai-error.ts';
export { openaiProviderType } from './openai-config.ts';
