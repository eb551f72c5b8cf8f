/**
 * The shipped fonts: Inter first, Noto Sans as the fallback for what Inter lacks (Devanagari,
 * more of Latin extended). They are read from the @fontsource packages' .woff files in
 * node_modules (satori reads WOFF, not WOFF2), once per process; nothing is ever downloaded.
 *
 * Each file's cmap and horizontal metrics are read here too, so we know exactly which code points
 * some shipped font can draw (the rest become a warning) and how wide a line is (title fitting).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';

export type FontWeight = 400 | 700;

/** Which subsets of which packages, in fallback order: the first font with a glyph draws it. */
const FAMILIES: { name: string; pkg: string; subsets: string[] }[] = [
  { name: 'Inter', pkg: '@fontsource/inter', subsets: ['latin', 'latin-ext', 'greek', 'greek-ext', 'cyrillic', 'cyrillic-ext', 'vietnamese'] },
  {
    name: 'Noto Sans',
    pkg: '@fontsource/noto-sans',
    subsets: ['latin', 'latin-ext', 'greek', 'greek-ext', 'cyrillic', 'cyrillic-ext', 'vietnamese', 'devanagari'],
  },
];
const WEIGHTS: FontWeight[] = [400, 700];

/** The shape satori takes for a font. */
export interface SatoriFont {
  name: string;
  data: ArrayBuffer;
  weight: FontWeight;
  style: 'normal';
}

interface Metrics {
  unitsPerEm: number;
  /** code point -> advance width in font units */
  advance: Map<number, number>;
}

export interface FontSet {
  /** Passed to satori as is; the same array every time, so satori's parsed-font cache hits. */
  satori: SatoriFont[];
  /** Can some shipped font draw this code point? */
  canDraw(codePoint: number): boolean;
  /** Width of `text` in px at `fontSize`, with the fallback order satori uses. */
  measure(text: string, fontSize: number, weight: FontWeight): number;
}

let loaded: FontSet | undefined;

export function loadFonts(): FontSet {
  loaded ??= readFonts();
  return loaded;
}

function readFonts(): FontSet {
  const require = createRequire(import.meta.url);
  const satori: SatoriFont[] = [];
  const metrics: Record<FontWeight, Metrics[]> = { 400: [], 700: [] };
  for (const family of FAMILIES) {
    const dir = require.resolve(`${family.pkg}/package.json`).replace(/package\.json$/, 'files/');
    for (const weight of WEIGHTS) {
      for (const subset of family.subsets) {
        const file = readFileSync(`${dir}${family.pkg.split('/')[1]}-${subset}-${weight}-normal.woff`);
        const data = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
        // satori picks one font per family name and falls back across names, so every subset
        // gets a name of its own (the first, `Inter`, is the one templates ask for).
        const name = subset === 'latin' ? family.name : `${family.name} ${subset}`;
        satori.push({ name, data, weight, style: 'normal' });
        metrics[weight].push(readMetrics(file));
      }
    }
  }
  const drawable = new Set<number>();
  for (const m of [...metrics[400], ...metrics[700]]) for (const cp of m.advance.keys()) drawable.add(cp);
  return {
    satori,
    canDraw: (cp) => drawable.has(cp),
    measure(text, fontSize, weight) {
      let units = 0;
      for (const char of text) {
        const cp = char.codePointAt(0)!;
        const font = metrics[weight].find((m) => m.advance.has(cp));
        // An undrawable character is removed before rendering; count it as a space.
        units += font ? font.advance.get(cp)! / font.unitsPerEm : 0.3;
      }
      return units * fontSize;
    },
  };
}

/** WOFF 1.0: a table directory of zlib-compressed sfnt tables. We need head, hhea, hmtx, cmap. */
function readMetrics(woff: Buffer): Metrics {
  if (woff.readUInt32BE(0) !== 0x774f4646) throw new Error('not a WOFF file');
  const tables = new Map<string, Buffer>();
  const count = woff.readUInt16BE(12);
  for (let i = 0; i < count; i++) {
    const at = 44 + i * 20;
    const tag = woff.toString('latin1', at, at + 4);
    if (!['head', 'hhea', 'hmtx', 'cmap'].includes(tag)) continue;
    const offset = woff.readUInt32BE(at + 4);
    const compLength = woff.readUInt32BE(at + 8);
    const origLength = woff.readUInt32BE(at + 12);
    const raw = woff.subarray(offset, offset + compLength);
    tables.set(tag, compLength < origLength ? inflateSync(raw) : raw);
  }
  const unitsPerEm = tables.get('head')!.readUInt16BE(18);
  const numberOfHMetrics = tables.get('hhea')!.readUInt16BE(34);
  const hmtx = tables.get('hmtx')!;
  const advanceOf = (glyph: number) => hmtx.readUInt16BE(4 * Math.min(glyph, numberOfHMetrics - 1));
  const advance = new Map<number, number>();
  for (const [cp, glyph] of readCmap(tables.get('cmap')!)) if (glyph !== 0) advance.set(cp, advanceOf(glyph));
  return { unitsPerEm, advance };
}

/** Code point -> glyph id from the Unicode subtable (format 12 preferred, else format 4). */
function readCmap(cmap: Buffer): Map<number, number> {
  const subtables: number[] = [];
  for (let i = 0; i < cmap.readUInt16BE(2); i++) {
    const platform = cmap.readUInt16BE(4 + i * 8);
    const encoding = cmap.readUInt16BE(6 + i * 8);
    if (platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10))) subtables.push(cmap.readUInt32BE(8 + i * 8));
  }
  const map = new Map<number, number>();
  const format12 = subtables.find((o) => cmap.readUInt16BE(o) === 12);
  if (format12 !== undefined) {
    const groups = cmap.readUInt32BE(format12 + 12);
    for (let g = 0; g < groups; g++) {
      const at = format12 + 16 + g * 12;
      const start = cmap.readUInt32BE(at);
      const end = cmap.readUInt32BE(at + 4);
      const glyph = cmap.readUInt32BE(at + 8);
      for (let cp = start; cp <= end; cp++) map.set(cp, glyph + cp - start);
    }
    return map;
  }
  const o = subtables.find((s) => cmap.readUInt16BE(s) === 4);
  if (o === undefined) return map;
  const segments = cmap.readUInt16BE(o + 6) / 2;
  const ends = o + 14;
  const starts = ends + segments * 2 + 2;
  const deltas = starts + segments * 2;
  const rangeOffsets = deltas + segments * 2;
  for (let s = 0; s < segments; s++) {
    const end = cmap.readUInt16BE(ends + s * 2);
    const start = cmap.readUInt16BE(starts + s * 2);
    const delta = cmap.readInt16BE(deltas + s * 2);
    const rangeOffset = cmap.readUInt16BE(rangeOffsets + s * 2);
    for (let cp = start; cp <= end && cp !== 0xffff; cp++) {
      let glyph: number;
      if (rangeOffset === 0) glyph = (cp + delta) & 0xffff;
      else {
        const at = rangeOffsets + s * 2 + rangeOffset + (cp - start) * 2;
        glyph = cmap.readUInt16BE(at);
        if (glyph !== 0) glyph = (glyph + delta) & 0xffff;
      }
      map.set(cp, glyph);
    }
  }
  return map;
}
