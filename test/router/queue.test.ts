import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackendQueue } from '../../src/router/queue.ts';
import { CircuitBreaker } from '../../src/router/breaker.ts';
import { makeApp } from '../helpers/app.ts';

describe('BackendQueue', () => {
  it('serves waiting tenants in turn: a light tenant is not stuck behind a heavy one', async () => {
    const queue = new BackendQueue({ name: 'gpu', concurrency: 1, maxQueued: 100 });
    const order: string[] = [];
    const first = await queue.acquire('heavy');
    // Each request, once granted, notes its turn and hands the slot on.
    const serve = (tenant: string, label: string) => queue.acquire(tenant).then((release) => (order.push(label), release()));
    const all = [...Array.from({ length: 5 }, (_, i) => serve('heavy', `heavy${i}`)), serve('light', 'light')];
    first();
    await Promise.all(all);
    assert.deepEqual(order, ['heavy0', 'light', 'heavy1', 'heavy2', 'heavy3', 'heavy4']);
    assert.equal(queue.running, 0);
  });

  it('reports round-robin positions and refuses past its bound with a Retry-After from depth and latency', async () => {
    const queue = new BackendQueue({ name: 'gpu', concurrency: 1, maxQueued: 3 });
    queue.observeLatency(2000);
    await queue.acquire('a');
    const positions: Record<string, number> = {};
    void queue.acquire('a', { onPosition: (p) => (positions.a1 = p) });
    void queue.acquire('a', { onPosition: (p) => (positions.a2 = p) });
    void queue.acquire('b', { onPosition: (p) => (positions.b1 = p) });
    assert.deepEqual(positions, { a1: 1, a2: 3, b1: 2 });
    await assert.rejects(queue.acquire('c'), (error: { code: string; retryAfter: number }) => {
      assert.equal(error.code, 'overloaded');
      assert.equal(error.retryAfter, 10); // (3 waiting + 1 running + 1) rounds of 2 s
      return true;
    });
  });

  it('an aborted signal takes a waiting request out of the line', async () => {
    const queue = new BackendQueue({ name: 'gpu', concurrency: 1, maxQueued: 5 });
    const release = await queue.acquire('a');
    const controller = new AbortController();
    const waiting = queue.acquire('b', { signal: controller.signal });
    assert.equal(queue.depth, 1);
    controller.abort();
    await assert.rejects(waiting, { code: 'cancelled' });
    assert.equal(queue.depth, 0);
    release();
    assert.equal(queue.running, 0);
  });
});

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, lets one probe through after the cooldown, and reopens if it fails', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failures: 2, cooldownMs: 1000, now: () => now });
    breaker.failure();
    breaker.success();
    breaker.failure();
    assert.equal(breaker.state, 'closed', 'a success resets the count');
    breaker.failure();
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.tryAcquire(), false);
    now = 1000;
    assert.equal(breaker.state, 'half_open');
    assert.equal(breaker.tryAcquire(), true);
    assert.equal(breaker.tryAcquire(), false, 'one probe at a time');
    breaker.failure();
    assert.equal(breaker.state, 'open');
    now = 2000;
    assert.equal(breaker.tryAcquire(), true);
    breaker.success();
    assert.equal(breaker.state, 'closed');
  });
});

describe('queues over HTTP', () => {
  const config = {
    providers: { gpu: { type: 'stub', latency_ms: 150 } },
    models: [{ id: 'm', provider: 'gpu', model: 'stub' }],
    router: { backends: { gpu: { concurrency: 1, queue: 1 } } },
  };

  it('a full queue answers 429 overloaded with Retry-After', async () => {
    const { post } = await makeApp(config);
    const running = post('/v1/generate', { prompt: 'one', size: '64x64' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const queued = post('/v1/generate', { prompt: 'two', size: '64x64' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const refused = await post('/v1/generate', { prompt: 'three', size: '64x64' });
    assert.equal(refused.status, 429);
    assert.equal((await refused.json()).error.code, 'overloaded');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal((await running).status, 200);
    assert.equal((await queued).status, 200);
  });

  it('a client that disconnects while queued leaves the line and its request never reaches the backend', async () => {
    const { app, post, engine } = await makeApp(config);
    const running = post('/v1/generate', { prompt: 'one', size: '64x64' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const controller = new AbortController();
    const gone = Promise.resolve(app.request('/v1/generate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'two', size: '64x64' }),
      signal: controller.signal,
    }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(engine.router.health()[0]!.queued, 1);
    controller.abort();
    const answer = await gone;
    assert.equal(answer.status, 499);
    assert.equal((await answer.json()).error.code, 'cancelled');
    assert.equal(engine.router.health()[0]!.queued, 0);
    await running;
    assert.equal(engine.metrics.attempts.get({ backend: 'gpu', outcome: 'ok' }), 1);
  });
});
