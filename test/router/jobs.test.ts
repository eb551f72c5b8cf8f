import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeApp } from '../helpers/app.ts';

const config = {
  providers: { gpu: { type: 'stub', latency_ms: 60 } },
  models: [{ id: 'm', provider: 'gpu', model: 'stub' }],
  router: { backends: { gpu: { concurrency: 1 } } },
  jobs: { ttl_s: 0.3 },
};

function parseEvents(text: string): { status: string; queue_position?: number; progress?: { fraction: number } }[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: job'))
    .map((block) => JSON.parse(block.split('\n').find((line) => line.startsWith('data: '))!.slice(6)));
}

describe('async jobs', () => {
  it('202 {id, status}; events give the queue position, then progress; the job keeps the answer', async () => {
    const { app, post } = await makeApp(config);
    const blocking = post('/v1/generate', { prompt: 'first', size: '64x64' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const accepted = await post('/v1/generate', { prompt: 'second', n: 2, size: '64x64', seed: 4, async: true });
    assert.equal(accepted.status, 202);
    const { id, status } = await accepted.json();
    assert.equal(status, 'queued');
    assert.equal(accepted.headers.get('location'), `/v1/jobs/${id}`);

    const events = await app.request(`/v1/jobs/${id}/events`);
    assert.equal(events.headers.get('content-type'), 'text/event-stream');
    const seen = parseEvents(await events.text());
    assert.ok(seen.some((e) => e.status === 'queued' && e.queue_position === 1), JSON.stringify(seen));
    assert.ok(seen.some((e) => e.status === 'running' && e.progress?.fraction === 0.5));
    assert.equal(seen.at(-1)!.status, 'succeeded');

    const job = await (await app.request(`/v1/jobs/${id}`)).json();
    assert.equal(job.status, 'succeeded');
    assert.deepEqual(job.result.images.map((i: { seed: number }) => i.seed), [4, 5]);
    assert.equal(job.result.model, 'm');
    await blocking;

    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal((await app.request(`/v1/jobs/${id}`)).status, 404, 'results are kept only for ttl_s');
  });

  it('refuses bad input and unknown models at once, not as failed jobs; an unknown job is a 404', async () => {
    const { app, post } = await makeApp(config);
    const badImage = await post('/v1/edit', { prompt: 'x', image: 'aGVsbG8=', async: true });
    assert.equal(badImage.status, 400);
    assert.equal((await badImage.json()).error.param, 'image');
    const unknown = await post('/v1/generate', { prompt: 'x', model: 'nope', async: true });
    assert.equal(unknown.status, 404);
    assert.equal((await app.request('/v1/jobs/job_missing')).status, 404);
  });

  it('a job whose backend fails reports the error the synchronous call would have given', async () => {
    const { app, post } = await makeApp({ ...config, limits: { max_side: 4096 }, router: { attempt_timeout_s: 0.05 } });
    const { id } = await (await post('/v1/generate', { prompt: 'slow', n: 2, size: '64x64', async: true })).json();
    await (await app.request(`/v1/jobs/${id}/events`)).text();
    const job = await (await app.request(`/v1/jobs/${id}`)).json();
    assert.equal(job.status, 'failed');
    assert.equal(job.error.code, 'provider_timeout');
    assert.equal(job.result, undefined);
  });

  it('DELETE cancels a queued job: it leaves the line and reports cancelled', async () => {
    const { app, post, engine } = await makeApp(config);
    const blocking = post('/v1/generate', { prompt: 'first', size: '64x64' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const { id } = await (await post('/v1/generate', { prompt: 'second', size: '64x64', async: true })).json();
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(engine.router.health()[0]!.queued, 1);
    assert.equal((await app.request(`/v1/jobs/${id}`, { method: 'DELETE' })).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const job = await (await app.request(`/v1/jobs/${id}`)).json();
    assert.equal(job.status, 'cancelled');
    assert.equal(job.error.code, 'cancelled');
    assert.equal(engine.router.health()[0]!.queued, 0);
    await blocking;
    assert.equal(engine.metrics.attempts.get({ backend: 'gpu', outcome: 'ok' }), 1);
  });
});
