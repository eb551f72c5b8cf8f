/**
 * Custom templates from the config (`compose.templates`): a size, documented fields, and a JSON
 * element tree or HTML/CSS text (html.ts) with `{{field}}` placeholders. Checked when the config
 * loads: every placeholder names a declared field, an image's `src` may only be an image field,
 * and a box with several children says how to lay them out.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { compactNumber, FieldSpecSchema } from './fields.ts';
import type { Template } from './template.ts';
import { htmlToTree } from './html.ts';
import { fillPlaceholders, placeholdersIn, TreeNodeSchema, type TreeNode } from './tree.ts';

const FIELD_NAME = /^[a-z][a-z0-9_]{0,39}$/;
/** Taken by the GET route's query string. */
const RESERVED_FIELDS = new Set(['format']);

export const CustomTemplateSchema = z
  .object({
    description: z.string().default(''),
    width: z.number().int().min(16).max(4096),
    height: z.number().int().min(16).max(4096),
    fields: z.record(z.string(), FieldSpecSchema),
    /** The layout as a JSON element tree ... */
    tree: TreeNodeSchema.optional(),
    /** ... or as HTML with inline styles (see html.ts); exactly one of the two. */
    html: z.string().min(1).max(100_000).optional(),
  })
  .strict()
  .superRefine((template, ctx) => {
    if ((template.tree === undefined) === (template.html === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tree'], message: 'give the layout as exactly one of tree (JSON) or html' });
      return;
    }
    let tree: TreeNode;
    try {
      tree = layoutOf(template);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['html'], message: (error as Error).message });
      return;
    }
    const parsed = TreeNodeSchema.safeParse(tree);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', path: ['html'], message: parsed.error.issues[0]!.message });
      return;
    }
    for (const problem of layoutProblems(tree)) ctx.addIssue({ code: 'custom', path: [template.html ? 'html' : 'tree'], message: problem });
    for (const name of placeholdersIn(tree)) {
      if (!Object.hasOwn(template.fields, name)) ctx.addIssue({ code: 'custom', path: ['tree'], message: `placeholder {{${name}}} names no field` });
    }
    for (const src of imageSources(tree)) {
      const field = /^\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}$/.exec(src)?.[1];
      const inline = /^data:image\/(png|jpeg);base64,/.test(src);
      if (!inline && template.fields[field ?? '']?.type !== 'image') {
        ctx.addIssue({ code: 'custom', path: ['tree'], message: `img src "${src.slice(0, 40)}" must be {{an_image_field}} or an inline PNG/JPEG data URL; URLs are never fetched` });
      }
    }
    for (const [name, spec] of Object.entries(template.fields)) {
      if (!FIELD_NAME.test(name)) ctx.addIssue({ code: 'custom', path: ['fields', name], message: 'field names are lower_snake_case, up to 40 characters' });
      if (RESERVED_FIELDS.has(name)) ctx.addIssue({ code: 'custom', path: ['fields', name], message: `"${name}" is reserved (the GET route's query parameter)` });
      if (spec.required && spec.default !== undefined) ctx.addIssue({ code: 'custom', path: ['fields', name], message: 'a required field has no default' });
    }
  });
export type CustomTemplateConfig = z.infer<typeof CustomTemplateSchema>;

function layoutOf(template: { tree?: TreeNode; html?: string }): TreeNode {
  return template.tree ?? htmlToTree(template.html!);
}

/** satori refuses a box with several children unless it says how to lay them out. */
function layoutProblems(node: TreeNode): string[] {
  if (typeof node === 'string' || node.type !== 'div') return [];
  const children = node.children ?? [];
  const own = children.length > 1 && !['flex', 'none'].includes(String(node.style?.display)) ? ['a div with several children needs style display: flex'] : [];
  return [...own, ...children.flatMap(layoutProblems)];
}

export function customTemplate(id: string, config: CustomTemplateConfig): Template {
  const tree = layoutOf(config);
  const fingerprint = `custom/${createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16)}`;
  return {
    id,
    description: config.description,
    fields: config.fields,
    size: () => ({ width: config.width, height: config.height }),
    fingerprint,
    build(values) {
      const text: Record<string, string> = {};
      for (const [name, value] of Object.entries(values)) text[name] = typeof value === 'number' ? compactNumber(value) : value;
      return dropEmptyImages(fillPlaceholders(tree, text));
    },
  };
}

function imageSources(node: TreeNode): string[] {
  if (typeof node === 'string') return [];
  if (node.type === 'img') return [node.src];
  return node.type === 'div' ? (node.children ?? []).flatMap(imageSources) : [];
}

/** An image whose field was left empty is left out rather than drawn broken. */
function dropEmptyImages(node: TreeNode): TreeNode {
  if (typeof node === 'string' || node.type !== 'div') return node;
  const children = (node.children ?? []).filter((child) => typeof child === 'string' || child.type !== 'img' || child.src !== '').map(dropEmptyImages);
  return { ...node, children };
}
