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

export const palette = (values: ResolvedValues): Palette => PALETTES[values.theme === 'dark' ? 'dark' : 'light'];
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
