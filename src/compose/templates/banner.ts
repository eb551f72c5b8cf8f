/** `banner`: 1500x500, a profile or repository header. */
import type { Template } from '../template.ts';
import type { TreeNode } from '../tree.ts';
import { accentBar, accentField, backdrop, backgroundFields, brandField, logo, logoField, palette, themeField } from './theme.ts';

const PAD = 80;
const LOGO = 220;

export const banner: Template = {
  id: 'banner',
  description: 'Wide banner (1500x500) for a profile, repository or newsletter header: title and tagline beside a large logo.',
  fields: {
    title: { type: 'text', required: true, max_length: 200, description: 'Headline; shrinks from 88 px to 48 px to fit 2 lines, then ends in an ellipsis' },
    subtitle: { type: 'text', max_length: 300, description: 'Tagline under the title; up to 2 lines' },
    brand: brandField,
    logo: logoField('512x512'),
    ...backgroundFields('1500x500'),
    accent: accentField,
    theme: themeField,
  },
  size: () => ({ width: 1500, height: 500 }),
  fingerprint: 'banner/1',
  build(values, size) {
    const hasLogo = typeof values.logo === 'string';
    const textWidth = size.width - 2 * PAD - (hasLogo ? LOGO + PAD : 0);
    const column: TreeNode[] = [];
    if (typeof values.brand === 'string') {
      column.push({ type: 'text', text: values.brand.toUpperCase(), style: { fontSize: 26, fontWeight: 700, letterSpacing: 3, color: palette(values).muted, marginBottom: 18 } });
    }
    column.push({ type: 'text', text: String(values.title), style: { fontWeight: 700, letterSpacing: -1 }, fit: { width: textWidth, max_size: 88, min_size: 48, max_lines: 2 } });
    if (typeof values.subtitle === 'string') {
      column.push({ type: 'text', text: values.subtitle, style: { color: palette(values).muted, marginTop: 18 }, fit: { width: textWidth, max_size: 36, min_size: 26, max_lines: 2 } });
    }
    column.push({ type: 'div', style: { display: 'flex', marginTop: 32 }, children: [accentBar(values, 120, 10)] });
    return backdrop(values, size, { alignItems: 'center', justifyContent: 'space-between', padding: PAD }, [
      { type: 'div', style: { display: 'flex', flexDirection: 'column', width: textWidth }, children: column },
      ...logo(values.logo, LOGO),
    ]);
  },
};
