/**
 * Template fields: each has a type, documentation, and a default or `required`. A caller's data is
 * checked against them here; an unknown or missing field is refused with the list of expected
 * ones, so a caller can fix the request from the message alone.
 */
import { z } from 'zod';
import { invalidRequest } from '../imagegen/index.ts';
import { issueMessage } from '../zod-messages.ts';

const FIELD_TYPES = ['text', 'color', 'gradient', 'number', 'image', 'choice'] as const;

export const FieldSpecSchema = z
  .object({
    type: z.enum(FIELD_TYPES),
    description: z.string().default(''),
    required: z.boolean().default(false),
    default: z.union([z.string(), z.number()]).optional(),
    /** text: longest accepted value, in characters. */
    max_length: z.number().int().min(1).max(10000).default(300),
    /** choice: the accepted values. */
    choices: z.array(z.string().min(1)).min(1).optional(),
    /** image: the pixel size a `{"generate": ...}` layer is asked for. */
    generate_size: z.string().regex(/^\d{1,5}x\d{1,5}$/).optional(),
  })
  .strict()
  .refine((spec) => spec.type !== 'choice' || spec.choices, 'a choice field needs choices');
export type FieldSpec = z.input<typeof FieldSpecSchema>;

/** An image field's raw value before it is resolved: inline bytes, or a layer to generate. */
export interface GenerateLayer {
  prompt: string;
  model?: string;
  seed?: number;
  steps?: number;
  negative_prompt?: string;
}
export type ImageValue = string | { generate: GenerateLayer };

/** Checked values: text/colour/choice as strings, numbers as numbers, images still raw. */
export type FieldValue = string | number | ImageValue;
export type Values = Record<string, FieldValue>;

const HEX = /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
const FUNCTIONAL = /^(?:rgba?|hsla?)\(\s*[\d.%\s,/-]+\)$/i;
const NAMED = /^(?:transparent|black|white|red|green|blue|yellow|orange|purple|pink|gray|grey|navy|teal)$/i;
const isColor = (value: string) => HEX.test(value) || FUNCTIONAL.test(value) || NAMED.test(value);

const GenerateLayerSchema = z
  .object({
    prompt: z.string().min(1, 'generate.prompt must not be empty').max(4000),
    model: z.string().min(1).optional(),
    seed: z.number().int().min(0).max(4294967294).optional(),
    steps: z.number().int().min(1).max(1000).optional(),
    negative_prompt: z.string().max(4000).optional(),
  })
  .strict();

/** Describe the fields the way an error message lists them: `title (required), subtitle, ...`. */
export function describeFields(fields: Record<string, FieldSpec>): string {
  return Object.entries(fields)
    .map(([name, spec]) => (spec.required ? `${name} (required)` : name))
    .join(', ');
}

/**
 * Check a caller's data against the fields and fill in defaults. `param` maps a field name to the
 * parameter named in an error (`data.title` for JSON, `title` for a query string). Query strings
 * carry only strings, so numbers and images may arrive as text.
 */
export function checkValues(templateId: string, fields: Record<string, FieldSpec>, data: unknown, param: (field: string) => string): Values {
  if (data === undefined || data === null) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) throw invalidRequest(`data must be an object of fields: ${describeFields(fields)}`, 'data');
  const given = data as Record<string, unknown>;
  const expected = () => `template ${templateId} takes: ${describeFields(fields)}`;
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(fields, name)) throw invalidRequest(`unknown field "${name}"; ${expected()}`, param(name));
  }
  const values: Values = {};
  for (const [name, spec] of Object.entries(fields)) {
    const value = given[name];
    if (value === undefined || value === '') {
      if (spec.required) throw invalidRequest(`field "${name}" is required; ${expected()}`, param(name));
      if (spec.default !== undefined) values[name] = spec.default;
      continue;
    }
    values[name] = checkValue(name, spec, value, param(name));
  }
  return values;
}

function checkValue(name: string, spec: FieldSpec, value: unknown, param: string): FieldValue {
  const fail = (what: string) => invalidRequest(`field "${name}" ${what}`, param);
  switch (spec.type) {
    case 'text': {
      if (typeof value !== 'string' && typeof value !== 'number') throw fail('must be a string');
      const text = String(value);
      const max = spec.max_length ?? 300;
      if (text.length > max) throw fail(`is ${text.length} characters; the limit is ${max}`);
      return text;
    }
    case 'color':
      if (typeof value !== 'string' || !isColor(value.trim())) throw fail('must be a colour: #rgb, #rrggbb, rgb(...), hsl(...) or a basic name');
      return value.trim();
    case 'gradient': {
      const stops = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : [];
      if (stops.length < 2 || stops.length > 4 || !stops.every((s) => HEX.test(s))) throw fail('must be 2 to 4 hex colours separated by commas, e.g. "#0ea5e9,#6366f1"');
      return stops.join(',');
    }
    case 'number': {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isFinite(number) || number < 0 || number > 1e15) throw fail('must be a number from 0 to 1e15');
      return number;
    }
    case 'choice':
      if (typeof value !== 'string' || !spec.choices!.includes(value)) throw fail(`must be one of: ${spec.choices!.join(', ')}`);
      return value;
    case 'image': {
      // A query string can only carry a generate layer as JSON text.
      if (typeof value === 'string' && value.trimStart().startsWith('{')) value = parseJson(value);
      if (typeof value === 'string') return value;
      const layer = typeof value === 'object' && value !== null && 'generate' in value ? GenerateLayerSchema.safeParse((value as { generate: unknown }).generate) : undefined;
      if (!layer) throw fail('must be base64, a data URL, or {"generate": {"prompt": ...}}; URLs are never fetched');
      if (!layer.success) {
        const issue = layer.error.issues[0]!;
        const generate = (value as { generate: unknown }).generate;
        throw invalidRequest(`field "${name}": generate${issue.path.length ? '.' : ' '}${issueMessage(issue, generate, '').trimStart()}`, `${param}.generate`);
      }
      return { generate: layer.data };
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** 1234 -> "1.2k", 5300000 -> "5.3M": how counts read on a card. */
export function compactNumber(value: number): string {
  const units: [number, string][] = [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, suffix] of units) {
    if (value >= size) {
      const scaled = value / size;
      return `${scaled >= 100 ? Math.round(scaled) : Number(scaled.toFixed(1))}${suffix}`;
    }
  }
  return String(Math.round(value));
}
