/** `package`: a 1200x630 card for a package registry page. */
import { compactNumber } from '../fields.ts';
import type { ResolvedValues, Template } from '../template.ts';
import type { TreeNode } from '../tree.ts';
import { accent, accentField, backdrop, logo, logoField, palette, themeField } from './theme.ts';

const PAD = 72;

function stat(values: ResolvedValues, label: string, value: string): TreeNode {
  return {
    type: 'div',
    style: { display: 'flex', flexDirection: 'column', marginRight: 64 },
    children: [
      { type: 'text', text: value, style: { fontSize: 44, fontWeight: 700 } },
      { type: 'text', text: label, style: { fontSize: 24, color: palette(values).muted } },
    ],
  };
}

export const packageCard: Template = {
  id: 'package',
  description: 'Package page card (1200x630): name, version, description, downloads or stars, author and logo.',
  fields: {
    name: { type: 'text', required: true, max_length: 214, description: 'Package name, e.g. @scope/name; shrinks from 72 px to 40 px to fit 2 lines' },
    version: { type: 'text', max_length: 40, description: 'Version shown in a badge, e.g. 1.4.2' },
    description: { type: 'text', max_length: 500, description: 'One-paragraph summary; up to 3 lines, then an ellipsis' },
    downloads: { type: 'number', description: 'Download count (shown compact: 12.3k)' },
    downloads_label: { type: 'text', max_length: 30, default: 'weekly downloads', description: 'Label under the download count' },
    stars: { type: 'number', description: 'Star count (shown compact)' },
    author: { type: 'text', max_length: 80, description: 'Author or organisation' },
    registry: { type: 'text', max_length: 30, default: 'npm', description: 'Registry label in the corner' },
    logo: logoField(),
    accent: accentField,
    theme: themeField,
  },
  size: () => ({ width: 1200, height: 630 }),
  fingerprint: 'package/1',
  build(values, size) {
    const colours = palette(values);
    const hasLogo = typeof values.logo === 'string';
    const nameWidth = size.width - 2 * PAD - (hasLogo ? 120 + 32 : 0);
    const header: TreeNode[] = [...logo(values.logo, 120)];
    const nameColumn: TreeNode[] = [{ type: 'text', text: String(values.name), style: { fontWeight: 700, letterSpacing: -1 }, fit: { width: nameWidth, max_size: 72, min_size: 40, max_lines: 2 } }];
    const badges: TreeNode[] = [];
    if (typeof values.version === 'string') {
      badges.push({ type: 'text', text: `v${values.version.replace(/^v/, '')}`, style: { fontSize: 26, fontWeight: 700, color: '#ffffff', backgroundColor: accent(values), borderRadius: 10, padding: '6px 16px', marginRight: 16 } });
    }
    if (typeof values.author === 'string') badges.push({ type: 'text', text: `by ${values.author}`, style: { fontSize: 26, color: colours.muted } });
    if (badges.length) nameColumn.push({ type: 'div', style: { display: 'flex', alignItems: 'center', marginTop: 16 }, children: badges });
    header.push({ type: 'div', style: { display: 'flex', flexDirection: 'column', marginLeft: hasLogo ? 32 : 0, width: nameWidth }, children: nameColumn });

    const stats: TreeNode[] = [];
    if (typeof values.downloads === 'number') stats.push(stat(values, String(values.downloads_label), compactNumber(values.downloads)));
    if (typeof values.stars === 'number') stats.push(stat(values, 'stars', compactNumber(values.stars)));
    const footer: TreeNode = {
      type: 'div',
      style: { display: 'flex', alignItems: 'flex-end', justifyContent: 'space-between' },
      children: [
        { type: 'div', style: { display: 'flex' }, children: stats },
        { type: 'text', text: String(values.registry), style: { fontSize: 28, fontWeight: 700, color: accent(values) } },
      ],
    };
    const middle: TreeNode[] = [];
    if (typeof values.description === 'string') {
      middle.push({ type: 'text', text: values.description, style: { color: colours.muted }, fit: { width: size.width - 2 * PAD, max_size: 34, min_size: 26, max_lines: 3 } });
    }
    return backdrop(values, size, { flexDirection: 'column', justifyContent: 'space-between', padding: PAD }, [
      { type: 'div', style: { display: 'flex', alignItems: 'center' }, children: header },
      { type: 'div', style: { display: 'flex' }, children: middle },
      footer,
    ]);
  },
};
