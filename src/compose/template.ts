/** What a template is: documented fields, a pixel size, and a function from values to a tree. */
import type { Size } from '../imagegen/index.ts';
import type { FieldSpec, Values } from './fields.ts';
import type { TreeNode } from './tree.ts';

/** Values ready to draw: images are inline PNG/JPEG data URLs, numbers stay numbers. */
export type ResolvedValues = Record<string, string | number>;

export interface Template {
  id: string;
  description: string;
  fields: Record<string, FieldSpec>;
  size(values: Values): Size;
  build(values: ResolvedValues, size: Size): TreeNode;
  /** Part of the cache key: changes when the template's definition does. */
  fingerprint: string;
}
