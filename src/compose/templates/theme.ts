/** Light and dark palettes, and the fields every built-in template shares. */
import type { FieldSpec } from '../fields.ts';
import type { ResolvedValues } from '../template.ts';
import type { Style, TreeNode } from '../tree.ts';

export interface Palette {
  background: string;
  text: string;
  muted: string;
  surface: string;
  accent: string;
}

export const PALETTES: Record<'light' | 'dark', Palette> = {
  light: { background: '#ffffff', text: '#0f172a', muted: '#475569', surface: '#f1f5f9', accent: '#6366f1' },
  dark: { background: '#0b1120', text: '#f8fafc', muted: '#94a3b8', surface: '#1e293b', accent: '#818cf8' },
};

/**
 * The theme's palette, with text colours re-picked when the caller chose the backdrop (a gradient
 * or a background colour): the theme's dark slate is unreadable on a bright blue gradient. Text
 * takes whichever of the two themes' text colours has the better worst-case contrast over the
 * backdrop's colours; the muted colour stays only if it keeps WCAG AA for large text (3:1: every
 * muted use is 24 px or more) there, else it is the text colour. A background picture sits under the theme's own scrim, so the theme's colours hold.
 */
export function palette(values: ResolvedValues): Palette {
  const theme = values.theme === 'dark' ? 'dark' : 'light';
  const base = PALETTES[theme];
  const backdrop = typeof values.background_image === 'string' ? [] : backdropColours(values);
  if (backdrop.length === 0) return base;
  const worst = (colour: string) => Math.min(...backdrop.map((b) => contrast(luminance(colour)!, b)));
  const other = PALETTES[theme === 'dark' ? 'light' : 'dark'];
  const chosen = worst(other.text) > worst(base.text) ? other : base;
  return { ...base, text: chosen.text, muted: worst(chosen.muted) >= 3 ? chosen.muted : chosen.text };
}

/** Luminances of the gradient's stops (it covers the background), else of the background colour. */
function backdropColours(values: ResolvedValues): number[] {
  const colours = typeof values.gradient === 'string' ? values.gradient.split(',') : typeof values.background === 'string' ? [values.background] : [];
  return colours.map(luminance).filter((l): l is number => l !== undefined);
}

/** WCAG relative luminance of a hex colour (#rgb, #rgba, #rrggbb, #rrggbbaa); undefined for other notations. */
function luminance(colour: string): number | undefined {
  const hex = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(colour.trim())?.[1];
  if (!hex) return undefined;
  const digits = hex.length <= 4 ? [...hex].map((d) => d + d) : hex.match(/../g)!;
  const [r, g, b] = digits.slice(0, 3).map((d) => {
    const c = parseInt(d, 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

const contrast = (a: number, b: number): number => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
/** WCAG contrast ratio of two hex colours (for tests and template authors). */
export const contrastOf = (a: string, b: string): number => contrast(luminance(a)!, luminance(b)!);
export const accent = (values: ResolvedValues): string => (values.accent as string | undefined) ?? palette(values).accent;

export const themeField: FieldSpec = { type: 'choice', choices: ['light', 'dark'], default: 'light', description: 'Colour scheme: light or dark' };
export const accentField: FieldSpec = { type: 'color', description: "Accent colour (bars, badges); the theme's indigo if absent" };
export const brandField: FieldSpec = { type: 'text', max_length: 60, description: 'Site or product name shown beside the logo' };
export const logoField = (generateSize = '256x256'): FieldSpec => ({
  type: 'image',
  generate_size: generateSize,
  description: 'Logo: base64, a data URL, or {"generate": {"prompt": ...}}; drawn square with rounded corners',
});
export const backgroundFields = (generateSize: string): Record<string, FieldSpec> => ({
  background: { type: 'color', description: "Background colour; the theme's if absent" },
  gradient: { type: 'gradient', description: 'Background gradient, 2 to 4 hex colours: "#0ea5e9,#6366f1" (over background)' },
  background_image: {
    type: 'image',
    generate_size: generateSize,
    description: 'Background picture, cover-fitted under a scrim so text stays readable: base64, data URL or {"generate": {...}}',
  },
});

/** The root box: colour, gradient or picture behind the content. */
export function backdrop(values: ResolvedValues, size: { width: number; height: number }, style: Style, children: TreeNode[]): TreeNode {
  const colours = palette(values);
  const root: Style = {
    display: 'flex',
    position: 'relative',
    width: size.width,
    height: size.height,
    fontFamily: 'Inter',
    color: colours.text,
    backgroundColor: (values.background as string | undefined) ?? colours.background,
  };
  if (typeof values.gradient === 'string') root.backgroundImage = `linear-gradient(135deg, ${values.gradient})`;
  const layers: TreeNode[] = [];
  if (typeof values.background_image === 'string') {
    const full: Style = { position: 'absolute', left: 0, top: 0, width: size.width, height: size.height };
    layers.push({ type: 'img', src: values.background_image, style: { ...full, objectFit: 'cover' } });
    layers.push({ type: 'div', style: { ...full, backgroundColor: colours.background, opacity: 0.72 } });
  }
  const content: TreeNode = { type: 'div', style: { display: 'flex', position: 'relative', width: '100%', height: '100%', ...style }, children };
  return { type: 'div', style: root, children: [...layers, content] };
}

export function logo(src: string | number | undefined, side: number): TreeNode[] {
  if (typeof src !== 'string') return [];
  return [{ type: 'img', src, style: { width: side, height: side, borderRadius: Math.round(side / 5), objectFit: 'cover' } }];
}

/** Logo and brand name side by side; nothing when both are absent. */
export function brandRow(values: ResolvedValues, side: number, fontSize: number): TreeNode[] {
  const parts: TreeNode[] = [...logo(values.logo, side)];
  if (typeof values.brand === 'string') parts.push({ type: 'text', text: values.brand, style: { fontSize, fontWeight: 700 } });
  return parts.length ? [{ type: 'div', style: { display: 'flex', alignItems: 'center', gap: Math.round(side / 3) }, children: parts }] : [];
}

export const accentBar = (values: ResolvedValues, width: number, height: number): TreeNode => ({
  type: 'div',
  style: { display: 'flex', width, height, borderRadius: height, backgroundColor: accent(values) },
});
