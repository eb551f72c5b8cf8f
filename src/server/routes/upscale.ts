/**
 * POST /v1/upscale: {image, scale, method?, format?}. The answer is the image answer every image
 * route gives (JSON with base64, or raw bytes with Accept: image/png). With
 * `Accept: application/x-ndjson` it streams instead: one `{"progress": {"done", "total"}}` line per
 * finished tile, then `{"result": <the JSON answer>}` or `{"error": {...}}`. Refusals found before
 * any work (bad image, scale, size) are ordinary 4xx answers in both modes.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Engine } from '../../engine.ts';
import { decodeBase64Image, OUTPUT_FORMATS, type OutputFormat } from '../../images/index.ts';
import { checkUpscaleCap } from '../../policy/index.ts';
import { UPSCALE_METHODS, UPSCALE_SCALES, type UpscaleMethod, type UpscaleOptions, type UpscaleOutcome } from '../../upscale/index.ts';
import type { AppEnv } from '../app.ts';
import { requireBody } from '../canonical.ts';
import { toImagegenError } from '../errors.ts';
import { principalContext, requestTenant } from '../auth.ts';
import { idempotencyKeyOf } from '../idempotency.ts';
import { imagesBody, respondWithImages } from '../respond.ts';
import { newTimings } from '../../obs/timing.ts';
import { ErrorBody, ImagesResponse } from '../schemas.ts';
import type { Result } from '../../imagegen/index.ts';

export const UpscaleBody = z
  .object({
    image: z
      .string({ error: 'image is required: base64 or a data URL' })
      .min(1, 'image must not be empty')
      .openapi({ description: 'Base64 or a data URL (never a URL to fetch)' }),
    scale: z
      .union(
        UPSCALE_SCALES.map((s) => z.literal(s)) as unknown as [z.ZodLiteral<2>, z.ZodLiteral<3>, z.ZodLiteral<4>, z.ZodLiteral<8>],
        { error: `scale must be one of ${UPSCALE_SCALES.join(', ')}` },
      )
      .openapi({ type: 'integer', enum: [...UPSCALE_SCALES], example: 4 }),
    method: z
      .enum(UPSCALE_METHODS, { error: `method must be one of ${UPSCALE_METHODS.join(', ')}` })
      .optional()
      .openapi({ description: 'esrgan (esrgan-slim weights, the default), esrgan-medium, lanczos, or provider (the configured SDAPI server)' }),
    format: z.enum(OUTPUT_FORMATS as [OutputFormat, ...OutputFormat[]], { error: 'format must be png, webp or jpeg' }).optional(),
    async: z.boolean({ error: 'async must be true or false' }).optional().openapi({ description: 'Answer 202 {id, status} at once; follow GET /v1/jobs/{id} and its /events (tiles done)' }),
  })
  .strict()
  .openapi('UpscaleRequest');

const NDJSON = 'application/x-ndjson';

const errorAnswer = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } });

const upscaleRoute = createRoute({
  method: 'post',
  path: '/v1/upscale',
  summary: 'Upscale an image 2x, 3x, 4x or 8x (ESRGAN, Lanczos, or an SDAPI upscaler)',
  request: { body: { content: { 'application/json': { schema: UpscaleBody } } } },
  responses: {
    200: {
      description: `The upscaled image: JSON with base64, raw bytes for Accept: image/png|webp|jpeg, or progress lines then the result for Accept: ${NDJSON}`,
      content: {
        'application/json': { schema: ImagesResponse },
        'image/png': { schema: { type: 'string' as const, format: 'binary' } },
        'image/webp': { schema: { type: 'string' as const, format: 'binary' } },
        'image/jpeg': { schema: { type: 'string' as const, format: 'binary' } },
        [NDJSON]: { schema: { type: 'string' as const, description: 'One JSON object per line: {progress: {done, total}}, then {result} or {error}' } },
      },
    },
    400: errorAnswer('Invalid request: the error names the parameter'),
    413: errorAnswer('The image is over the decode limit, or the output would be over upscale.max_output_pixels'),
    422: errorAnswer('method "provider" without an SDAPI server configured'),
    429: errorAnswer('The upscale queue is full; see Retry-After'),
    502: errorAnswer('The SDAPI server failed'),
    504: errorAnswer('The SDAPI server timed out'),
  },
});

function asResult(outcome: UpscaleOutcome): Result {
  const { image } = outcome;
  return {
    images: [image],
    warnings: outcome.warnings,
    usage: { images: 1, megapixels: (image.width * image.height) / 1e6 },
    provider: outcome.provider,
    model: outcome.model,
  };
}

export function registerUpscaleRoutes(app: OpenAPIHono<AppEnv>, engine: Engine): void {
  app.openapi(upscaleRoute, async (c) => {
    requireBody(c);
    const body = c.req.valid('json');
    const job = await engine.upscaler.prepare({
      image: decodeBase64Image(body.image, 'image'),
      scale: body.scale,
      method: body.method as UpscaleMethod | undefined,
      format: body.format,
    });
    // Who asks, the tenant's upscale cap, and one ledger record; upscaling spends no image quota.
    const admission = await engine.policy.admitWork({
      ...principalContext(c),
      route: 'upscale',
      model: job.method,
      requestId: c.get('requestId'),
      check: (tenant) => checkUpscaleCap({ width: job.outWidth, height: job.outHeight }, tenant.caps),
    });
    const run = async (options: UpscaleOptions): Promise<Result> => {
      try {
        const result = asResult(await job.run(options));
        await admission.complete(result);
        return result;
      } catch (error) {
        await admission.fail(error);
        throw error;
      }
    };
    if (body.async) {
      let accepted;
      try {
        accepted = await engine.jobs.submit({
          kind: 'upscale',
          tenant: requestTenant(c),
          idempotencyKey: idempotencyKeyOf(c),
          run: async (work) => imagesBody(await run({ signal: work.signal, onProgress: work.progress }), undefined),
        });
      } catch (error) {
        await admission.fail(error); // the job table is full: still one record for the request
        throw error;
      }
      c.header('Location', `/v1/jobs/${accepted.id}`);
      return c.json({ id: accepted.id, object: 'job' as const, status: 'queued' as const }, 202) as never;
    }
    if (wantsProgress(c)) return streamProgress(c, run) as never;
    const timings = newTimings();
    const started = performance.now();
    const result = await run({ signal: c.req.raw.signal });
    timings.backend = performance.now() - started; // the upscaler's own work (its worker pool)
    return respondWithImages(c, result, undefined, timings) as never;
  });
}

function wantsProgress(c: Context): boolean {
  return (c.req.header('accept') ?? '').toLowerCase().includes(NDJSON);
}

function streamProgress(c: Context<AppEnv>, run: (options: UpscaleOptions) => Promise<Result>): Response {
  const encoder = new TextEncoder();
  const cancel = new AbortController();
  const signal = AbortSignal.any([c.req.raw.signal, cancel.signal]);
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (line: unknown) => {
        if (!signal.aborted) controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
      };
      try {
        const result = await run({ signal, onProgress: (p) => send({ progress: { done: p.step, total: p.totalSteps } }) });
        send({ result: await imagesBody(result, undefined) });
      } catch (error) {
        const known = toImagegenError(error);
        if (!known) console.error(JSON.stringify({ level: 'error', msg: 'upscale failed', request_id: c.get('requestId'), error: String((error as Error)?.stack ?? error) }));
        send({ error: known ? { code: known.code, message: known.message, ...(known.param && { param: known.param }) } : { code: 'internal_error', message: 'internal error; see the daemon log' } });
      }
      if (!signal.aborted) controller.close();
    },
    cancel() {
      cancel.abort();
    },
  });
  return new Response(stream, { status: 200, headers: { 'content-type': NDJSON, 'x-request-id': c.get('requestId') } });
}
