/**
 * An assistant offering image generation as a tool, offline on the stub backend:
 * the model's tool call (here written out by hand) -> a library Request -> an image -> an OpenAI
 * chat part for the next message. Run: node --import tsx examples/chat-tool.ts
 * Against a daemon, post the same arguments to /v1/generate instead of calling the library.
 */
import { createStubProvider, generateImageTool, toOpenAIImagePart, toolCallToRequest } from '../src/index.ts';

// 1. Offer the tool: `tools: [generateImageTool]` in a chat.completions request.
const tools = [generateImageTool];

// 2. The model calls it (what OpenAI returns in message.tool_calls[0].function.arguments).
const call = { name: 'generate_image', arguments: JSON.stringify({ prompt: 'a lighthouse at dusk', size: '256x256', seed: 7 }) };

// 3. Run it, and hand the image back as a part of the next message.
const { request } = toolCallToRequest(JSON.parse(call.arguments));
const result = await createStubProvider().imageModel('stub').generate(request);
const part = toOpenAIImagePart(result.images[0]!);

console.log(JSON.stringify({ tool: tools[0]!.function.name, part: { type: part.type, url: `${part.image_url.url.slice(0, 30)}...` }, bytes: result.images[0]!.bytes.length }));
