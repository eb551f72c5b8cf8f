import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeApp } from '../helpers/app.ts';

const json = async (response: Response | Promise<Response>) => (await response).json();

const twoGpus = {
  providers: { a: { type: 'stub', latency_ms: 80 }, b: { type: 'stub', latency_ms: 80 } },
  models: [
    { id: 'ga', provider: 'a', model: 'stub' },
    { id: 'gb', provider: 'b', model: 'stub' },
  ],
};

describe('aliases', () => {
  it('are listed in /v1/models and can be the default', async () => {
    const { app } = await makeApp({ ...twoGpus, aliases: { hq: ['ga', 'gb'] }, default_model: 'hq' });
    const list = await (await app.request('/v1/models')).json();
    assert.deepEqual(list.aliases, { hq: ['ga', 'gb'] });
    assert.equal(list.default_model, 'hq');
  });

  it('are checked at start: an unknown member or a clash with a model id names the field', async () => {
    await assert.rejects(makeApp({ ...twoGpus, aliases: { hq: ['ga', 'nope'] } }), /aliases\.hq\.1: no model named "nope"/);
    await assert.rejects(makeApp({ ...twoGpus, aliases: { ga: ['gb'] } }), /aliases\.ga: "ga" is already a model id/);
    await assert.rejects(makeApp({ ...twoGpus, default_model: 'missing' }), /default_model: no model or alias named "missing"/);
  });

  it('a full queue on the first model falls back to the next one, said in a warning', async () => {
    const { post } = await makeApp({ ...twoGpus, aliases: { hq: ['ga', 'gb'] }, router: { backends: { a: { concurrency: 1, queue: 0 } } } });
    const [first, second] = await Promise.all([
      json(post('/v1/generate', { model: 'hq', prompt: 'one', size: '64x64' })),
      json(post('/v1/generate', { model: 'hq', prompt: 'two', size: '64x64' })),
    ]);
    assert.equal(first.model, 'ga');
    assert.equal(second.model, 'gb');
    assert.match(second.warnings[0].message, /model ga .*overloaded/);
  });

  it('balance spreads concurrent requests over the chain by load', async () => {
    const { post } = await makeApp({
      ...twoGpus,
      aliases: { pool: { models: ['ga', 'gb'], balance: true } },
      router: { default_concurrency: 1 },
    });
    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, i) => json(post('/v1/generate', { model: 'pool', prompt: `p${i}`, size: '64x64' }))),
    );
    const served = answers.map((a: { model: string; warnings: unknown[] }) => a.model).sort();
    assert.deepEqual(served, ['ga', 'ga', 'gb', 'gb']);
    assert.ok(answers.every((a: { warnings: unknown[] }) => a.warnings.length === 0));
  });
});
