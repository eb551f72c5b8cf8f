/**
 * The canonical interface. Plain data only: no runtime dependency, nothing from the rest of src/.
 * Every backend is reached through these shapes; every door (HTTP, CLI, library) produces them.
 */

export interface Size {
  width: number;
  height: number;
}

/** Bytes that the caller supplied (an init image or a mask). Never a URL: nothing is fetched. */
export interface ImageInput {
  bytes: Uint8Array;
  mimeType?: string;
}

/** A generated image. Bytes are always inline. */
export interface Image {
  bytes: Uint8Array;
  mimeType: string;
  width?: number;
  height?: number;
  /** The seed that made this image, where the backend used or reported one. */
  seed?: number;
}

/**
 * One generation request. Unset optional fields mean "the backend's default".
 * With `image` it is image-to-image; with `image` and `mask` it is inpainting. The canonical mask
 * is white = repaint, black = keep, the same size as the image.
 */
export interface Request {
  prompt: string;
  /** Number of images, >= 1. */
  n: number;
  size?: Size;
  negativePrompt?: string;
  steps?: number;
  cfgScale?: number;
  sampler?: string;
  scheduler?: string;
  /** 0 .. MAX_SEED. Image i of n uses seed + i. */
  seed?: number;
  image?: ImageInput;
  mask?: ImageInput;
  /** img2img denoising strength, 0 (keep the init image) .. 1 (ignore it). */
  strength?: number;
  /** Refuse (422) instead of dropping a knob the backend cannot honour. */
  strictKnobs?: boolean;
  /** Backend-specific extras, keyed by provider name; each provider reads only its own. */
  providerOptions?: Record<string, Record<string, unknown>>;
}

export type WarningType = 'unsupported' | 'changed' | 'partial' | 'other';

/** Said, never silent: a knob dropped or changed, an image missing, a fallback taken. */
export interface Warning {
  type: WarningType;
  /** The canonical setting concerned (`seed`, `size`, `sampler`, ...). */
  setting?: string;
  message: string;
}

export interface Usage {
  images: number;
  /** Sum of width*height of the returned images, in millions of pixels. */
  megapixels: number;
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
}

export interface Result {
  images: Image[];
  warnings: Warning[];
  usage: Usage;
  /** The provider and model that served the request. */
  provider: string;
  model: string;
  /** The backend's own answers (one per call), for debugging; never sent over HTTP. */
  raw?: unknown[];
}

export type Capability = 'txt2img' | 'img2img' | 'inpaint';

/** The canonical knobs a model may honour. */
export type Knob =
  | 'size'
  | 'n'
  | 'seed'
  | 'steps'
  | 'cfg_scale'
  | 'sampler'
  | 'scheduler'
  | 'negative_prompt'
  | 'strength';

export interface ProgressEvent {
  /** 0 .. 1 where known. */
  fraction?: number;
  step?: number;
  totalSteps?: number;
  message?: string;
  /** A look at the unfinished image, where the backend sends one (OpenAI's partial images). */
  preview?: Image;
}

/** Per-call settings that are not part of the request's identity. */
export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

/** What an option may change: the request (plain data) and the call settings. */
export interface Draft {
  request: Request;
  call: CallOptions;
}

export type Option = (draft: Draft) => void;

export type RequestInput = string | (Partial<Request> & { prompt: string });

export interface ModelInfo {
  /** The id a caller names (`stub`, `sdxl`, `gpt-image-1`). */
  id: string;
  provider: string;
  capabilities: readonly Capability[];
  knobs: readonly Knob[];
  /** Most images one backend call can make; larger n is split by the caller of doGenerate. */
  maxImagesPerCall?: number;
}

export interface ImageModel extends ModelInfo {
  /** Build the request from input + options, apply the seed rule, and generate. */
  generate(input: RequestInput, ...options: Option[]): Promise<Result>;
}

export interface Provider {
  readonly name: string;
  imageModel(id: string): ImageModel;
  /** The models this provider can serve, where it knows them. */
  listModels?(options?: CallOptions): Promise<ModelInfo[]>;
}
