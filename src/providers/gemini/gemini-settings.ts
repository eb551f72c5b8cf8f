/**
 * Known Google image models, as a table: which endpoint each speaks (generateContent for Gemini's
 * native image output, predict for Imagen), what it can do and how many images one call makes.
 * Unknown ids are read by their name: `imagen-*` is Imagen, anything else Gemini.
 */
import type { Capability } from '../../imagegen/index.ts';
import type { Dialect } from '../../knobs/index.ts';
import { GEMINI_IMAGE_DIALECT, IMAGEN_DIALECT } from '../../knobs/dialects/gemini.ts';

export type GeminiImageModelId =
  | 'gemini-2.5-flash-image'
  | 'gemini-3-pro-image-preview'
  | 'gemini-3.1-flash-image-preview'
  | 'imagen-4.0-generate-001'
  | 'imagen-3.0-generate-002'
  | (string & {});

export interface GeminiModelRules {
  endpoint: 'generateContent' | 'predict';
  dialect: Dialect;
  capabilities: readonly Capability[];
  maxImagesPerCall: number;
}

// Gemini answers one image per generateContent call; edits are the input image as an inlineData
// part. "inpaint" is listed because a mask is taken (and said to be ignored): the edit is prompt-driven.
const GEMINI: GeminiModelRules = { endpoint: 'generateContent', dialect: GEMINI_IMAGE_DIALECT, capabilities: ['txt2img', 'img2img', 'inpaint'], maxImagesPerCall: 1 };
// Imagen on the Gemini API is text-to-image only; sampleCount goes up to 4.
const IMAGEN: GeminiModelRules = { endpoint: 'predict', dialect: IMAGEN_DIALECT, capabilities: ['txt2img'], maxImagesPerCall: 4 };

export const GEMINI_MODEL_RULES: Record<string, GeminiModelRules> = {
  'gemini-2.5-flash-image': GEMINI,
  'gemini-3-pro-image-preview': GEMINI,
  'gemini-3.1-flash-image-preview': GEMINI,
  'imagen-4.0-generate-001': IMAGEN,
  'imagen-3.0-generate-002': IMAGEN,
};

export function geminiModelRules(id: string): GeminiModelRules {
  return GEMINI_MODEL_RULES[id] ?? (id.startsWith('imagen-') ? IMAGEN : GEMINI);
}
