/**
 * The OpenAI-compatible door: POST /v1/images/generations and /v1/images/edits in OpenAI's
 * request and response shapes, so the official `openai` SDK (and anything built on it) works
 * with `baseURL` pointed here. Each request becomes our canonical Request and goes through
 * engine.generate like /v1/generate: the same policy, quota, cache and ledger.
 *
 * Warnings have no place in OpenAI's body; they travel in `X-Warnings` (URI-encoded JSON), as on
 * our raw-bytes answers. `stream: true` answers Server-Sent Events in OpenAI's event shapes.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Engine, RequestContext } from '../../engine.ts';
import { ImagegenError, invalidRequest, type Image, type ProgressEvent, type Request, type Result } from '../../imagegen/index.ts';
import { alphaMaskToCanonicalPng, convertImage, inspectImage, MIME_BY_FORMAT, type OutputFormat } from '../../images/index.ts';
import { principalContext, requestTenant } from '../auth.ts';
import type { AppEnv } from '../app.ts';
import { requireBody, toRequest } from '../canonical.ts';
import { errorBody } from '../errors.ts';
import { ErrorBody } from '../schemas.ts';
import { createImageLinks, type ImageLinks } from '../../images/links.ts';
import { OpenAIEditForm, OpenAIGenerateBody, OpenAIImagesResponse } from './schemas.ts';

type Body = OpenAIGenerateBody | OpenAIEditForm;
type Kind = 'generate' | 'edit';

/** OpenAI's stream event names per route (openai-node ImageGenStreamEvent / ImageEditStreamEvent). */
const EVENT_PREFIX: Record<Kind, string> = { generate: 'image_generation', edit: 'image_edit' };

const FORMAT_OF_MIME: Record<string, OutputFormat> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp' };

const errors = { description: 'An error in OpenAI\'s shape: {error: {message, type, param, code}}', content: { 'application/json': { schema: ErrorBody } } };
const answers = {
  200: {
    description: 'The images (JSON), or with stream: true Server-Sent Events (partial_image, then completed)',
    content: { 'application/json': { schema: OpenAIImagesResponse }, 'text/event-stream': { schema: { type: 'string' as const } } },
  },
  400: errors,
  401: errors,
  404: errors,
  422: errors,
  429: errors,
};

const generationsRoute = createRoute({
  method: 'post',
  path: '/v1/images/generations',
  summary: 'OpenAI-compatible text to image',
  request: { body: { content: { 'application/json': { schema: OpenAIGenerateBody } } } },
  responses: answers,
});

const editsRoute = createRoute({
  method: 'post',
  path: '/v1/images/edits',
  summary: 'OpenAI-compatible edit: image (or image[]) and an optional mask whose transparent pixels are edited',
  request: { body: { content: { 'multipart/form-data': { schema: OpenAIEditForm } } } },
  responses: answers,
});

const fileRoute = createRoute({
  method: 'get',
  path: '/v1/images/files/{id}',
  summary: 'An image answered with response_format: url, for the tenant that made it, for an hour',
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: { description: 'The image bytes', content: { 'image/png': { schema: { type: 'string' as const, format: 'binary' } } } },
    404: errors,
  },
});

export function registerOpenAIImageRoutes(app: OpenAPIHono<AppEnv>, engine: Engine): void {
  const links = createImageLinks();

  app.openapi(generationsRoute, async (c) => {
    requireBody(c);
    const body = c.req.valid('json');
    return answer(c, engine, links, 'generate', body, toCanonical(body, engine)) as never;
  });

  app.openapi(editsRoute, async (c) => {
    if (!requireBody(c).startsWith('multipart/')) throw invalidRequest('send the edit as multipart/form-data with an image part (as the OpenAI SDK does)', 'content-type');
    const body = c.req.valid('form');
    const request = toCanonical(body, engine);
    const images = [body.image, body['image[]']].flat().filter((part) => part !== undefined);
    if (images.length === 0) throw invalidRequest('image is required: a file part named image (or image[])', 'image');
    // Our backends take one init image; several reference images (gpt-image) are not ours to blend.
    if (images.length > 1) throw new ImagegenError('unsupported', `${images.length} images were sent; edits here take exactly one image`, { param: 'image' });
    request.image = await imagePart(images[0]!, 'image', engine);
    if (body.mask !== undefined) {
      const mask = await alphaMaskToCanonicalPng(await bytesOf(body.mask), 'mask', engine.decodeLimits);
      request.mask = { bytes: mask, mimeType: 'image/png' };
    }
    if (body.strength !== undefined) request.strength = body.strength;
    return answer(c, engine, links, 'edit', body, request) as never;
  });

  app.openapi(fileRoute, async (c) => {
    const { id } = c.req.valid('param');
    const entry = links.get(requestTenant(c), id);
    if (!entry) throw new ImagegenError('not_found', `no image ${id}: links last an hour and only for the key's tenant`, { param: 'id' });
    c.header('Content-Type', entry.mimeType);
    c.header('Cache-Control', 'private, max-age=3600');
    return c.body(entry.bytes.slice().buffer as ArrayBuffer, 200) as never;
  });
}

/** OpenAI's fields and our extra knobs -> the canonical Request (limits checked by toRequest). */
function toCanonical(body: Body, engine: Engine): Request {
  const request = toRequest({ ...body, size: body.size === 'auto' ? undefined : body.size }, engine.config.limits);
  // OpenAI's own extras reach an OpenAI backend unchanged; other backends do not read them.
  const extras = Object.fromEntries(
    (['quality', 'background', 'moderation', 'style', 'user', 'partial_images', 'input_fidelity'] as const)
      .map((field) => [field, (body as Record<string, unknown>)[field]])
      .filter(([, value]) => value !== undefined),
  );
  if (Object.keys(extras).length > 0) request.providerOptions = { openai: extras };
  return request;
}

async function bytesOf(part: File | string): Promise<Uint8Array> {
  return typeof part === 'string' ? new Uint8Array(Buffer.from(part, 'base64')) : new Uint8Array(await part.arrayBuffer());
}

async function imagePart(part: File | string, param: string, engine: Engine): Promise<Request['image']> {
  const bytes = await bytesOf(part);
  return { bytes, mimeType: (await inspectImage(bytes, param, engine.decodeLimits)).mimeType };
}

async function answer(c: Context<AppEnv>, engine: Engine, links: ImageLinks, kind: Kind, body: Body, request: Request): Promise<Response> {
  const context: RequestContext = {
    route: kind,
    requestId: c.get('requestId'),
    ...principalContext(c),
    ...(body.safety !== undefined && { safety: body.safety }),
    ...(body.cache !== undefined && { cache: body.cache }),
  };
  const wire = wireOf(c, links, body);
  if (body.stream) return streamAnswer(c, engine, kind, body.model, request, context, wire);
  const result = await engine.generate(body.model, request, { ...context, signal: c.req.raw.signal });
  warningsHeader(c, result);
  return c.json(await wire.body(result), 200);
}

/** How images go on the wire for this request: format, b64 or link, and the OpenAI fields around them. */
function wireOf(c: Context<AppEnv>, links: ImageLinks, body: Body) {
  const origin = new URL(c.req.url).origin;
  const tenant = requestTenant(c);
  const encoded = async (image: Image) => {
    const format = (body.output_format as OutputFormat | undefined) ?? FORMAT_OF_MIME[image.mimeType] ?? 'png';
    const bytes = body.output_format ? await convertImage(image.bytes, format) : image.bytes;
    return { bytes, format };
  };
  const common = (image: Image | undefined, format: OutputFormat) => ({
    output_format: format,
    ...(image?.width !== undefined && image.height !== undefined && { size: `${image.width}x${image.height}` }),
    ...(body.quality !== undefined && { quality: body.quality }),
    ...(body.background !== undefined && { background: body.background }),
  });
  return {
    encoded,
    common,
    async body(result: Result): Promise<z.infer<typeof OpenAIImagesResponse>> {
      const images = await Promise.all(result.images.map(encoded));
      const data = images.map(({ bytes, format }) =>
        body.response_format === 'url'
          ? { url: `${origin}/v1/images/files/${links.put(tenant, bytes, MIME_BY_FORMAT[format])}` }
          : { b64_json: Buffer.from(bytes).toString('base64') },
      );
      return { created: Math.floor(Date.now() / 1000), data, ...common(result.images[0], images[0]?.format ?? 'png'), ...usageOf(result) };
    },
  };
}

function usageOf(result: Result) {
  const { inputTokens, outputTokens, totalTokens } = result.usage;
  if (totalTokens === undefined && inputTokens === undefined && outputTokens === undefined) return {};
  const input = inputTokens ?? 0;
  const output = outputTokens ?? 0;
  return { usage: { input_tokens: input, output_tokens: output, total_tokens: totalTokens ?? input + output } };
}

function warningsHeader(c: Context, result: Result): void {
  if (result.warnings.length > 0) c.header('X-Warnings', encodeURIComponent(JSON.stringify(result.warnings)));
}

/**
 * SSE in OpenAI's shape. The stream opens at the first partial image (or the answer): until then
 * a refusal (quota, policy, a bad knob) is an ordinary HTTP error the SDK raises as a typed error.
 * After it opens, a failure is an `error` event, which the SDK raises as an APIError.
 */
async function streamAnswer(
  c: Context<AppEnv>,
  engine: Engine,
  kind: Kind,
  model: string | undefined,
  request: Request,
  context: RequestContext,
  wire: ReturnType<typeof wireOf>,
): Promise<Response> {
  const prefix = EVENT_PREFIX[kind];
  const abort = new AbortController();
  c.req.raw.signal.addEventListener('abort', () => abort.abort(c.req.raw.signal.reason), { once: true });
  const previews: Image[] = [];
  let opened: () => void = () => {};
  const firstPreview = new Promise<void>((resolve) => (opened = resolve));
  let onPreview = (image: Image) => {
    previews.push(image);
    opened();
  };
  const generating = engine.generate(model, request, {
    ...context,
    signal: abort.signal,
    onProgress: (event: ProgressEvent) => event.preview && onPreview(event.preview),
  });
  // Whichever comes first; a refusal before any preview throws here, as a plain HTTP error.
  const early = await Promise.race([generating.then((result) => ({ result })), firstPreview.then(() => undefined)]);
  if (early) warningsHeader(c, early.result);

  return streamSSE(c, async (stream) => {
    stream.onAbort(() => abort.abort(new ImagegenError('cancelled', 'the client closed the stream')));
    let writing = Promise.resolve();
    let index = 0;
    const send = (type: string, data: object) => {
      writing = writing.then(() => stream.writeSSE({ event: type, data: JSON.stringify({ type, ...data }) }));
      return writing;
    };
    const partial = (image: Image) =>
      void wire.encoded(image).then(({ bytes, format }) =>
        send(`${prefix}.partial_image`, {
          b64_json: Buffer.from(bytes).toString('base64'),
          partial_image_index: index++,
          created_at: Math.floor(Date.now() / 1000),
          ...wire.common(image, format),
        }),
      );
    previews.splice(0).forEach(partial);
    onPreview = partial;
    try {
      const result = early?.result ?? (await generating);
      await writing;
      for (const image of result.images) {
        const { bytes, format } = await wire.encoded(image);
        await send(`${prefix}.completed`, {
          b64_json: Buffer.from(bytes).toString('base64'),
          created_at: Math.floor(Date.now() / 1000),
          ...wire.common(image, format),
          ...usageOf(result),
        });
      }
    } catch (error) {
      await writing;
      await stream.writeSSE({ event: 'error', data: JSON.stringify(errorBody(error)) });
    }
  }) as never;
}
