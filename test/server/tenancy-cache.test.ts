/** The router's cache and the policy's ledger together: tenants' caches are apart, a hit is recorded at no cost. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeApp } from '../helpers/app.ts';
import { bearer, keyFor } from '../helpers/policy.ts';

describe('cache under tenancy', () => {
  it('keeps each tenant to its own cache and records a hit in usage at no cost', async () => {
    const { post, app, engine } = await makeApp({
      models: [{ id: 'stub', provider: 'stub' }],
      tenants: [{ id: 'acme' }, { id: 'globex' }],
      policy: { prices: [{ provider: 'stub', per_image: 0.04 }] },
    });
    const acme = bearer(await keyFor(engine, 'acme'));
    const globex = bearer(await keyFor(engine, 'globex'));
    const body = { prompt: 'a red fox', size: '64x64', seed: 42 };

    const first = await (await post('/v1/generate', body, acme)).json();
    const again = await (await post('/v1/generate', body, acme)).json();
    const other = await (await post('/v1/generate', body, globex)).json();
    assert.deepEqual([first.cached, again.cached, other.cached], [false, true, false]);
    assert.equal(again.images[0].b64_json, first.images[0].b64_json);

    const usage = await (await app.request('/v1/usage?group_by=model', { headers: acme })).json();
    assert.equal(usage.totals.images, 2);
    assert.equal(usage.totals.cached_images, 1);
    assert.equal(usage.totals.cost, 0.04);
  });
});
