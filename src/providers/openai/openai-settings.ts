/**
 * Known OpenAI image models and their rules, as a table (backends.md 1): what each can do, how
 * many images one call makes, which fields it takes. The knob side (sizes) is in
 * src/knobs/dialects/openai.ts.
 */
import type { Capability } from '../../imagegen/index.ts';
import type { Dialect } from '../../knobs/index.ts';
import { OPENAI_COMPATIBLE_DIALECT, OPENAI_DIALECTS, SD_CPP_EXTRA_ARGS_DIALECT } from '../../knobs/dialects/openai.ts';

export type OpenAIImageModelId =
  | 'gpt-image-1'
  | 'gpt-image-1-mini'
  | 'gpt-image-1.5'
  | 'gpt-image-2'
  | 'gpt-image-2-2026-04-21'
  | 'chatgpt-image-latest'
  | 'dall-e-3'
  | 'dall-e-2'
  | (string & {});

export interface OpenAIModelRules {
  dialect: Dialect;
  capabilities: readonly Capability[];
  maxImagesPerCall: number;
  /** dall-e-* answer with URLs unless asked for b64_json; GPT image models refuse the field. */
  sendResponseFormat: boolean;
  /** Values the `quality` field takes; absent means the model has none we know of. */
  qualities?: readonly string[];
  styles?: readonly string[];
  /** dall-e-2 edits: one square PNG under 4 MB (and the mask too). */
  squarePngEditsUnder?: number;
  /** dall-e-2 edits refuse an RGB image ("format must be in ['RGBA', 'LA', 'L']"): send it with alpha. */
  alphaEditImage?: boolean;
  /** The mask form: OpenAI reads alpha 0 as "edit"; sd.cpp decodes the mask as grey (white = edit). */
  maskForm: 'alpha' | 'grey';
  /** Send the image part as `image[]` (sd.cpp's preferred name) instead of `image`. */
  imageArrayField?: boolean;
  /** Takes `stream: true` with `partial_images` (GPT image models only, backends.md 1.1). */
  streams?: boolean;
}

const ALL: readonly Capability[] = ['txt2img', 'img2img', 'inpaint'];
const GPT_QUALITIES = ['low', 'medium', 'high', 'auto'] as const;

const gptImage = (id: string): OpenAIModelRules => ({
  dialect: OPENAI_DIALECTS[id]!,
  capabilities: ALL,
  maxImagesPerCall: 10,
  sendResponseFormat: false,
  qualities: GPT_QUALITIES,
  maskForm: 'alpha',
  streams: true,
});

export const OPENAI_MODEL_RULES: Record<string, OpenAIModelRules> = {
  'gpt-image-1': gptImage('gpt-image-1'),
  'gpt-image-1-mini': gptImage('gpt-image-1-mini'),
  'gpt-image-1.5': gptImage('gpt-image-1.5'),
  'gpt-image-2': gptImage('gpt-image-2'),
  'gpt-image-2-2026-04-21': gptImage('gpt-image-2-2026-04-21'),
  'chatgpt-image-latest': { ...gptImage('chatgpt-image-latest'), capabilities: ['img2img', 'inpaint'] },
  // dall-e-3 takes n=1 only (a 400 otherwise), so n is split into calls; it has no edits.
  'dall-e-3': {
    dialect: OPENAI_DIALECTS['dall-e-3']!,
    capabilities: ['txt2img'],
    maxImagesPerCall: 1,
    sendResponseFormat: true,
    qualities: ['standard', 'hd'],
    styles: ['vivid', 'natural'],
    maskForm: 'alpha',
  },
  // dall-e-2 edits need a transparent area or a mask: inpainting only, never plain img2img.
  'dall-e-2': {
    dialect: OPENAI_DIALECTS['dall-e-2']!,
    capabilities: ['txt2img', 'inpaint'],
    maxImagesPerCall: 10,
    sendResponseFormat: true,
    qualities: ['standard'],
    squarePngEditsUnder: 4 * 1024 * 1024,
    alphaEditImage: true,
    maskForm: 'alpha',
  },
};

/** A model behind a gateway (LiteLLM, LocalAI, OpenRouter, llama-swap): ask for base64, send size and n. */
const COMPATIBLE: OpenAIModelRules = {
  dialect: OPENAI_COMPATIBLE_DIALECT,
  capabilities: ALL,
  maxImagesPerCall: 10,
  sendResponseFormat: true,
  maskForm: 'alpha',
};

/** stable-diffusion.cpp's /v1: knobs embedded in the prompt, grey masks, at most 8 images a call (batch_count clamp). */
const SD_CPP: OpenAIModelRules = {
  dialect: SD_CPP_EXTRA_ARGS_DIALECT,
  capabilities: ALL,
  maxImagesPerCall: 8,
  sendResponseFormat: false,
  maskForm: 'grey',
  imageArrayField: true,
};

export function openAIModelRules(id: string, options: { sdCppExtraArgs?: boolean } = {}): OpenAIModelRules {
  if (options.sdCppExtraArgs) return SD_CPP;
  return OPENAI_MODEL_RULES[id] ?? COMPATIBLE;
}
