/** Fault tests over real HTTP fakes: in every case the client gets a clear, typed answer. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { makeApp } from '../helpers/app.ts';
import { flakyProviderType, startFlakyBackend, type Behaviour, type FlakyBackend } from '../fakes/flaky-backend.ts';

const started: FlakyBackend[] = [];
after(() => Promise.all(started.map((b) => b.close())));

async function backend(behaviour: Behaviour): Promise<FlakyBackend> {
  const b = await startFlakyBackend(behaviour);
  started.push(b);
  return b;
}

/** An app whose models m0, m1, ... each sit on their own flaky backend; alias `chain` lists them in order. */
async function chainApp(backends: FlakyBackend[], router: Record<string, unknown> = {}) {
  const providers = Object.fromEntries(backends.map((b, i) => [`b${i}`, { type: 'flaky', url: b.url }]));
  const models = backends.map((_, i) => ({ id: `m${i}`, provider: `b${i}` }));
  return makeApp(
    { providers, models, aliases: { chain: models.map((m) => m.id) }, default_model: 'chain', router: { attempt_timeout_s: 0.3, ...router } },
    { providerTypes: { flaky: flakyProviderType } },
  );
}

const body = { prompt: 'a fox', seed: 3, cache: 'no-store' };

describe('fallback chains', () => {
  it('a slow backend times out and the chain falls back, naming the model that served and the failed attempt', async () => {
    const slow = await backend({ kind: 'ok', latencyMs: 3000 });
    const good = await backend({ kind: 'ok' });
    const { post } = await chainApp([slow, good]);
    const begun = Date.now();
    const res = await post('/v1/generate', body);
    assert.equal(res.status, 200);
    const json = await res.json();
    assert.equal(json.model, 'm1');
    assert.equal(json.provider, 'b1');
    assert.equal(json.images.length, 1);
    assert.match(json.warnings[0].message, /m0 .*provider_timeout.*0\.3 s/);
    assert.ok(Date.now() - begun < 2000, 'the slow call was not waited out');
  });

  it('a backend that hangs is cut off by the attempt timeout and interrupted', async () => {
    const hung = await backend({ kind: 'hang' });
    const { post } = await chainApp([hung]);
    const res = await post('/v1/generate', body);
    assert.equal(res.status, 504);
    const json = await res.json();
    assert.equal(json.error.code, 'provider_timeout');
    assert.match(json.error.message, /did not answer within 0\.3 s/);
    await waitFor(() => hung.aborted === 1);
  });

  for (const [kind, pattern] of [
    ['reset', /cannot reach b0/],
    ['malformed', /malformed JSON/],
    ['die_mid_body', /broke off its answer/],
  ] as const) {
    it(`${kind}: a clear 502 alone, and a fallback in a chain`, async () => {
      const broken = await backend({ kind } as Behaviour);
      const good = await backend({ kind: 'ok' });
      const alone = await (await chainApp([broken])).post('/v1/generate', body);
      assert.equal(alone.status, 502);
      const error = (await alone.json()).error;
      assert.equal(error.code, 'provider_error');
      assert.match(error.message, pattern);

      const res = await (await chainApp([broken, good])).post('/v1/generate', body);
      assert.equal(res.status, 200);
      const json = await res.json();
      assert.equal(json.model, 'm1');
      assert.match(json.warnings[0].message, pattern);
    });
  }

  it('a refusal is never routed around: content_blocked stops the chain', async () => {
    const refusing = await backend({ kind: 'blocked' });
    const good = await backend({ kind: 'ok' });
    const { post } = await chainApp([refusing, good]);
    const res = await post('/v1/generate', body);
    assert.equal(res.status, 422);
    assert.equal((await res.json()).error.code, 'content_blocked');
    assert.equal(good.calls, 0);
  });

  it('a 4xx that is not retryable is the answer too; the next model is not tried', async () => {
    const bad = await backend({ kind: 'status', status: 400 });
    const good = await backend({ kind: 'ok' });
    const res = await (await chainApp([bad, good])).post('/v1/generate', body);
    assert.equal(res.status, 502);
    assert.equal(good.calls, 0);
  });

  it('the overall deadline bounds the whole chain', async () => {
    const a = await backend({ kind: 'hang' });
    const b = await backend({ kind: 'hang' });
    const { post } = await chainApp([a, b], { attempt_timeout_s: 0.3, deadline_s: 0.45 });
    const begun = Date.now();
    const res = await post('/v1/generate', body);
    assert.equal(res.status, 504);
    assert.match((await res.json()).error.message, /deadline/);
    assert.ok(Date.now() - begun < 1000);
  });

  it('when every model fails, the answer lists each failure', async () => {
    const a = await backend({ kind: 'status', status: 500 });
    const b = await backend({ kind: 'status', status: 503 });
    const res = await (await chainApp([a, b])).post('/v1/generate', body);
    assert.equal(res.status, 502);
    const error = (await res.json()).error;
    assert.match(error.message, /every model of "chain" failed: m0: .*HTTP 500; m1: .*HTTP 503/);
  });
});

describe('circuit breaker', () => {
  it("a backend refusing one caller's requests (400) is not struck: its circuit stays closed for everyone", async () => {
    const picky = await backend({ kind: 'status', status: 400 });
    const { post, app } = await chainApp([picky], { breaker: { failures: 2, cooldown_s: 60 } });
    for (let i = 0; i < 4; i++) assert.equal((await post('/v1/generate', body)).status, 502);
    assert.equal(picky.calls, 4, 'every request still reached the backend');
    const health = await (await app.request('/healthz')).json();
    assert.equal(health.backends[0].state, 'closed');
  });

  it('repeated 500s open the breaker; calls are refused without reaching the backend; a half-open probe closes it', async () => {
    const failing = await backend({ kind: 'status', status: 500 });
    const { post, app } = await chainApp([failing], { breaker: { failures: 3, cooldown_s: 0.3 } });
    for (let i = 0; i < 3; i++) assert.equal((await post('/v1/generate', body)).status, 502);
    assert.equal(failing.calls, 3);

    const refused = await post('/v1/generate', body);
    assert.equal(refused.status, 502);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.match((await refused.json()).error.message, /circuit is open/);
    assert.equal(failing.calls, 3, 'an open circuit does not call the backend');
    const health = await (await app.request('/healthz')).json();
    assert.deepEqual(
      health.backends.map((b: { name: string; state: string }) => [b.name, b.state]),
      [['b0', 'open']],
    );

    await sleep(350);
    failing.behave({ kind: 'ok' });
    assert.equal((await post('/v1/generate', body)).status, 200);
    assert.equal(failing.calls, 4);
    const after = await (await app.request('/healthz')).json();
    assert.equal(after.backends[0].state, 'closed');
  });

  it('an open circuit sends the chain straight to the next model', async () => {
    const failing = await backend({ kind: 'status', status: 500 });
    const good = await backend({ kind: 'ok' });
    const { post } = await chainApp([failing, good], { breaker: { failures: 1, cooldown_s: 60 } });
    assert.equal((await post('/v1/generate', body)).status, 200);
    const res = await post('/v1/generate', body);
    assert.equal(res.status, 200);
    assert.match((await res.json()).warnings[0].message, /circuit is open/);
    assert.equal(failing.calls, 1);
    assert.equal(good.calls, 2);
  });
});

describe('health checks', () => {
  it('a killed backend fails its checks, its circuit opens, and callers go straight to the next model', async () => {
    const doomed = await backend({ kind: 'ok' });
    const good = await backend({ kind: 'ok' });
    const { post, app, engine } = await chainApp([doomed, good], { breaker: { failures: 2, cooldown_s: 60 } });
    await engine.router.checkBackends();
    let health = await (await app.request('/healthz')).json();
    assert.equal(health.backends[0].check.ok, true);
    await doomed.close();
    await engine.router.checkBackends();
    await engine.router.checkBackends();
    health = await (await app.request('/healthz')).json();
    assert.equal(health.backends[0].state, 'open');
    assert.equal(health.backends[0].check.ok, false);
    assert.match(health.backends[0].check.error, /cannot reach b0/);
    assert.equal(health.backends[1].state, 'closed');
    const res = await post('/v1/generate', body);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).model, 'm1');
  });

  it('a backend killed with the request in flight: a clear 502, never a 500', async () => {
    const doomed = await backend({ kind: 'ok', latencyMs: 200 });
    const { post } = await chainApp([doomed]);
    const pending = post('/v1/generate', body);
    await sleep(50);
    await doomed.close();
    const res = await pending;
    assert.equal(res.status, 502);
    assert.equal((await res.json()).error.code, 'provider_error');
  });
});

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(condition: () => boolean, ms = 2000) {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) assert.fail('condition not met in time');
    await sleep(10);
  }
}
