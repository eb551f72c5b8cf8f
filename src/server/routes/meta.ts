/** GET /v1/models, GET /healthz. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Engine } from '../../engine.ts';
import { VERSION } from '../../version.ts';
import type { AppEnv } from '../app.ts';
import { HealthResponse, ModelsResponse } from '../schemas.ts';

const modelsRoute = createRoute({
  method: 'get',
  path: '/v1/models',
  summary: 'The models this service can serve',
  responses: { 200: { description: 'Model list', content: { 'application/json': { schema: ModelsResponse } } } },
});

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Liveness, and each backend\'s circuit and queue',
  responses: { 200: { description: 'Alive (a backend whose circuit is open still answers 200 here: the daemon is up)', content: { 'application/json': { schema: HealthResponse } } } },
});

export function registerMetaRoutes(app: OpenAPIHono<AppEnv>, engine: Engine): void {
  // OpenAI's Model has a `created` time; ours are configured, so it is when this app was made.
  const created = Math.floor(Date.now() / 1000);
  app.openapi(modelsRoute, async (c) =>
    c.json(
      {
        object: 'list' as const,
        data: engine.registry.list().map((m) => ({
          id: m.id,
          object: 'model' as const,
          created,
          owned_by: m.provider,
          capabilities: [...m.capabilities],
          knobs: [...m.knobs],
          ...(m.maxImagesPerCall !== undefined && { max_images_per_call: m.maxImagesPerCall }),
        })),
        default_model: engine.registry.defaultModel,
        max_n: engine.config.limits.max_n,
        backend_models: await backendModels(engine),
        aliases: engine.registry.aliases(),
      },
      200,
    ),
  );

  app.openapi(healthRoute, async (c) =>
    c.json(
      {
        status: 'ok' as const,
        version: VERSION,
        models: engine.registry.list().length,
        image_filter: engine.policy.imageClassifier?.state ?? ('off' as const),
        backends: engine.router.health(),
        store: await engine.store.health(),
        ...(engine.redis && { redis: await engine.redis.health() }),
      },
      200,
    ),
  );
}

/** What each provider that can tell reports, within a few seconds; a backend that cannot answer is left out. */
async function backendModels(engine: Engine) {
  const lists = await Promise.all(
    engine.registry.providers().map((provider) => provider.listModels?.({ signal: AbortSignal.timeout(3000) }).catch(() => []) ?? []),
  );
  // What the config already serves is in `data`; list only what a caller could add.
  const served = new Set(engine.registry.list().map((info) => `${info.provider}\0${engine.registry.resolve(info.id).model.id}`));
  return lists
    .flat()
    .filter((m) => !served.has(`${m.provider}\0${m.id}`))
    .map((m) => ({ id: m.id, owned_by: m.provider, capabilities: [...m.capabilities], knobs: [...m.knobs] }));
}
