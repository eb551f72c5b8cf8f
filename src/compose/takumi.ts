/**
 * The default card renderer: Takumi (@takumi-rs/core, Rust, native) lays out and rasterises the
 * same element tree satori would get, and encodes PNG and WebP itself: its PNG encoder is lossless,
 * about 3x faster than sharp's at level 6 and its files are smaller (bench:compose prints the
 * whole card against satori + resvg and @vercel/og). JPEG goes through sharp like every JPEG we
 * make, flattened on white. Output is byte-stable for the same tree (the ETag relies on it).
 *
 * Takumi never fetches: an image node's `src` here is always a data URL (render.ts checks it) and
 * is handed over as bytes, fonts are the shipped ones registered once per process.
 */
import { Renderer, type Node } from '@takumi-rs/core';
import type { Size } from '../imagegen/index.ts';
import { encodeRaw, type OutputFormat } from '../images/index.ts';
import type { FontSet } from './fonts.ts';
import type { SatoriElement } from './render.ts';

let renderer: Promise<Renderer> | undefined;

/** One renderer per process: it keeps parsed fonts and glyph caches between cards. */
function takumi(fonts: FontSet): Promise<Renderer> {
  renderer ??= (async () => {
    const r = new Renderer();
    // Registration order is the fallback chain (Inter, then its other subsets, then Noto Sans),
    // the same order satori falls back in.
    for (const font of fonts.satori) await r.registerFont({ name: font.name, data: font.data, weight: font.weight, style: font.style });
    return r;
  })();
  return renderer;
}

/** Same quality as images/encode.ts gives WebP. */
const WEBP_QUALITY = 90;

export async function drawWithTakumi(root: SatoriElement | string, size: Size, fonts: FontSet, format: OutputFormat): Promise<Uint8Array> {
  const r = await takumi(fonts);
  const node = toNode(root);
  const { width, height } = size;
  if (format === 'png') return r.render(node, { width, height, format: 'png' });
  if (format === 'webp') return r.render(node, { width, height, format: 'webp', quality: WEBP_QUALITY });
  // Raw is straight (not premultiplied) RGBA, row-major.
  return encodeRaw({ data: await r.render(node, { width, height, format: 'raw' }), width, height, channels: 4 }, format);
}

/** satori's React-like `{type, props}` -> Takumi's container / text / image nodes. */
function toNode(element: SatoriElement | string): Node {
  if (typeof element === 'string') return { type: 'text', text: element };
  const { style, children, src } = element.props as { style?: Record<string, unknown>; children?: unknown; src?: string };
  if (element.type === 'img') return { type: 'image', src: dataUrlBytes(src!), style: style as never };
  const kids = Array.isArray(children) ? children : children === undefined ? [] : [children];
  return { type: 'container', style: style as never, children: kids.map((child) => toNode(child as SatoriElement | string)) };
}

function dataUrlBytes(src: string): Uint8Array {
  return Buffer.from(src.slice(src.indexOf(',') + 1), 'base64');
}
