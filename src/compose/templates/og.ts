/** `og`: the 1200x630 Open Graph card. */
import type { Template } from '../template.ts';
import type { TreeNode } from '../tree.ts';
import { accentBar, accentField, backdrop, backgroundFields, brandField, brandRow, logoField, palette, themeField } from './theme.ts';

const PAD = 72;

export const og: Template = {
  id: 'og',
  description: 'Open Graph image (1200x630) for a page or post: title, subtitle, brand and logo.',
  fields: {
    title: { type: 'text', required: true, max_length: 300, description: 'Headline; shrinks from 76 px to 44 px to fit 3 lines, then ends in an ellipsis' },
    subtitle: { type: 'text', max_length: 400, description: 'Second line: a summary or the section; up to 2 lines' },
    brand: brandField,
    logo: logoField(),
    ...backgroundFields('1200x630'),
    accent: accentField,
    theme: themeField,
  },
  size: () => ({ width: 1200, height: 630 }),
  fingerprint: 'og/1',
  build(values, size) {
    const inner = size.width - 2 * PAD;
    const text: TreeNode[] = [{ type: 'text', text: String(values.title), style: { fontWeight: 700, letterSpacing: -1 }, fit: { width: inner, max_size: 76, min_size: 44, max_lines: 3 } }];
    if (typeof values.subtitle === 'string') {
      text.push({ type: 'text', text: values.subtitle, style: { color: palette(values).muted, marginTop: 20 }, fit: { width: inner, max_size: 34, min_size: 26, max_lines: 2 } });
    }
    return backdrop(values, size, { flexDirection: 'column', justifyContent: 'space-between', padding: PAD }, [
      { type: 'div', style: { display: 'flex', minHeight: 64 }, children: brandRow(values, 64, 30) },
      { type: 'div', style: { display: 'flex', flexDirection: 'column' }, children: text },
      accentBar(values, 140, 10),
    ]);
  },
};
