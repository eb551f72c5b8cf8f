/**
 * One image model of a koder-imaging daemon, as the AI SDK's ImageModelV3: `doGenerate` posts to
 * /v1/generate, or to /v1/edit when `files` are given (the first is the init image; `mask` is
 * ours: white = repaint, black = keep). The daemon's warnings come back as the SDK's warnings, its
 * per-image seeds as provider metadata.
 */
import { UnsupportedFunctionalityError, type ImageModelV3, type ImageModelV3CallOptions, type ImageModelV3File, type SharedV3Warning } from '@ai-sdk/provider';
import { apiCallError, headersOf } from './kimaging-error.ts';
import { kimagingImageOptions } from './kimaging-image-options.ts';

export interface KoderImagingConfig {
  provider: string;
  baseURL: string;
  headers: () => Record<string, string>;
  fetch: typeof globalThis.fetch;
  /** The daemon's `max_n` from GET /v1/models, fetched once per provider. */
  maxN: () => Promise<number | undefined>;
}

interface DaemonImages {
  model: string;
  provider: string;
  images: { b64_json: string; mime_type: string; width?: number; height?: number; seed?: number }[];
  warnings: { type: string; setting?: string; message: string }[];
  usage: { images: number; megapixels: number; input_tokens?: number; output_tokens?: number; total_tokens?: number };
  cached: boolean;
}

type CallOptions = ImageModelV3CallOptions;
type Result = Awaited<ReturnType<ImageModelV3['doGenerate']>>;

export class KoderImagingImageModel implements ImageModelV3 {
  readonly specificationVersion = 'v3' as const;
  readonly modelId: string;
  private readonly config: KoderImagingConfig;

  constructor(modelId: string, config: KoderImagingConfig) {
    this.modelId = modelId;
    this.config = config;
  }

  get provider(): string {
    return this.config.provider;
  }

  /** One daemon call takes up to its `max_n` images: it splits them over backend calls itself. */
  readonly maxImagesPerCall = () => this.config.maxN();

  async doGenerate(options: CallOptions): Promise<Result> {
    const warnings: SharedV3Warning[] = [];
    const extras = kimagingImageOptions.parse(options.providerOptions?.kimaging ?? {});
    if (options.aspectRatio !== undefined) {
      warnings.push({ type: 'unsupported', feature: 'aspectRatio', details: 'koder-imaging takes a size (WIDTHxHEIGHT); the aspect ratio was not applied' });
    }
    const files = options.files ?? [];
    if (files.length > 1) warnings.push({ type: 'other', message: `${files.length} files were given; only the first is used as the init image` });
    const body: Record<string, unknown> = {
      model: this.modelId,
      prompt: options.prompt ?? '',
      n: options.n,
      ...(options.size !== undefined && { size: options.size }),
      ...(options.seed !== undefined && { seed: options.seed }),
      ...extras,
    };
    if (files.length > 0) body.image = dataUrl(files[0]!, 'files[0]');
    if (options.mask !== undefined) {
      if (files.length === 0) throw new UnsupportedFunctionalityError({ functionality: 'a mask without an image (give the image in prompt.images)' });
      body.mask = dataUrl(options.mask, 'mask');
    }
    const path = files.length > 0 ? '/edit' : '/generate';
    const url = `${this.config.baseURL}${path}`;
    const timestamp = new Date();
    const response = await this.config.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.config.headers(), ...definedHeaders(options.headers) },
      body: JSON.stringify(body),
      signal: options.abortSignal,
    });
    const text = await response.text();
    if (!response.ok) throw apiCallError(response, url, { ...body, image: body.image && '<image>', mask: body.mask && '<mask>' }, text);
    const answer = JSON.parse(text) as DaemonImages;
    return {
      images: answer.images.map((image) => image.b64_json),
      warnings: [...warnings, ...answer.warnings.map(toWarning)],
      providerMetadata: {
        kimaging: {
          images: answer.images.map((image) => ({
            mediaType: image.mime_type,
            ...(image.width !== undefined && { width: image.width }),
            ...(image.height !== undefined && { height: image.height }),
            ...(image.seed !== undefined && { seed: image.seed }),
          })),
          model: answer.model,
          backend: answer.provider,
          cached: answer.cached,
        },
      },
      response: { timestamp, modelId: answer.model, headers: headersOf(response) },
      ...(answer.usage.total_tokens !== undefined && {
        usage: { inputTokens: answer.usage.input_tokens, outputTokens: answer.usage.output_tokens, totalTokens: answer.usage.total_tokens },
      }),
    };
  }
}

/** The daemon never fetches a URL it is given, so a URL file cannot be sent on. */
function dataUrl(file: ImageModelV3File, what: string): string {
  if (file.type === 'url') throw new UnsupportedFunctionalityError({ functionality: `${what} as a URL (koder-imaging never fetches URLs; pass the bytes)` });
  const base64 = typeof file.data === 'string' ? file.data : Buffer.from(file.data).toString('base64');
  return `data:${file.mediaType};base64,${base64}`;
}

/** Ours -> the SDK's: a dropped knob is `unsupported` with the knob as the feature. */
function toWarning(warning: DaemonImages['warnings'][number]): SharedV3Warning {
  if (warning.type === 'unsupported' && warning.setting) return { type: 'unsupported', feature: warning.setting, details: warning.message };
  return { type: 'other', message: warning.message };
}

function definedHeaders(headers: Record<string, string | undefined> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
