/**
 * The HTTP app. Built on web-standard Request/Response (Hono), so tests and `kimaging --local`
 * call `app.request()` with no port, and the daemon serves the same app over node:http.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { matchedRoutes } from 'hono/route';
import { ImagegenError } from '../imagegen/index.ts';
import type { Engine } from '../engine.ts';
import type { Principal } from '../policy/index.ts';
import { authMiddleware } from './auth.ts';
import { VERSION } from '../version.ts';
import { errorResponse, internalErrorResponse, toImagegenError, validationError } from './errors.ts';
import { registerComposeRoutes } from './routes/compose.ts';
import { registerImageRoutes } from './routes/images.ts';
import { registerJobRoutes } from './routes/jobs.ts';
import { registerMetaRoutes } from './routes/meta.ts';
import { registerUsageRoutes } from './routes/usage.ts';
import { registerMetricsRoutes } from './routes/metrics.ts';
import { registerUpscaleRoutes } from './routes/upscale.ts';
import { registerOpenAIImageRoutes } from './openai/images.ts';
import { registerMcpRoute } from './routes/mcp.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerConsoleRoutes } from './routes/console.ts';

export interface AppEnv {
  Variables: { requestId: string; principal: Principal };
}

export function createApp(engine: Engine): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      // On failure the validator still hands over the raw input (its type omits it): the message echoes the value.
      if (!result.success) throw validationError(result.error, (result as { data?: unknown }).data);
    },
  });

  app.use('*', async (c, next) => {
    const requestId = c.req.header('x-request-id')?.slice(0, 128) || crypto.randomUUID();
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    // Counted by route pattern, not path, so job ids do not make a series each. The pattern is the
    // route's even when middleware answered first (a 401, a 413); only middleware matched: no route.
    const route = matchedRoutes(c).findLast((r) => r.method !== 'ALL')?.path ?? 'unmatched';
    engine.metrics.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    engine.logger.info('request', {
      request_id: requestId,
      method: c.req.method,
      route,
      status: c.res.status,
      latency_ms: Math.round((performance.now() - started) * 10) / 10,
    });
  });

  const maxSize = Math.round(engine.config.server.body_limit_mb * 1024 * 1024);
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ImagegenError('payload_too_large', `request body is over the ${engine.config.server.body_limit_mb} MB limit`, { param: 'body' });
      },
    }),
  );

  app.use('/v1/*', authMiddleware(engine));
  app.use('/mcp', authMiddleware(engine));

  registerImageRoutes(app, engine);
  registerMetaRoutes(app, engine);
  registerComposeRoutes(app, engine);
  registerUsageRoutes(app, engine);
  registerJobRoutes(app, engine);
  registerMetricsRoutes(app, engine);
  registerUpscaleRoutes(app, engine);
  registerOpenAIImageRoutes(app, engine);
  registerMcpRoute(app, engine);
  registerAdminRoutes(app, engine);
  registerConsoleRoutes(app);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'koder-imaging',
      version: VERSION,
      description: 'One interface for text-to-image, image-to-image and inpainting over many backends.',
    },
  });

  app.notFound((c) => errorResponse(c, new ImagegenError('not_found', `no route ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => {
    const known = toImagegenError(error);
    return known ? errorResponse(c, known) : internalErrorResponse(c, error);
  });
  return app;
}
