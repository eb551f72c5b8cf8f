/**
 * ComfyUI workflows in API format (`{"<node id>": {class_type, inputs}}`, links as
 * `[node_id, output_index]`), with placeholders: an input whose whole value is "{{name}}" is
 * replaced, typed, by the request's value. The built-in SDXL graphs use the same placeholders,
 * so a user's workflow file and the default go through one path (validation, substitution and
 * the mapping of a node error back to the request parameter that caused it).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ImagegenError, type Capability, type Knob } from '../../imagegen/index.ts';

export interface GraphNode {
  class_type: string;
  inputs: Record<string, unknown>;
  [key: string]: unknown;
}
export type Graph = Record<string, GraphNode>;

/** Placeholder -> how its value is typed, and the request parameter it carries (for errors and knobs). */
export const PLACEHOLDERS = {
  prompt: { type: 'string', param: 'prompt' },
  negative_prompt: { type: 'string', param: 'negative_prompt' },
  seed: { type: 'int', param: 'seed' },
  steps: { type: 'int', param: 'steps' },
  cfg: { type: 'float', param: 'cfg_scale' },
  sampler: { type: 'string', param: 'sampler' },
  scheduler: { type: 'string', param: 'scheduler' },
  width: { type: 'int', param: 'size' },
  height: { type: 'int', param: 'size' },
  denoise: { type: 'float', param: 'strength' },
  image: { type: 'string', param: 'image' },
  mask: { type: 'string', param: 'mask' },
  checkpoint: { type: 'string', param: 'model' },
} as const;

export type Placeholder = keyof typeof PLACEHOLDERS;
export type PlaceholderValues = Partial<Record<Placeholder, string | number>>;

/** What each mode's workflow must contain, and what it must not. */
const REQUIRED: Record<Capability, readonly Placeholder[]> = {
  txt2img: ['prompt'],
  img2img: ['prompt', 'image'],
  inpaint: ['prompt', 'image', 'mask'],
};
const FORBIDDEN: Record<Capability, readonly Placeholder[]> = {
  txt2img: ['image', 'mask', 'denoise'],
  img2img: ['mask'],
  inpaint: [],
};

/** Knobs a workflow honours because it has the placeholder that carries them. */
const KNOB_BY_PLACEHOLDER: Partial<Record<Placeholder, Knob>> = {
  negative_prompt: 'negative_prompt',
  seed: 'seed',
  steps: 'steps',
  cfg: 'cfg_scale',
  sampler: 'sampler',
  scheduler: 'scheduler',
  denoise: 'strength',
};

export interface Workflow {
  mode: Capability;
  graph: Graph;
  /** Where each placeholder sits, as [node id, input name]. */
  slots: Map<Placeholder, [string, string][]>;
  knobs: Knob[];
}

const WHOLE = /^\{\{\s*([a-z_]+)\s*\}\}$/;

/** Check a workflow (parsed JSON) for `mode`; the error message names the node and input at fault. */
export function parseWorkflow(raw: unknown, mode: Capability): Workflow {
  const fail = (message: string) => new ImagegenError('invalid_request', `${mode} workflow: ${message}`, { param: 'workflow' });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail('must be a JSON object of nodes');
  if ('nodes' in raw && 'links' in raw) {
    throw fail('this is the UI format; export the workflow with "Save (API Format)" (ComfyUI settings: enable dev mode options)');
  }
  const graph = raw as Record<string, unknown>;
  const slots = new Map<Placeholder, [string, string][]>();
  for (const [id, node] of Object.entries(graph)) {
    if (typeof node !== 'object' || node === null || typeof (node as GraphNode).class_type !== 'string') {
      throw fail(`node "${id}" has no class_type`);
    }
    const inputs = (node as GraphNode).inputs ?? {};
    if (typeof inputs !== 'object' || Array.isArray(inputs)) throw fail(`node "${id}" has inputs that are not an object`);
    for (const [input, value] of Object.entries(inputs)) {
      if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'number') {
        if (!(value[0] in graph)) throw fail(`node "${id}" input "${input}" links to node "${value[0]}", which does not exist`);
        continue;
      }
      if (typeof value !== 'string' || !value.includes('{{')) continue;
      const name = WHOLE.exec(value)?.[1];
      if (name === undefined) {
        throw fail(`node "${id}" input "${input}" is "${value}": a placeholder must be the whole value, e.g. "{{prompt}}"`);
      }
      if (!(name in PLACEHOLDERS)) {
        throw fail(`node "${id}" input "${input}" names an unknown placeholder {{${name}}}; known: ${Object.keys(PLACEHOLDERS).join(', ')}`);
      }
      const at = slots.get(name as Placeholder) ?? [];
      at.push([id, input]);
      slots.set(name as Placeholder, at);
    }
  }
  for (const name of REQUIRED[mode]) if (!slots.has(name)) throw fail(`needs a {{${name}}} placeholder`);
  for (const name of FORBIDDEN[mode]) if (slots.has(name)) throw fail(`has a {{${name}}} placeholder, which ${mode} cannot fill`);
  if (slots.has('width') !== slots.has('height')) throw fail('has only one of {{width}} and {{height}}');

  const knobs: Knob[] = ['n'];
  for (const [name, knob] of Object.entries(KNOB_BY_PLACEHOLDER) as [Placeholder, Knob][]) if (slots.has(name)) knobs.push(knob);
  // img2img and inpainting take their size from the init image, which is resized before upload.
  if (slots.has('width') || mode !== 'txt2img') knobs.push('size');
  return { mode, graph: graph as Graph, slots, knobs };
}

/** A copy of the graph with every placeholder replaced by its typed value. */
export function fillWorkflow(workflow: Workflow, values: PlaceholderValues): Graph {
  const graph = structuredClone(workflow.graph);
  for (const [name, at] of workflow.slots) {
    const value = values[name];
    if (value === undefined) throw new Error(`placeholder {{${name}}} has no value`);
    const typed = PLACEHOLDERS[name].type === 'string' ? String(value) : Number(value);
    for (const [node, input] of at) graph[node]!.inputs[input] = typed;
  }
  return graph;
}

/** The request parameter behind a node input, if a placeholder filled it. */
export function paramAt(workflow: Workflow, node: string, input: string | undefined): string | undefined {
  for (const [name, at] of workflow.slots) {
    if (at.some(([n, i]) => n === node && (input === undefined || i === input))) return PLACEHOLDERS[name].param;
  }
  return undefined;
}

/** Output nodes that save images, so a graph has something to return. */
const SAVE = { class_type: 'SaveImage', inputs: { images: ['6', 0], filename_prefix: 'koder-imaging' } };
const CHECKPOINT = { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: '{{checkpoint}}' } };
const TEXT = (text: string) => ({ class_type: 'CLIPTextEncode', inputs: { text, clip: ['1', 1] } });
const SAMPLER = (latent: unknown, positive: unknown, negative: unknown, denoise: unknown) => ({
  class_type: 'KSampler',
  inputs: {
    model: ['1', 0],
    positive,
    negative,
    latent_image: latent,
    seed: '{{seed}}',
    steps: '{{steps}}',
    cfg: '{{cfg}}',
    sampler_name: '{{sampler}}',
    scheduler: '{{scheduler}}',
    denoise,
  },
});
const DECODE = { class_type: 'VAEDecode', inputs: { samples: ['5', 0], vae: ['1', 2] } };

/**
 * The built-in SDXL graphs (backends.md 4.3 and 4.5). Inpainting uses InpaintModelConditioning:
 * it keeps the original latent and adds a noise mask, so a partial denoise (our `strength`) works
 * and the unmasked area keeps its context; VAEEncodeForInpaint greys the masked pixels before
 * encoding, which only works at denoise 1.0. It also feeds the masked image to inpainting
 * checkpoints, and ordinary checkpoints ignore that part. The mask comes in through LoadImageMask
 * on the red channel of a black-and-white PNG, i.e. white = repaint, as our canonical mask.
 */
export const DEFAULT_GRAPHS: Record<Capability, Graph> = {
  txt2img: {
    '1': CHECKPOINT,
    '2': TEXT('{{prompt}}'),
    '3': TEXT('{{negative_prompt}}'),
    '4': { class_type: 'EmptyLatentImage', inputs: { width: '{{width}}', height: '{{height}}', batch_size: 1 } },
    '5': SAMPLER(['4', 0], ['2', 0], ['3', 0], 1),
    '6': DECODE,
    '7': SAVE,
  },
  img2img: {
    '1': CHECKPOINT,
    '2': TEXT('{{prompt}}'),
    '3': TEXT('{{negative_prompt}}'),
    '4': { class_type: 'LoadImage', inputs: { image: '{{image}}' } },
    '8': { class_type: 'VAEEncode', inputs: { pixels: ['4', 0], vae: ['1', 2] } },
    '5': SAMPLER(['8', 0], ['2', 0], ['3', 0], '{{denoise}}'),
    '6': DECODE,
    '7': SAVE,
  },
  inpaint: {
    '1': CHECKPOINT,
    '2': TEXT('{{prompt}}'),
    '3': TEXT('{{negative_prompt}}'),
    '4': { class_type: 'LoadImage', inputs: { image: '{{image}}' } },
    '9': { class_type: 'LoadImageMask', inputs: { image: '{{mask}}', channel: 'red' } },
    '8': {
      class_type: 'InpaintModelConditioning',
      inputs: { positive: ['2', 0], negative: ['3', 0], vae: ['1', 2], pixels: ['4', 0], mask: ['9', 0], noise_mask: true },
    },
    '5': SAMPLER(['8', 2], ['8', 0], ['8', 1], '{{denoise}}'),
    '6': DECODE,
    '7': SAVE,
  },
};

/** A workflow file (JSON, API format) read at start; relative paths are from the working directory. */
export function readWorkflowFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (error) {
    throw new ImagegenError('invalid_request', `cannot read workflow file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { param: 'workflow' });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ImagegenError('invalid_request', `workflow file ${path} is not JSON: ${(error as Error).message}`, { param: 'workflow' });
  }
}
