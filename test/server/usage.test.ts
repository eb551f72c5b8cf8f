import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeApp } from '../helpers/app.ts';
import { bearer, keyFor } from '../helpers/policy.ts';
import { formatUsage, sinceToTime } from '../../src/cli/admin.ts';

const config = { models: [{ id: 'stub', provider: 'stub' }, { id: 'other', provider: 'stub' }], tenants: [{ id: 'acme' }, { id: 'beta' }, { id: 'ops', admin: true }] };

describe('GET /v1/usage', () => {
  it('answers 400 naming the parameter for dates it cannot use, never a 500', async () => {
    const { app, engine } = await makeApp(config);
    const acme = bearer(await keyFor(engine, 'acme'));
    for (const [query, param] of [['?to=-271821-04-20T00:00:00Z', 'to'], ['?from=yesterday', 'from'], ['?from=+275760-09-13T00:00:00Z', 'from']] as const) {
      const response = await app.request(`/v1/usage${query}`, { headers: acme });
      assert.equal(response.status, 400, query);
      assert.equal((await response.json()).error.param, param);
    }
  });

  it('shows a tenant its own usage, and an admin everyone’s, by day or model', async () => {
    const { app, post, engine } = await makeApp(config);
    const acme = bearer(await keyFor(engine, 'acme'));
    const beta = bearer(await keyFor(engine, 'beta'));
    const ops = bearer(await keyFor(engine, 'ops'));
    await post('/v1/generate', { prompt: 'a', n: 2, size: '64x64' }, acme);
    await post('/v1/generate', { prompt: 'a', n: 1, size: '64x64', model: 'other' }, acme);
    await post('/v1/generate', { prompt: 'a', n: 3, size: '64x64' }, beta);
    const get = (query: string, headers: Record<string, string>) => app.request(`/v1/usage${query}`, { headers });

    const own = await (await get('?group_by=model', acme)).json();
    assert.deepEqual(own.data.map((r: { tenant: string; model: string; images: number }) => [r.tenant, r.model, r.images]), [['acme', 'other', 1], ['acme', 'stub', 2]]);
    assert.equal(own.totals.images, 3);
    assert.equal((await get('?tenant=beta', acme)).status, 403);

    const all = await (await get('', ops)).json();
    assert.equal(all.group_by, 'day');
    assert.deepEqual(all.data.map((r: { tenant: string; images: number }) => [r.tenant, r.images]), [['acme', 3], ['beta', 3]]);
    assert.match(all.data[0].day, /^\d{4}-\d{2}-\d{2}$/);
    const onlyBeta = await (await get('?tenant=beta', ops)).json();
    assert.equal(onlyBeta.totals.images, 3);

    const past = await (await get('?from=2020-01-01&to=2020-01-02', ops)).json();
    assert.equal(past.totals.requests, 0);
    const bad = await get('?from=yesterday', ops);
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.param, 'from');
    assert.equal((await get('?group_by=week', ops)).status, 400);
  });

  it('formats CLI tables and CSV, and reads --since spans', () => {
    const answer = { group_by: 'day' as const, data: [{ tenant: 'a,b', day: '2026-11-22', requests: 2, images: 3, megapixels: 0.5, cost: 0, cached_images: 0, failed: 1 }], totals: { requests: 2, images: 3, megapixels: 0.5, cost: 0, cached_images: 0, failed: 1 } };
    assert.deepEqual(formatUsage(answer, true), ['tenant,day,requests,images,megapixels,cost,cached_images,failed', '"a,b",2026-11-22,2,3,0.5,0,0,1']);
    assert.match(formatUsage(answer, false).at(-1)!, /^total\s+2\s+3/);
    assert.equal(sinceToTime('7d', new Date('2026-11-22T00:00:00Z')), '2026-11-15T00:00:00.000Z');
    assert.throws(() => sinceToTime('soon'), /--since/);
  });
});
