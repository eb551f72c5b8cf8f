import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  aiSdkGenerateImageTool,
  createStubProvider,
  generateImageTool,
  toAISDKFilePart,
  toAISDKImagePart,
  toAnthropicImageBlock,
  toOpenAIImagePart,
  toolCallToRequest,
} from '../src/index.ts';

describe('images as chat parts, and generate_image as a tool', () => {
  it('turns a result image into OpenAI, AI SDK and Anthropic parts carrying the same bytes', async () => {
    const result = await createStubProvider().imageModel('stub').generate({ prompt: 'a fox', size: { width: 64, height: 64 }, seed: 1 });
    const image = result.images[0]!;
    const openai = toOpenAIImagePart(image);
    assert.equal(openai.type, 'image_url');
    assert.match(openai.image_url.url, /^data:image\/png;base64,/);
    assert.deepEqual(Buffer.from(openai.image_url.url.split(',')[1]!, 'base64'), Buffer.from(image.bytes));
    assert.deepEqual([toAISDKImagePart(image).type, toAISDKImagePart(image).mediaType], ['image', 'image/png']);
    assert.equal(toAISDKFilePart(image).data, image.bytes);
    const anthropic = toAnthropicImageBlock(image);
    assert.deepEqual([anthropic.source.type, anthropic.source.media_type], ['base64', 'image/png']);
    assert.deepEqual(Buffer.from(anthropic.source.data, 'base64'), Buffer.from(image.bytes));
  });

  it('offers a JSON Schema tool derived from the /v1/generate schema, and maps its arguments to a Request', () => {
    const params = generateImageTool.function.parameters as { type: string; properties: Record<string, unknown>; required: string[] };
    assert.equal(generateImageTool.function.name, 'generate_image');
    assert.equal(params.type, 'object');
    assert.deepEqual(params.required, ['prompt']);
    for (const knob of ['prompt', 'size', 'seed', 'negative_prompt']) assert.ok(params.properties[knob], knob);
    assert.ok(!('async' in params.properties), 'transport switches are not offered to a model');

    assert.deepEqual(toolCallToRequest({ prompt: 'a boat', size: '512x512', seed: 4, model: 'stub' }), {
      model: 'stub',
      request: { prompt: 'a boat', n: 1, size: { width: 512, height: 512 }, seed: 4 },
    });
    assert.throws(() => toolCallToRequest({ prompt: 'x', size: 'huge' }), /size/);
    const tool = aiSdkGenerateImageTool(async (input) => input.prompt.length);
    assert.equal(tool.inputSchema.safeParse({ prompt: 'ok' }).success, true);
  });
});

describe('examples/chat-tool.ts', () => {
  it('runs offline: a tool call becomes an image and the image a chat part', async () => {
    const { spawnSync } = await import('node:child_process');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/chat-tool.ts'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    assert.equal(out.tool, 'generate_image');
    assert.equal(out.part.type, 'image_url');
    assert.ok(out.bytes > 100);
  });
});
