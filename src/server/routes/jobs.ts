/** GET /v1/jobs/{id}, its Server-Sent Events, and DELETE to cancel. Jobs are their tenant's alone. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { ImagegenError } from '../../imagegen/index.ts';
import type { Engine } from '../../engine.ts';
import { isFinished, type JobView } from '../../jobs/jobs.ts';
import type { AppEnv } from '../app.ts';
import { ErrorBody, JobResponse } from '../schemas.ts';
import { requestTenant } from '../auth.ts';

const params = z.object({ id: z.string().min(1).openapi({ param: { name: 'id', in: 'path' }, example: 'job_5f0c...' }) });
const notFound = { 404: { description: 'No such job (or it expired, or it is another tenant\'s)', content: { 'application/json': { schema: ErrorBody } } } };

const getRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}',
  summary: 'An async job: status, queue position, progress, and its result once done',
  request: { params },
  responses: { 200: { description: 'The job', content: { 'application/json': { schema: JobResponse } } }, ...notFound },
});

const eventsRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/events',
  summary: 'Server-Sent Events: a `job` event (the job without its result) on every change, until it finishes',
  request: { params },
  responses: { 200: { description: 'text/event-stream of `job` events', content: { 'text/event-stream': { schema: { type: 'string' as const } } } }, ...notFound },
});

const cancelRoute = createRoute({
  method: 'delete',
  path: '/v1/jobs/{id}',
  summary: 'Cancel a job: it leaves the queue, or its backend call is interrupted where the backend can',
  request: { params },
  responses: { 200: { description: 'The job as it was when cancelled', content: { 'application/json': { schema: JobResponse } } }, ...notFound },
});

/** Proxies close quiet streams; a comment line every so often keeps a long queue wait open. */
const KEEPALIVE_MS = 15_000;

const missing = (id: string) => new ImagegenError('not_found', `no job ${id}: it never existed, expired, or belongs to another tenant`, { param: 'id' });

export function registerJobRoutes(app: OpenAPIHono<AppEnv>, engine: Engine): void {
  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const job = await engine.jobs.get(id, requestTenant(c));
    if (!job) throw missing(id);
    return c.json(job as z.infer<typeof JobResponse>, 200);
  });

  app.openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid('param');
    const job = await engine.jobs.cancel(id, requestTenant(c));
    if (!job) throw missing(id);
    return c.json(job as z.infer<typeof JobResponse>, 200);
  });

  app.openapi(eventsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const tenant = requestTenant(c);
    const current = await engine.jobs.get(id, tenant);
    if (!current) throw missing(id);
    return streamSSE(c, async (stream) => {
      // Writes are chained so events leave in the order they happened.
      let writing = Promise.resolve();
      const send = (view: JobView) => {
        const { result: _result, ...event } = view;
        writing = writing.then(() => stream.writeSSE({ event: 'job', data: JSON.stringify(event) }));
        return writing;
      };
      let finish!: () => void;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const unsubscribe = await engine.jobs.subscribe(id, tenant, (view) => {
        void send(view);
        if (isFinished(view.status)) finish();
      });
      stream.onAbort(finish);
      // Read again once listening: a job that ended in between would never call the listener.
      const now = (await engine.jobs.get(id, tenant)) ?? current;
      const keepalive = setInterval(() => void stream.write(': keepalive\n\n'), KEEPALIVE_MS);
      try {
        await send(now);
        if (!isFinished(now.status) && !stream.aborted) await finished;
      } finally {
        clearInterval(keepalive);
        unsubscribe?.();
      }
      await writing;
    }) as never;
  });
}
