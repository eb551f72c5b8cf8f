/** The library door: the canonical interface and the provider factories. */
export * from './imagegen/index.ts';
export { createStubProvider } from './providers/stub/index.ts';
export type { StubProviderSettings } from './providers/stub/index.ts';
export { createOpenAIProvider } from './providers/openai/index.ts';
export type { OpenAIProviderSettings } from './providers/openai/index.ts';
export { createReplicateProvider } from './providers/replicate/index.ts';
export type { ReplicateProviderSettings } from './providers/replicate/index.ts';
export { createGeminiProvider } from './providers/gemini/index.ts';
export type { GeminiProviderSettings } from './providers/gemini/index.ts';
