import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeApp } from '../helpers/app.ts';
import { bearer, keyFor } from '../helpers/policy.ts';
import { hashKey, verifyKey } from '../../src/policy/index.ts';

const config = {
  models: [{ id: 'stub', provider: 'stub' }, { id: 'stub-xl', provider: 'stub' }],
  tenants: [
    { id: 'acme', models: ['stub'] },
    { id: 'ops', admin: true },
  ],
};
const body = { prompt: 'a red fox', size: '64x64' };

describe('auth', () => {
  it('answers 401 without a key, with a malformed header and with an unknown key', async () => {
    const { post } = await makeApp(config);
    for (const headers of [{}, { authorization: 'Basic abc' }, bearer('kim_not-a-real-key')]) {
      const response = await post('/v1/generate', body, headers);
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer');
      assert.equal((await response.json()).error.code, 'unauthorized');
    }
  });

  it('lets a valid key through, and refuses it once revoked', async () => {
    const { post, engine } = await makeApp(config);
    const key = await keyFor(engine, 'acme', 'ci');
    assert.equal((await post('/v1/generate', body, bearer(key))).status, 200);
    const [record] = await engine.store.keys.list('acme');
    assert.equal(record!.name, 'ci');
    assert.ok(await engine.store.keys.revoke(record!.id));
    assert.equal((await post('/v1/generate', body, bearer(key))).status, 401);
  });

  it('stores only the hash of a key', async () => {
    const { engine } = await makeApp(config);
    const key = await keyFor(engine, 'acme');
    const stored = await engine.store.keys.findByHash(hashKey(key));
    assert.ok(stored);
    assert.ok(!JSON.stringify(stored).includes(key.slice(8)), 'the key itself is not in the store');
    assert.equal((await verifyKey(engine.store.keys, key))?.tenant, 'acme');
    assert.equal(await verifyKey(engine.store.keys, key + 'x'), undefined);
  });

  it('answers 403 naming the model a tenant may not use', async () => {
    const { post, engine } = await makeApp(config);
    const key = await keyFor(engine, 'acme');
    const response = await post('/v1/generate', { ...body, model: 'stub-xl' }, bearer(key));
    assert.equal(response.status, 403);
    const error = (await response.json()).error;
    assert.equal(error.code, 'forbidden');
    assert.equal(error.param, 'model');
    // An admin tenant without a model list may use both.
    const ops = await keyFor(engine, 'ops');
    assert.equal((await post('/v1/generate', { ...body, model: 'stub-xl' }, bearer(ops))).status, 200);
  });

  it('guards /v1/models too, but not /healthz or /openapi.json', async () => {
    const { app } = await makeApp(config);
    assert.equal((await app.request('/v1/models')).status, 401);
    assert.equal((await app.request('/healthz')).status, 200);
    const doc = await (await app.request('/openapi.json')).json();
    assert.ok(doc.paths['/v1/usage'], '/v1/usage is in the OpenAPI document');
  });

  it('runs open as tenant local when no tenants are configured', async () => {
    const { post, app } = await makeApp({});
    assert.equal((await post('/v1/generate', body)).status, 200);
    const usage = await (await app.request('/v1/usage')).json();
    assert.equal(usage.data[0].tenant, 'local');
    assert.equal(usage.totals.images, 1);
  });
});
