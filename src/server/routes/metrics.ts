/** GET /metrics: Prometheus text format. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Engine } from '../../engine.ts';
import type { AppEnv } from '../app.ts';

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics: requests, images, backend latency, queue depth, cache, rejections',
  responses: { 200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' as const } } } } },
});

export function registerMetricsRoutes(app: OpenAPIHono<AppEnv>, engine: Engine): void {
  app.openapi(metricsRoute, (c) => c.body(engine.metrics.registry.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }) as never);
}
