import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImagegenError } from '../../../src/imagegen/index.ts';
import { DEFAULT_GRAPHS, fillWorkflow, parseWorkflow } from '../../../src/providers/comfyui/index.ts';
import { paramAt } from '../../../src/providers/comfyui/comfyui-workflow.ts';

const refused = (pattern: RegExp) => (error: unknown) => ImagegenError.is(error, 'invalid_request') && pattern.test(error.message);

const userGraph = {
  '10': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'flux1-schnell.safetensors' } },
  '11': { class_type: 'CLIPTextEncode', inputs: { text: '{{prompt}}', clip: ['10', 1] } },
  '12': { class_type: 'EmptyLatentImage', inputs: { width: '{{width}}', height: '{{height}}', batch_size: 1 } },
  '13': { class_type: 'KSampler', inputs: { model: ['10', 0], positive: ['11', 0], negative: ['11', 0], latent_image: ['12', 0], seed: '{{ seed }}', steps: 4, cfg: 1, sampler_name: 'euler', scheduler: 'simple', denoise: 1 } },
  '14': { class_type: 'SaveImage', inputs: { images: ['13', 0], filename_prefix: 'x' } },
};

describe('ComfyUI workflows', () => {
  it('substitutes whole-value placeholders with typed values and leaves the template alone', () => {
    const workflow = parseWorkflow(userGraph, 'txt2img');
    const graph = fillWorkflow(workflow, { prompt: 'a fox', width: 512, height: 768, seed: 42 });
    assert.equal(graph['11']!.inputs.text, 'a fox');
    assert.equal(graph['12']!.inputs.width, 512);
    assert.equal(typeof graph['13']!.inputs.seed, 'number');
    assert.equal(graph['13']!.inputs.seed, 42);
    assert.equal(userGraph['11'].inputs.text, '{{prompt}}');
    // Knobs follow the placeholders: no {{steps}}, {{cfg}}, {{sampler}} here.
    assert.deepEqual([...workflow.knobs].sort(), ['n', 'seed', 'size']);
    assert.equal(paramAt(workflow, '13', 'seed'), 'seed');
    assert.equal(paramAt(workflow, '13', 'steps'), undefined);
  });

  it('refuses the UI format, partial placeholders, unknown names and broken links at load', () => {
    assert.throws(() => parseWorkflow({ nodes: [], links: [] }, 'txt2img'), refused(/UI format.*API Format/));
    const partial = structuredClone(userGraph);
    partial['11'].inputs.text = 'a photo of {{prompt}}';
    assert.throws(() => parseWorkflow(partial, 'txt2img'), refused(/node "11" input "text".*whole value/));
    const unknown = structuredClone(userGraph);
    (unknown['13'].inputs as Record<string, unknown>).steps = '{{stepz}}';
    assert.throws(() => parseWorkflow(unknown, 'txt2img'), refused(/unknown placeholder \{\{stepz\}\}/));
    const broken = structuredClone(userGraph);
    (broken['14'].inputs as Record<string, unknown>).images = ['99', 0];
    assert.throws(() => parseWorkflow(broken, 'txt2img'), refused(/links to node "99"/));
    const oneSide = structuredClone(userGraph);
    (oneSide['12'].inputs as Record<string, unknown>).height = 512;
    assert.throws(() => parseWorkflow(oneSide, 'txt2img'), refused(/only one of \{\{width\}\} and \{\{height\}\}/));
  });

  it('requires what each mode fills and forbids what it cannot', () => {
    assert.throws(() => parseWorkflow(userGraph, 'img2img'), refused(/img2img workflow: needs a \{\{image\}\}/));
    const noPrompt = structuredClone(userGraph);
    noPrompt['11'].inputs.text = 'fixed';
    assert.throws(() => parseWorkflow(noPrompt, 'txt2img'), refused(/needs a \{\{prompt\}\}/));
    assert.throws(() => parseWorkflow(DEFAULT_GRAPHS.inpaint, 'txt2img'), refused(/\{\{image\}\}.*txt2img cannot fill/));
  });

  it('the built-in graphs are valid for their modes; inpainting uses InpaintModelConditioning and LoadImageMask red', () => {
    for (const mode of ['txt2img', 'img2img', 'inpaint'] as const) parseWorkflow(DEFAULT_GRAPHS[mode], mode);
    const inpaint = Object.values(DEFAULT_GRAPHS.inpaint);
    assert.ok(inpaint.some((node) => node.class_type === 'InpaintModelConditioning' && node.inputs.noise_mask === true));
    assert.ok(inpaint.some((node) => node.class_type === 'LoadImageMask' && node.inputs.channel === 'red'));
    assert.ok(Object.values(DEFAULT_GRAPHS.txt2img).some((node) => node.class_type === 'EmptyLatentImage' && node.inputs.batch_size === 1));
  });
});
