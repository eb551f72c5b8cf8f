/**
 * Custom templates from the config (`compose.templates`): a size, documented fields, and a JSON
 * element tree with `{{field}}` placeholders. Checked when the config loads: every placeholder
 * must name a declared field, and an image's `src` may only be an image field.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { compactNumber, FieldSpecSchema } from './fields.ts';
import type { Template } from './template.ts';
import { fillPlaceholders, placeholdersIn, TreeNodeSchema, type TreeNode } from './tree.ts';

/** `format` is taken by the GET route's query string. */
const FIELD_NAME = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'field names are lower_snake_case').refine((name) => name !== 'format', '"format" is reserved');

export const CustomTemplateSchema = z
  .object({
    description: z.string().default(''),
    width: z.number().int().min(16).max(4096),
    height: z.number().int().min(16).max(4096),
    fields: z.record(FIELD_NAME, FieldSpecSchema),
    tree: TreeNodeSchema,
  })
  .strict()
  .superRefine((template, ctx) => {
    for (const name of placeholdersIn(template.tree)) {
      if (!Object.hasOwn(template.fields, name)) ctx.addIssue({ code: 'custom', path: ['tree'], message: `placeholder {{${name}}} names no field` });
    }
    for (const src of imageSources(template.tree)) {
      const field = /^\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}$/.exec(src)?.[1];
      const inline = /^data:image\/(png|jpeg);base64,/.test(src);
      if (!inline && template.fields[field ?? '']?.type !== 'image') {
        ctx.addIssue({ code: 'custom', path: ['tree'], message: `img src "${src.slice(0, 40)}" must be {{an_image_field}} or an inline PNG/JPEG data URL; URLs are never fetched` });
      }
    }
    for (const [name, spec] of Object.entries(template.fields)) {
      if (spec.required && spec.default !== undefined) ctx.addIssue({ code: 'custom', path: ['fields', name], message: 'a required field has no default' });
    }
  });
export type CustomTemplateConfig = z.infer<typeof CustomTemplateSchema>;

export function customTemplate(id: string, config: CustomTemplateConfig): Template {
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
      return dropEmptyImages(fillPlaceholders(config.tree, text));
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
