/**
 * The HTTP app. Built on web-standard Request/Response (Hono), so tests and `kimaging --local`
 * call `app.request()` with no port, and the daemon serves the same app over node:http.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { ImagegenError } from '../imagegen/index.ts';
import type { Engine } from '../engine.ts';
import { VERSION } from '../version.ts';
import { errorResponse, internalErrorResponse, toImagegenError, validationError } from './errors.ts';
import { registerImageRoutes } from './routes/images.ts';
import { registerMetaRoutes } from './routes/meta.ts';
import { registerUpscaleRoutes } from './routes/upscale.ts';

export interface AppEnv {
  Variables: { requestId: string };
}

export function createApp(engine: Engine): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error);
    },
  });

  app.use('*', async (c, next) => {
    const requestId = c.req.header('x-request-id')?.slice(0, 128) || crypto.randomUUID();
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    await next();
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

  registerImageRoutes(app, engine);
  registerMetaRoutes(app, engine);
  registerUpscaleRoutes(app, engine);

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
