/** GET /v1/usage: the ledger summed by day or model. A tenant sees its own; an admin key all. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ImagegenError, invalidRequest } from '../../imagegen/index.ts';
import type { Engine } from '../../engine.ts';
import type { AppEnv } from '../app.ts';
import { ErrorBody } from '../schemas.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_SPAN_DAYS = 7;

const UsageQuery = z
  .object({
    from: z.string().optional().openapi({ description: 'Start, inclusive: a date (YYYY-MM-DD, UTC midnight) or an ISO time; default 7 days before `to`', example: '2026-11-01' }),
    to: z.string().optional().openapi({ description: 'End, exclusive: a date or an ISO time; default now', example: '2026-11-23' }),
    group_by: z.enum(['day', 'model'], { error: 'group_by must be day or model' }).default('day'),
    tenant: z.string().optional().openapi({ description: 'Admin keys only: one tenant instead of all' }),
  })
  .strict();

const Totals = {
  requests: z.number().int(),
  images: z.number().int(),
  megapixels: z.number(),
  cost: z.number(),
  cached_images: z.number().int(),
  failed: z.number().int().openapi({ description: 'Requests that ended in an error (no images charged)' }),
};

const UsageResponse = z
  .object({
    object: z.literal('usage'),
    group_by: z.enum(['day', 'model']),
    from: z.string(),
    to: z.string(),
    data: z.array(
      z.object({
        tenant: z.string(),
        day: z.string().optional().openapi({ description: "The tenant's local day" }),
        model: z.string().optional(),
        ...Totals,
      }),
    ),
    totals: z.object(Totals),
  })
  .openapi('Usage');

const usageRoute = createRoute({
  method: 'get',
  path: '/v1/usage',
  summary: 'Usage from the ledger, summed by day or model',
  request: { query: UsageQuery },
  responses: {
    200: { description: 'Usage rows and their totals', content: { 'application/json': { schema: UsageResponse } } },
    400: { description: 'Invalid query', content: { 'application/json': { schema: ErrorBody } } },
    401: { description: 'Missing or unknown API key', content: { 'application/json': { schema: ErrorBody } } },
    403: { description: "Another tenant's usage without an admin key", content: { 'application/json': { schema: ErrorBody } } },
  },
});

const MAX_TIME = Date.UTC(10000, 0, 1);

function parseTime(value: string, param: string): Date {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  // Years 1970..9999 only: beyond them arithmetic on the date (the default span) leaves the range
  // a Date can hold.
  const time = date.getTime();
  if (!(time >= 0 && time < MAX_TIME)) throw invalidRequest(`${param} must be a date (YYYY-MM-DD) or an ISO time from 1970 to 9999, got "${value}"`, param);
  return date;
}

const round = (value: number) => Math.round(value * 1e6) / 1e6;

export function registerUsageRoutes(app: OpenAPIHono<AppEnv>, engine: Engine): void {
  app.openapi(usageRoute, async (c) => {
    const query = c.req.valid('query');
    const { tenant } = c.get('principal');
    const to = query.to ? parseTime(query.to, 'to') : new Date();
    const from = query.from ? parseTime(query.from, 'from') : new Date(to.getTime() - DEFAULT_SPAN_DAYS * DAY_MS);
    if (from > to) throw invalidRequest('from must not be after to', 'from');
    if (query.tenant !== undefined && query.tenant !== tenant.id && !tenant.admin) {
      throw new ImagegenError('forbidden', "only an admin key may read another tenant's usage", { param: 'tenant' });
    }
    const scope = tenant.admin ? query.tenant : tenant.id;
    const rows = await engine.store.usage.summarize({ tenant: scope, from, to, groupBy: query.group_by });
    const data = rows.map((row) => ({
      tenant: row.tenant,
      [query.group_by]: row.key,
      requests: row.requests,
      images: row.images,
      megapixels: round(row.megapixels),
      cost: round(row.cost),
      cached_images: row.cachedImages,
      failed: row.failed,
    }));
    const sum = (field: 'requests' | 'images' | 'megapixels' | 'cost' | 'cached_images' | 'failed') => round(data.reduce((total, row) => total + row[field], 0));
    return c.json(
      {
        object: 'usage' as const,
        group_by: query.group_by,
        from: from.toISOString(),
        to: to.toISOString(),
        data,
        totals: { requests: sum('requests'), images: sum('images'), megapixels: sum('megapixels'), cost: sum('cost'), cached_images: sum('cached_images'), failed: sum('failed') },
      },
      200,
    );
  });
}
