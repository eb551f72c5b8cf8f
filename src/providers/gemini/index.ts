export { createGeminiProvider, GEMINI_BASE_URL } from './gemini-provider.ts';
export type { GeminiProvider, GeminiProviderSettings } from './gemini-provider.ts';
export { GEMINI_MODEL_RULES, geminiModelRules } from './gemini-settings.ts';
export type { GeminiImageModelId, GeminiModelRules } from './gemini-settings.ts';
export { parseGeminiError } from './gemini-error.ts';
export { geminiProviderType } from './gemini-config.ts';
