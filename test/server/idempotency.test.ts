/** Idempotency-Key on the embedded default (SQLite, in-process jobs): one job and one bill per key and tenant. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localDay } from '../../src/policy/index.ts';
import { makeApp } from '../helpers/app.ts';
import { bearer, keyFor } from '../helpers/policy.ts';

describe('Idempotency-Key (embedded)', () => {
  it('gives the same job for an async retry and the same answer for a sync one, billed once per key', async () => {
    const { post, engine } = await makeApp({ tenants: [{ id: 'acme', quota: { images_per_day: 10 } }, { id: 'beta' }] });
    const acme = bearer(await keyFor(engine, 'acme'));
    const beta = bearer(await keyFor(engine, 'beta'));
    const body = { prompt: 'a fox', size: '64x64', n: 2, async: true };
    const first = await (await post('/v1/generate', body, { ...acme, 'idempotency-key': 'k1' })).json();
    const again = await (await post('/v1/generate', body, { ...acme, 'idempotency-key': 'k1' })).json();
    const other = await (await post('/v1/generate', body, { ...beta, 'idempotency-key': 'k1' })).json();
    assert.equal(again.id, first.id);
    assert.notEqual(other.id, first.id, 'keys are per tenant');

    const sync = () => post('/v1/generate', { prompt: 'a fox, sync', size: '64x64' }, { ...acme, 'idempotency-key': 'k2' });
    const [one, two] = await Promise.all([sync(), sync()]);
    assert.equal(one.status, 200);
    assert.equal((await one.json()).images[0].b64_json, (await two.json()).images[0].b64_json);
    assert.equal(await engine.store.quotas.used('acme', 'images', localDay(new Date(), 'UTC')), 3, '2 for the async job, 1 for the sync one');
    await engine.close();
  });
});
