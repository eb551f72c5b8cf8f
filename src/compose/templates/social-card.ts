/** `social-card`: 1080x1080 square for feeds, or 1200x675 (`variant: wide`) for link previews. */
import type { Template } from '../template.ts';
import type { TreeNode } from '../tree.ts';
import { accentBar, accentField, backdrop, backgroundFields, brandField, brandRow, logoField, palette, themeField } from './theme.ts';

const SIZES = { square: { width: 1080, height: 1080 }, wide: { width: 1200, height: 675 } } as const;
const PAD = 84;
/** The square's height less padding, brand row, accent bar and a one-line subtitle with their margins. */
const SQUARE_TITLE_HEIGHT = 1080 - 2 * PAD - 56 - (12 + 36) - (28 + 36 * 1.15);

export const socialCard: Template = {
  id: 'social-card',
  description: 'Social post card: 1080x1080 square (variant square) or 1200x675 (variant wide); a big quote or headline with its author.',
  fields: {
    title: { type: 'text', required: true, max_length: 400, description: 'The headline or quote; shrinks to fit (square: 128 to 48 px in up to 7 lines that fit its height; wide: 80 to 40 px in 4), then ends in an ellipsis' },
    subtitle: { type: 'text', max_length: 120, description: 'Author or source, under the title' },
    variant: { type: 'choice', choices: ['square', 'wide'], default: 'square', description: 'square (1080x1080) or wide (1200x675)' },
    brand: brandField,
    logo: logoField(),
    ...backgroundFields('1080x1080'),
    accent: accentField,
    theme: themeField,
  },
  size: (values) => SIZES[values.variant === 'wide' ? 'wide' : 'square'],
  fingerprint: 'social-card/2',
  build(values, size) {
    const wide = size.width > size.height;
    const inner = size.width - 2 * PAD;
    const body: TreeNode[] = [
      accentBar(values, 96, 12),
      {
        type: 'text',
        text: String(values.title),
        style: { fontWeight: 700, letterSpacing: -1, marginTop: 36 },
        fit: wide ? { width: inner, max_size: 80, min_size: 40, max_lines: 4 } : { width: inner, max_size: 128, min_size: 48, max_lines: 7, max_height: SQUARE_TITLE_HEIGHT },
      },
    ];
    // The attribution dash is ours; a subtitle that brings its own ("— Ada") keeps only one.
    const subtitle = typeof values.subtitle === 'string' ? values.subtitle.replace(/^[\s—–-]+/, '') : '';
    if (subtitle) {
      body.push({ type: 'text', text: `— ${subtitle}`, style: { color: palette(values).muted, marginTop: 28 }, fit: { width: inner, max_size: 36, min_size: 28, max_lines: 1 } });
    }
    return backdrop(values, size, { flexDirection: 'column', justifyContent: 'space-between', padding: PAD }, [
      { type: 'div', style: { display: 'flex', flexDirection: 'column', flexGrow: 1, justifyContent: 'center' }, children: body },
      { type: 'div', style: { display: 'flex', minHeight: 56 }, children: brandRow(values, 56, 28) },
    ]);
  },
};
