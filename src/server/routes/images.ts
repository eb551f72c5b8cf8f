/** POST /v1/generate and POST /v1/edit. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { invalidRequest } from '../../imagegen/index.ts';
import type { OutputFormat } from '../../images/index.ts';
import type { Engine } from '../../engine.ts';
import { toEditRequest, toRequest } from '../canonical.ts';
import { respondWithImages } from '../respond.ts';
import { EditBody, EditForm, ErrorBody, GenerateBody, ImagesResponse } from '../schemas.ts';
import type { AppEnv } from '../app.ts';
import { principalContext } from '../auth.ts';

const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [status, { description: ERROR_DESCRIPTIONS[status]!, content: { 'application/json': { schema: ErrorBody } } }]),
  );

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: the error names the parameter',
  401: 'Missing or unknown API key',
  403: 'The key may not use this model',
  404: 'Unknown model',
  413: 'Body, image bytes or image pixels over the limit',
  422: 'A knob or capability the model cannot honour (strict_knobs), or content blocked',
  429: 'Quota, rate limit or queue full; see Retry-After',
  502: 'The backend failed',
  504: 'The backend timed out',
};

const imageAnswer = {
  200: {
    description: 'The images: JSON with base64, or raw bytes when Accept asks for image/png, image/webp or image/jpeg and n is 1',
    content: {
      'application/json': { schema: ImagesResponse },
      'image/png': { schema: { type: 'string' as const, format: 'binary' } },
      'image/webp': { schema: { type: 'string' as const, format: 'binary' } },
      'image/jpeg': { schema: { type: 'string' as const, format: 'binary' } },
    },
  },
  ...errors(400, 401, 403, 404, 413, 422, 429, 502, 504),
};

const generateRoute = createRoute({
  method: 'post',
  path: '/v1/generate',
  summary: 'Text to image',
  request: { body: { content: { 'application/json': { schema: GenerateBody } } } },
  responses: imageAnswer,
});

const editRoute = createRoute({
  method: 'post',
  path: '/v1/edit',
  summary: 'Image to image, or inpainting with a mask (white = repaint)',
  request: {
    body: {
      content: {
        'application/json': { schema: EditBody },
        'multipart/form-data': { schema: EditForm },
      },
    },
  },
  responses: imageAnswer,
});

export function registerImageRoutes(app: OpenAPIHono<AppEnv>, engine: Engine): void {
  app.openapi(generateRoute, async (c) => {
    requireBody(c.req.header('content-type'));
    const body = c.req.valid('json');
    const request = toRequest(body, engine.config.limits);
    const result = await engine.generate(body.model, request, { route: 'generate', requestId: c.get('requestId'), signal: c.req.raw.signal, ...principalContext(c), safety: body.safety });
    return respondWithImages(c, result, body.output_format as OutputFormat | undefined) as never;
  });

  app.openapi(editRoute, async (c) => {
    const contentType = requireBody(c.req.header('content-type'));
    const body = contentType.startsWith('multipart/') || contentType.startsWith('application/x-www-form-urlencoded') ? c.req.valid('form') : c.req.valid('json');
    const request = await toEditRequest(body, engine.config.limits, engine.decodeLimits);
    const result = await engine.generate(body.model, request, { route: 'edit', requestId: c.get('requestId'), signal: c.req.raw.signal, ...principalContext(c), safety: body.safety });
    return respondWithImages(c, result, body.output_format as OutputFormat | undefined) as never;
  });
}

/** Without a Content-Type the validators let an empty body through; say what is expected. */
function requireBody(contentType: string | undefined): string {
  if (!contentType) throw invalidRequest('request body is required: send JSON with Content-Type: application/json', 'body');
  return contentType.toLowerCase();
}
