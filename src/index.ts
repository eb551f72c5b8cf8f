/** The library door: the canonical interface and the provider factories. */
export * from './imagegen/index.ts';
export { createStubProvider } from './providers/stub/index.ts';
export type { StubProviderSettings } from './providers/stub/index.ts';
export { createSdapiProvider } from './providers/sdapi/index.ts';
export type { SdapiProviderSettings, SdapiModelId } from './providers/sdapi/index.ts';
export { createComfyUIProvider } from './providers/comfyui/index.ts';
export type { ComfyUIProvider, ComfyUIProviderSettings, ComfyUIModelId, ComfyUIWorkflowSet } from './providers/comfyui/index.ts';
