/** GET /metrics: Prometheus text format. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Engine } from '../../engine.ts';
import { ImagegenError } from '../../imagegen/index.ts';
import type { AppEnv } from '../app.ts';
import { ErrorBody } from '../schemas.ts';

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics: requests, images, backend latency, queue depth, cache, rejections',
  responses: {
    200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' as const } } } },
    401: { description: 'No valid key (tenant mode, unless server.public_metrics)', content: { 'application/json': { schema: ErrorBody } } },
    403: { description: 'A key that is not an admin key', content: { 'application/json': { schema: ErrorBody } } },
  },
});

export function registerMetricsRoutes(app: OpenAPIHono<AppEnv>, engine: Engine): void {
  const open = engine.policy.tenants.open || engine.config.server.public_metrics;
  app.openapi(metricsRoute, async (c) => {
    if (!open) {
      const bearer = c.req.header('authorization')?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
      const { tenant } = await engine.policy.authenticate(bearer);
      if (!tenant.admin) throw new ImagegenError('forbidden', 'GET /metrics needs an admin key (or server.public_metrics: true)', { param: 'authorization' });
    }
    return c.body(engine.metrics.registry.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }) as never;
  });
}
