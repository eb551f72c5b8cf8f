/** The price table: the most specific row matching provider, model, size and quality prices an image. */
import type { PriceConfig } from '../config/index.ts';

export interface PriceKey {
  provider: string;
  model: string;
  width: number;
  height: number;
  quality?: string;
}

const FIELDS = ['model', 'size', 'quality'] as const;

export function findPrice(prices: PriceConfig[], key: PriceKey): PriceConfig | undefined {
  const wanted = { model: key.model, size: `${key.width}x${key.height}`, quality: key.quality };
  let best: { row: PriceConfig; specificity: number } | undefined;
  for (const row of prices) {
    if (row.provider !== key.provider) continue;
    if (FIELDS.some((field) => row[field] !== undefined && row[field] !== wanted[field])) continue;
    const specificity = FIELDS.filter((field) => row[field] !== undefined).length;
    if (!best || specificity > best.specificity) best = { row, specificity };
  }
  return best?.row;
}

/** Cost of one image; 0 when no row matches. */
export function imageCost(prices: PriceConfig[], key: PriceKey): number {
  const row = findPrice(prices, key);
  if (!row) return 0;
  return row.per_image + (row.per_megapixel * key.width * key.height) / 1e6;
}
