/**
 * Tree -> satori (SVG) -> resvg (PNG). Everything the renderer may draw is already inline: image
 * sources must be data URLs and no style may point at a URL, because satori would fetch one.
 * resvg loads no system fonts; text is already vector paths from our shipped fonts.
 */
import { Resvg } from '@resvg/resvg-js';
import satori from 'satori';
import type { Size } from '../imagegen/index.ts';
import { fitText } from './fit.ts';
import type { FontSet, FontWeight } from './fonts.ts';
import type { Style, TreeNode } from './tree.ts';

interface SatoriElement {
  type: string;
  props: Record<string, unknown>;
}

export async function renderPng(tree: TreeNode, size: Size, fonts: FontSet): Promise<Uint8Array> {
  const root = toSatori(tree, fonts);
  const svg = await satori(root as never, { width: size.width, height: size.height, fonts: fonts.satori, embedFont: true });
  const png = new Resvg(svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: false } }).render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

function toSatori(node: TreeNode, fonts: FontSet): SatoriElement | string {
  if (typeof node === 'string') return node;
  const style = { ...safeStyle(node.style) };
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
      const lineHeight = Number(style.lineHeight ?? 1.15);
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
  return Object.fromEntries(Object.entries(style).filter(([, value]) => typeof value !== 'string' || !/url\(\s*['"]?(?!data:)/i.test(value)));
}
