/**
 * Google's image models on the Gemini API (backends.md 5). Both take an aspect ratio, not a size.
 * Gemini's ratios include 4:5 and 5:4 (Google's image-generation guide; backends.md 5.2 lists eight).
 * Gemini native image output takes `generationConfig.seed`; Imagen on the Gemini API takes no
 * seed and no negative prompt (the SDK rejects both; only Vertex has them) but has a guidance scale.
 */
import type { Dialect } from '../dialect.ts';

export const GEMINI_IMAGE_DIALECT: Dialect = {
  name: 'Gemini image output',
  knobs: ['size', 'n', 'seed'],
  size: { aspectRatios: ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'] },
};

export const IMAGEN_DIALECT: Dialect = {
  name: 'Imagen (Gemini API)',
  knobs: ['size', 'n', 'cfg_scale'],
  size: { aspectRatios: ['1:1', '3:4', '4:3', '9:16', '16:9'] },
};
