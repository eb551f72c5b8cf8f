export { createSdapiProvider } from './sdapi-provider.ts';
export type { SdapiProvider } from './sdapi-provider.ts';
export type { SdapiModelId, SdapiProviderSettings, SdapiInpaintSettings, InpaintingFill } from './sdapi-settings.ts';
export { parseSdapiError } from './sdapi-error.ts';
export { sdapiProviderType } from './sdapi-config.ts';
