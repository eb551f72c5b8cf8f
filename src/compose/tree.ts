/**
 * The element tree every template produces (built-in ones in code, custom ones from the config as
 * JSON): divs, images and text, with CSS-like styles that satori understands. `text` nodes may ask
 * to be fitted: shrink from max_size to min_size until the text fits in max_lines, then clamp
 * with an ellipsis.
 */
import { z } from 'zod';

export type StyleValue = string | number;
export type Style = Record<string, StyleValue>;

export interface TextFit {
  /** Box width in px the lines must fit in. */
  width: number;
  max_size: number;
  min_size: number;
  max_lines: number;
  /** Built-in templates only: the box's height in px, so big type takes fewer lines (at LINE_HEIGHT). */
  max_height?: number;
}

export type TreeNode =
  | string
  | { type: 'div'; style?: Style; children?: TreeNode[] }
  | { type: 'img'; src: string; style?: Style }
  | { type: 'text'; text: string; style?: Style; fit?: TextFit };

const StyleSchema = z.record(z.string().regex(/^[a-zA-Z]+$/, 'style keys are camelCase CSS properties'), z.union([z.string(), z.number()]));

const FitSchema = z
  .object({
    width: z.number().positive(),
    max_size: z.number().positive(),
    min_size: z.number().positive(),
    max_lines: z.number().int().min(1).max(20),
  })
  .strict()
  .refine((fit) => fit.min_size <= fit.max_size, 'fit.min_size must be <= fit.max_size');

export const TreeNodeSchema: z.ZodType<TreeNode> = z.lazy(() =>
  z.union([
    z.string(),
    z.object({ type: z.literal('div'), style: StyleSchema.optional(), children: z.array(TreeNodeSchema).max(200).optional() }).strict(),
    z.object({ type: z.literal('img'), src: z.string(), style: StyleSchema.optional() }).strict(),
    z.object({ type: z.literal('text'), text: z.string(), style: StyleSchema.optional(), fit: FitSchema.optional() }).strict(),
  ]),
);

const PLACEHOLDER = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;

/** Every `{{field}}` a tree names, to check at load that each is a declared field. */
export function placeholdersIn(node: TreeNode, found = new Set<string>()): Set<string> {
  const scan = (text: string) => {
    for (const match of text.matchAll(PLACEHOLDER)) found.add(match[1]!);
  };
  if (typeof node === 'string') scan(node);
  else {
    for (const value of Object.values(node.style ?? {})) if (typeof value === 'string') scan(value);
    if (node.type === 'div') for (const child of node.children ?? []) placeholdersIn(child, found);
    if (node.type === 'img') scan(node.src);
    if (node.type === 'text') scan(node.text);
  }
  return found;
}

/** Replace `{{field}}` with the field's value everywhere in the tree. */
export function fillPlaceholders(node: TreeNode, values: Record<string, string>): TreeNode {
  const fill = (text: string) => text.replace(PLACEHOLDER, (_, name: string) => values[name] ?? '');
  const fillStyle = (style: Style | undefined) =>
    style && Object.fromEntries(Object.entries(style).map(([key, value]) => [key, typeof value === 'string' ? fill(value) : value]));
  if (typeof node === 'string') return fill(node);
  switch (node.type) {
    case 'div':
      return { type: 'div', style: fillStyle(node.style), children: node.children?.map((child) => fillPlaceholders(child, values)) };
    case 'img':
      return { type: 'img', src: fill(node.src), style: fillStyle(node.style) };
    case 'text':
      return { type: 'text', text: fill(node.text), style: fillStyle(node.style), fit: node.fit };
  }
}
