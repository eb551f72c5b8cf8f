/**
 * Tree -> pixels -> PNG, WebP or JPEG. Two renderers draw the same element tree: Takumi (the
 * default, native, takumi.ts) or satori (SVG) + resvg. Everything a renderer may draw is already
 * inline: image sources must be data URLs and no style may point at a URL, because satori would
 * fetch one. resvg loads no system fonts; satori's text is already vector paths from our fonts.
 */
import { Resvg } from '@resvg/resvg-js';
import satori from 'satori';
import type { Size } from '../imagegen/index.ts';
import { encodeRaw, type OutputFormat } from '../images/index.ts';
import { fitText, LINE_HEIGHT } from './fit.ts';
import type { FontSet, FontWeight } from './fonts.ts';
import { drawWithTakumi } from './takumi.ts';
import type { Style, TreeNode } from './tree.ts';

export type CardRenderer = 'takumi' | 'satori';

export interface SatoriElement {
  type: string;
  props: Record<string, unknown>;
}

export async function renderCard(tree: TreeNode, size: Size, fonts: FontSet, format: OutputFormat, renderer: CardRenderer = 'takumi'): Promise<Uint8Array> {
  const root = toSatoriElement(tree, fonts);
  if (renderer === 'takumi') return drawWithTakumi(root, size, fonts, format);
  // resvg rasterises; sharp encodes: its PNG encoder is about twice as fast as resvg's own at a
  // smaller size, and WebP/JPEG come from the same pixels directly.
  const svg = await satori(root as never, { width: size.width, height: size.height, fonts: fonts.satori, embedFont: true });
  const rendered = new Resvg(svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: false } }).render();
  return encodeRaw({ data: rendered.pixels, width: rendered.width, height: rendered.height, channels: 4, premultiplied: true }, format);
}

/** The element satori takes (React-like `{type, props}`), with fitted text laid out in lines. */
export function toSatoriElement(tree: TreeNode, fonts: FontSet): SatoriElement | string {
  return toSatori(tree, fonts);
}

function toSatori(node: TreeNode, fonts: FontSet): SatoriElement | string {
  if (typeof node === 'string') return node;
  // border-box, as in every CSS reset: a box with padding stays the size it says.
  const style: Style = { boxSizing: 'border-box', ...safeStyle(node.style) };
  switch (node.type) {
    case 'div':
      return { type: 'div', props: { style, children: (node.children ?? []).map((child) => toSatori(child, fonts)) } };
    case 'img':
      if (!/^data:image\/(png|jpeg);base64,/.test(node.src)) throw new Error('image sources must be inline PNG or JPEG data URLs by now');
      return { type: 'img', props: { src: node.src, style } };
    case 'text': {
      if (!node.fit) return { type: 'div', props: { style: { display: 'flex', ...style }, children: node.text } };
      const weight: FontWeight = Number(style.fontWeight ?? 400) >= 600 ? 700 : 400;
      const fitted = fitText(node.text, node.fit, weight, fonts);
      const lineHeight = Number(style.lineHeight ?? LINE_HEIGHT);
      return {
        type: 'div',
        props: {
          style: { display: 'flex', flexDirection: 'column', ...style, fontSize: fitted.fontSize, lineHeight },
          children: fitted.lines.map((line) => ({ type: 'div', props: { style: { display: 'flex', whiteSpace: 'pre' }, children: line } })),
        },
      };
    }
  }
}

/** A style value that names a URL other than a data URL would make satori fetch it: drop it. */
function safeStyle(style: Style | undefined): Style {
  if (!style) return {};
  return Object.fromEntries(Object.entries(style).filter(([, value]) => typeof value !== 'string' || !/url\(\s*(?!['"]?data:)/i.test(value)));
}
