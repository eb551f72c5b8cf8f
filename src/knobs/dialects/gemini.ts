/**
 * Google's image models on the Gemini API (backends.md 5). Both take an aspect ratio, not a size.
 * Gemini native image output takes `generationConfig.seed`; Imagen on the Gemini API takes no
 * seed and no negative prompt (the SDK rejects both; only Vertex has them) but has a guidance scale.
 */
import type { Dialect } from '../dialect.ts';

export const GEMINI_IMAGE_DIALECT: Dialect = {
  name: 'Gemini image output',
  knobs: ['size', 'n', 'seed'],
  size: { aspectRatios: ['1:1', '2:3', '3:2', '3:4', '4:3', '9:16', '16:9', '21:9'] },
};

export const IMAGEN_DIALECT: Dialect = {
  name: 'Imagen (Gemini API)',
  knobs: ['size', 'n', 'cfg_scale'],
  size: { aspectRatios: ['1:1', '3:4', '4:3', '9:16', '16:9'] },
};
