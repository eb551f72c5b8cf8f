/** POST /v1/generate and POST /v1/edit. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Request } from '../../imagegen/index.ts';
import type { OutputFormat } from '../../images/index.ts';
import type { Engine, RequestContext } from '../../engine.ts';
import { requireBody, toEditRequest, toRequest } from '../canonical.ts';
import { checkAcceptFor, imagesBody, respondWithImages } from '../respond.ts';
import { EditBody, EditForm, ErrorBody, GenerateBody, ImagesResponse, JobAccepted } from '../schemas.ts';
import { principalContext, requestTenant } from '../auth.ts';
import { finishedResult, idempotencyKeyOf } from '../idempotency.ts';
import type { AppEnv } from '../app.ts';
import { newTimings } from '../../obs/timing.ts';

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
  202: {
    description: 'With "async": true, the job that will make the images: follow GET /v1/jobs/{id} or its /events',
    content: { 'application/json': { schema: JobAccepted } },
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
    requireBody(c);
    const body = c.req.valid('json');
    const request = toRequest(body, engine.config.limits);
    return answer(c, engine, 'generate', body, request) as never;
  });

  app.openapi(editRoute, async (c) => {
    const contentType = requireBody(c);
    const body = contentType.startsWith('multipart/') || contentType.startsWith('application/x-www-form-urlencoded') ? c.req.valid('form') : c.req.valid('json');
    const request = await toEditRequest(body, engine.config.limits, engine.decodeLimits);
    return answer(c, engine, 'edit', body, request) as never;
  });
}

/**
 * Synchronously: the images, and a client that goes away cancels the work (its queued request
 * leaves the line). With `async`: 202 and a job that runs to its end whoever is listening.
 */
async function answer(
  c: Context<AppEnv>,
  engine: Engine,
  route: 'generate' | 'edit',
  body: { model?: string; output_format?: string; cache?: RequestContext['cache']; async?: boolean; safety?: RequestContext['safety'] },
  request: Request,
): Promise<Response> {
  const context: RequestContext = {
    route,
    requestId: c.get('requestId'),
    ...principalContext(c),
    ...(body.safety !== undefined && { safety: body.safety }),
    ...(body.cache !== undefined && { cache: body.cache }),
  };
  const format = body.output_format as OutputFormat | undefined;
  const idempotencyKey = idempotencyKeyOf(c);
  if (!body.async && idempotencyKey === undefined) {
    checkAcceptFor(c, request.n);
    const timings = newTimings();
    return respondWithImages(c, await engine.generate(body.model, request, { ...context, signal: c.req.raw.signal, timings }), format, timings);
  }
  engine.registry.route(body.model); // an unknown model is a 404 now, not a failed job later
  const tenant = requestTenant(c);
  const job = await engine.jobs.submit({
    kind: route,
    tenant,
    idempotencyKey,
    run: async (work) =>
      imagesBody(
        await engine.generate(body.model, request, { ...context, signal: work.signal, onProgress: work.progress, onQueue: work.queue, onReserved: work.reserved }),
        format,
      ),
  });
  if (!body.async) return c.json(await finishedResult(engine.jobs, job.id, tenant), 200);
  c.header('Location', `/v1/jobs/${job.id}`);
  return c.json({ id: job.id, object: 'job' as const, status: 'queued' as const }, 202);
}
