/**
 * /v1/admin/*: what an operator needs over HTTP (the web console's operator views). Admin keys
 * only; anything else is 403. Keys go through the same createKey as `kimaging keys`: stored as a
 * hash, the key itself in the create answer and nowhere else.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ImagegenError, invalidRequest } from '../../imagegen/index.ts';
import type { Engine } from '../../engine.ts';
import { createKey, localDay, type Tenant } from '../../policy/index.ts';
import type { KeyRecord } from '../../store/index.ts';
import type { AppEnv } from '../app.ts';
import { requireBody } from '../canonical.ts';
import { ErrorBody } from '../schemas.ts';

const KeyOut = z
  .object({
    id: z.string().openapi({ example: 'key_0123abcd4567ef89' }),
    tenant: z.string(),
    name: z.string().nullable(),
    prefix: z.string().openapi({ description: 'The first characters of the key, to recognise it; never enough to use it', example: 'kim_AbC123' }),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .openapi('ApiKey');

const KeyList = z.object({ object: z.literal('list'), data: z.array(KeyOut) }).openapi('ApiKeyList');

const CreatedKey = KeyOut.extend({ key: z.string().openapi({ description: 'The key itself: shown in this answer only, stored nowhere' }) }).openapi('CreatedApiKey');

const CreateKeyBody = z
  .object({
    tenant: z.string({ error: 'tenant is required: a tenant id from the config' }).min(1, 'tenant must not be empty'),
    name: z.string({ error: 'name must be a string' }).max(200, 'name must be at most 200 characters').optional(),
  })
  .strict()
  .openapi('CreateApiKey');

const Meter = z.object({ used: z.number(), limit: z.number().nullable().openapi({ description: 'null: no limit' }) });

const TenantQuotaList = z
  .object({
    object: z.literal('list'),
    data: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        admin: z.boolean(),
        time_zone: z.string(),
        day: z.string().openapi({ description: "The tenant's local day the counters are for" }),
        quota: z.object({ images: Meter, megapixels: Meter, cost: Meter }),
        images_per_minute: z.number().int().nullable(),
      }),
    ),
  })
  .openapi('TenantQuotaList');

const errorAnswer = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } });
const refusals = { 401: errorAnswer('Missing or unknown API key'), 403: errorAnswer('Not an admin key') };

const listKeysRoute = createRoute({
  method: 'get',
  path: '/v1/admin/keys',
  summary: 'API keys (without the keys themselves), all tenants or one',
  request: { query: z.object({ tenant: z.string().optional() }).strict() },
  responses: { 200: { description: 'Keys, newest last', content: { 'application/json': { schema: KeyList } } }, ...refusals },
});

const createKeyRoute = createRoute({
  method: 'post',
  path: '/v1/admin/keys',
  summary: 'Create an API key for a tenant; the answer holds the key, once',
  request: { body: { content: { 'application/json': { schema: CreateKeyBody } } } },
  responses: {
    201: { description: 'The new key, with the key itself', content: { 'application/json': { schema: CreatedKey } } },
    400: errorAnswer('No such tenant in the config, or open mode (no tenants, no keys)'),
    ...refusals,
  },
});

const revokeKeyRoute = createRoute({
  method: 'delete',
  path: '/v1/admin/keys/{id}',
  summary: 'Revoke an API key: it stops working at once',
  request: { params: z.object({ id: z.string().min(1).openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: { description: 'Revoked', content: { 'application/json': { schema: z.object({ id: z.string(), revoked: z.literal(true) }) } } },
    404: errorAnswer('No such live key'),
    ...refusals,
  },
});

const tenantsRoute = createRoute({
  method: 'get',
  path: '/v1/admin/tenants',
  summary: "Each tenant's quota used today against its limits",
  responses: { 200: { description: 'Tenants with their counters', content: { 'application/json': { schema: TenantQuotaList } } }, ...refusals },
});

function requireAdmin(c: Context<AppEnv>): void {
  if (!c.get('principal').tenant.admin) throw new ImagegenError('forbidden', `${c.req.method} ${c.req.path} needs an admin key`, { param: 'authorization' });
}

const keyOut = (k: KeyRecord) => ({
  id: k.id,
  tenant: k.tenant,
  name: k.name ?? null,
  prefix: k.prefix,
  created_at: k.createdAt.toISOString(),
  revoked_at: k.revokedAt?.toISOString() ?? null,
});

/** Counter metric -> the tenant quota field that limits it per day (the same pairs as policy/quota.ts). */
const METERS = { images: 'images_per_day', megapixels: 'megapixels_per_day', cost: 'cost_per_day' } as const;

export function registerAdminRoutes(app: OpenAPIHono<AppEnv>, engine: Engine): void {
  const { tenants } = engine.policy;

  app.openapi(listKeysRoute, async (c) => {
    requireAdmin(c);
    const keys = await engine.store.keys.list(c.req.valid('query').tenant);
    return c.json({ object: 'list' as const, data: keys.map(keyOut) }, 200);
  });

  app.openapi(createKeyRoute, async (c) => {
    requireAdmin(c);
    requireBody(c);
    const body = c.req.valid('json');
    if (tenants.open) throw invalidRequest('no tenants are configured (open mode needs no keys); add a `tenants:` list to the config', 'tenant');
    if (!tenants.get(body.tenant)) throw invalidRequest(`no tenant "${body.tenant}" in the config (known: ${tenants.list().map((t) => t.id).join(', ')})`, 'tenant');
    const { key, record } = await createKey(engine.store.keys, body.tenant, body.name);
    return c.json({ ...keyOut(record), key }, 201);
  });

  app.openapi(revokeKeyRoute, async (c) => {
    requireAdmin(c);
    const { id } = c.req.valid('param');
    if (!(await engine.store.keys.revoke(id))) throw new ImagegenError('not_found', `no live key ${id} (unknown, or already revoked)`, { param: 'id' });
    return c.json({ id, revoked: true as const }, 200);
  });

  app.openapi(tenantsRoute, async (c) => {
    requireAdmin(c);
    const now = new Date();
    const data = await Promise.all(tenants.list().map((tenant) => tenantQuota(engine, tenant, now)));
    return c.json({ object: 'list' as const, data }, 200);
  });
}

async function tenantQuota(engine: Engine, tenant: Tenant, now: Date) {
  const day = localDay(now, tenant.timeZone);
  const entries = await Promise.all(
    (Object.keys(METERS) as (keyof typeof METERS)[]).map(async (metric) => {
      const used = await engine.store.quotas.used(tenant.id, metric, day);
      return [metric, { used: Math.round(used * 1e6) / 1e6, limit: tenant.quota[METERS[metric]] ?? null }] as const;
    }),
  );
  return {
    id: tenant.id,
    name: tenant.name,
    admin: tenant.admin,
    time_zone: tenant.timeZone,
    day,
    quota: Object.fromEntries(entries) as Record<keyof typeof METERS, z.infer<typeof Meter>>,
    images_per_minute: tenant.quota.images_per_minute ?? null,
  };
}
