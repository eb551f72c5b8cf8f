export { createKoderImaging, kimaging, type KoderImagingModelId, type KoderImagingProvider, type KoderImagingSettings } from './kimaging-provider.ts';
export { KoderImagingImageModel } from './kimaging-image-model.ts';
export { kimagingImageOptions, type KoderImagingImageOptions } from './kimaging-image-options.ts';
