/**
 * Composition: POST /v1/compose (JSON, or raw bytes on Accept: image/*), GET /v1/compose/{template}
 * (raw bytes for `<meta property="og:image">`, ETag + immutable caching, 304 on If-None-Match),
 * GET /v1/compose (the template list).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { createComposer, type ComposedCard } from '../../compose/index.ts';

import { OUTPUT_FORMATS, type OutputFormat } from '../../images/index.ts';
import type { Engine } from '../../engine.ts';
import { principalContext } from '../auth.ts';
import type { AppEnv } from '../app.ts';
import { requireBody } from '../canonical.ts';
import { rawFormatFromAccept } from '../respond.ts';
import { ErrorBody, WarningOut } from '../schemas.ts';

const format = z.enum(OUTPUT_FORMATS as [OutputFormat, ...OutputFormat[]], { error: 'format must be png, webp or jpeg' });

export const ComposeBody = z
  .object({
    template: z.string({ error: 'template is required: a template id from GET /v1/compose' }).min(1).openapi({ example: 'og' }),
    data: z
      .record(z.string(), z.unknown(), { error: 'data must be an object of template fields' })
      .optional()
      .openapi({ description: "The template's fields; images as base64, a data URL or {\"generate\": {...}}", example: { title: 'Hello' } }),
    format: format.optional().openapi({ description: 'png (default), webp or jpeg' }),
  })
  .strict()
  .openapi('ComposeRequest');

const ComposeResponse = z
  .object({
    template: z.string(),
    images: z.array(z.object({ b64_json: z.string(), mime_type: z.string(), width: z.number().int(), height: z.number().int() })),
    warnings: z.array(WarningOut),
    cached: z.boolean(),
    etag: z.string().openapi({ description: 'Content hash of the input; the same input always gives these bytes' }),
  })
  .openapi('ComposeResponse');

const TemplateList = z
  .object({
    object: z.literal('list'),
    data: z.array(
      z.object({
        id: z.string(),
        description: z.string(),
        width: z.number().int(),
        height: z.number().int(),
        built_in: z.boolean(),
        fields: z.record(z.string(), z.object({ type: z.string(), description: z.string(), required: z.boolean(), default: z.union([z.string(), z.number()]).optional(), choices: z.array(z.string()).optional() })),
      }),
    ),
  })
  .openapi('ComposeTemplateList');

const errorAnswer = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } });
const binary = { schema: { type: 'string' as const, format: 'binary' } };
const imageContent = { 'image/png': binary, 'image/webp': binary, 'image/jpeg': binary };

const postRoute = createRoute({
  method: 'post',
  path: '/v1/compose',
  summary: 'Render a template (Open Graph image, banner, social card) to PNG, WebP or JPEG',
  request: { body: { content: { 'application/json': { schema: ComposeBody } } } },
  responses: {
    200: { description: 'The card: JSON with base64, or raw bytes when Accept asks for an image type', content: { 'application/json': { schema: ComposeResponse }, ...imageContent } },
    400: errorAnswer('Unknown or missing field (the message lists the expected ones), or a bad value'),
    404: errorAnswer('Unknown template'),
    413: errorAnswer('An inline image over the byte or pixel limit'),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/compose/{template}',
  summary: 'Render a template from query fields, for direct use in <meta property="og:image">',
  request: {
    params: z.object({ template: z.string().openapi({ example: 'og' }) }),
    query: z.looseObject({ format: format.optional() }).openapi({ description: 'The template fields as query parameters, plus format' }),
    headers: z.object({ 'if-none-match': z.string().optional() }),
  },
  responses: {
    200: { description: 'The image; ETag is the input hash, Cache-Control immutable', content: imageContent },
    304: { description: 'Not modified (If-None-Match matched the ETag)' },
    400: errorAnswer('Unknown or missing field (the message lists the expected ones), or a bad value'),
    404: errorAnswer('Unknown template'),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/compose',
  summary: 'The templates, with their fields, defaults and documentation',
  responses: { 200: { description: 'Template list', content: { 'application/json': { schema: TemplateList } } } },
});

/** The input decides the bytes, so a card at a given ETag never changes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function registerComposeRoutes(app: OpenAPIHono<AppEnv>, engine: Engine): void {
  // Late-bound, so the layer call is always engine.generate as it is now (tests wrap it).
  const composer = createComposer({ config: engine.config, generate: (model, request, context) => engine.generate(model, request, context), decodeLimits: engine.decodeLimits });

  app.openapi(listRoute, (c) =>
    c.json(
      {
        object: 'list' as const,
        data: composer.list().map((t) => ({
          id: t.id,
          description: t.description,
          width: t.width,
          height: t.height,
          built_in: t.builtIn,
          fields: Object.fromEntries(
            Object.entries(t.fields).map(([name, f]) => [
              name,
              { type: f.type, description: f.description ?? '', required: f.required ?? false, ...(f.default !== undefined && { default: f.default }), ...(f.choices && { choices: f.choices }) },
            ]),
          ),
        })),
      },
      200,
    ),
  );

  app.openapi(postRoute, async (c) => {
    requireBody(c);
    const body = c.req.valid('json');
    const raw = rawFormatFromAccept(c.req.header('accept'));
    const prepared = composer.prepare(body.template, body.data, raw ?? body.format ?? 'png', undefined, namespaceOf(c));
    const card = await composer.compose(prepared, callOf(c));
    if (raw) return rawCard(c, card) as never;
    return c.json(
      {
        template: card.template,
        images: [{ b64_json: Buffer.from(card.bytes).toString('base64'), mime_type: card.mimeType, width: card.width, height: card.height }],
        warnings: card.warnings.map((w) => ({ type: w.type, message: w.message, ...(w.setting !== undefined && { setting: w.setting }) })),
        cached: card.cached,
        etag: card.key,
      },
      200,
    );
  });

  app.openapi(getRoute, async (c) => {
    const { template } = c.req.valid('param');
    const { format: wanted, ...fields } = c.req.query();
    const prepared = composer.prepare(template, fields, (wanted as OutputFormat | undefined) ?? 'png', (field) => field, namespaceOf(c));
    const etag = `"${prepared.key}"`;
    if (matches(c.req.header('if-none-match'), etag)) {
      return c.body(null, 304, { ETag: etag, 'Cache-Control': IMMUTABLE }) as never;
    }
    const card = await composer.compose(prepared, callOf(c));
    return rawCard(c, card) as never;
  });
}

function rawCard(c: Context, card: ComposedCard): Response {
  c.header('Content-Type', card.mimeType);
  c.header('ETag', `"${card.key}"`);
  c.header('Cache-Control', IMMUTABLE);
  c.header('X-Cache', card.cached ? 'hit' : 'miss');
  if (card.warnings.length > 0) c.header('X-Warnings', encodeURIComponent(JSON.stringify(card.warnings)));
  // The cached bytes as they are: no copy per hit.
  return c.body(card.bytes as Uint8Array<ArrayBuffer>, 200);
}

/** If-None-Match is `*` or a list of (possibly weak) tags. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

const callOf = (c: Context<AppEnv>) => ({ requestId: c.get('requestId'), signal: c.req.raw.signal, ...principalContext(c) });
const namespaceOf = (c: Context<AppEnv>) => {
  const { tenant } = principalContext(c).principal ?? {};
  return tenant ? `${tenant.id}:${tenant.safety}` : 'local';
};
