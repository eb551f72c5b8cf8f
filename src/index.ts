/** The library door: the canonical interface and the provider factories. */
export * from './imagegen/index.ts';
export { createStubProvider } from './providers/stub/index.ts';
export type { StubProviderSettings } from './providers/stub/index.ts';
export { createSdapiProvider } from './providers/sdapi/index.ts';
export type { SdapiProviderSettings, SdapiModelId } from './providers/sdapi/index.ts';
export { createComfyUIProvider } from './providers/comfyui/index.ts';
export type { ComfyUIProvider, ComfyUIProviderSettings, ComfyUIModelId, ComfyUIWorkflowSet } from './providers/comfyui/index.ts';
export { createOpenAIProvider } from './providers/openai/index.ts';
export type { OpenAIProviderSettings } from './providers/openai/index.ts';
export { createReplicateProvider } from './providers/replicate/index.ts';
export type { ReplicateProviderSettings } from './providers/replicate/index.ts';
export { createGeminiProvider } from './providers/gemini/index.ts';
export type { GeminiProviderSettings } from './providers/gemini/index.ts';
export * from './chat-parts.ts';
