import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeApp } from '../helpers/app.ts';
import { bearer, keyFor } from '../helpers/policy.ts';
import { hashKey } from '../../src/policy/index.ts';

const config = {
  tenants: [
    { id: 'acme', quota: { images_per_day: 10, megapixels_per_day: 5 } },
    { id: 'ops', admin: true },
  ],
};

describe('/v1/admin/*', () => {
  it('refuses every admin route to a tenant key (403) and to no key (401)', async () => {
    const { app, engine } = await makeApp(config);
    const acme = bearer(await keyFor(engine, 'acme'));
    const calls: [string, string, unknown?][] = [
      ['GET', '/v1/admin/keys'],
      ['POST', '/v1/admin/keys', { tenant: 'acme' }],
      ['DELETE', '/v1/admin/keys/key_x'],
      ['GET', '/v1/admin/tenants'],
    ];
    for (const [method, path, body] of calls) {
      const init = (headers: Record<string, string>) => ({ method, headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined && { body: JSON.stringify(body) }) });
      const forbidden = await app.request(path, init(acme));
      assert.equal(forbidden.status, 403, `${method} ${path}`);
      const error = (await forbidden.json()).error;
      assert.equal(error.code, 'forbidden');
      assert.match(error.message, /needs an admin key/);
      assert.equal((await app.request(path, init({}))).status, 401, `${method} ${path} without a key`);
    }
  });

  it('creates a key shown once and stored hashed, lists it without the key, revokes it', async () => {
    const { app, engine, post } = await makeApp(config);
    const ops = bearer(await keyFor(engine, 'ops', 'root'));
    const created = await post('/v1/admin/keys', { tenant: 'acme', name: 'ci' }, ops);
    assert.equal(created.status, 201);
    const key = await created.json();
    assert.match(key.key, /^kim_/);
    assert.equal(key.tenant, 'acme');
    assert.equal(key.name, 'ci');
    assert.ok(key.key.startsWith(key.prefix));

    // The store holds the hash, never the key.
    const stored = await engine.store.keys.findByHash(hashKey(key.key));
    assert.equal(stored?.id, key.id);
    const listed = await (await app.request('/v1/admin/keys?tenant=acme', { headers: ops })).json();
    assert.deepEqual(listed.data.map((k: { id: string }) => k.id), [key.id]);
    assert.ok(!JSON.stringify(listed).includes(key.key), 'the list must not hold the key');
    assert.equal(listed.data[0].revoked_at, null);

    // The new key works, then stops working once revoked.
    assert.equal((await post('/v1/generate', { prompt: 'a', size: '64x64' }, bearer(key.key))).status, 200);
    const revoked = await app.request(`/v1/admin/keys/${key.id}`, { method: 'DELETE', headers: ops });
    assert.deepEqual(await revoked.json(), { id: key.id, revoked: true });
    const refused = await post('/v1/generate', { prompt: 'a', size: '64x64' }, bearer(key.key));
    assert.equal(refused.status, 401);
    const again = await app.request(`/v1/admin/keys/${key.id}`, { method: 'DELETE', headers: ops });
    assert.equal(again.status, 404);
    assert.equal((await again.json()).error.param, 'id');
    const all = await (await app.request('/v1/admin/keys', { headers: ops })).json();
    assert.equal(all.data.length, 2);
    assert.match(all.data.find((k: { id: string }) => k.id === key.id).revoked_at, /^\d{4}-/);
  });

  it('answers 400 naming the param for an unknown tenant, a bad body, and open mode', async () => {
    const { engine, post } = await makeApp(config);
    const ops = bearer(await keyFor(engine, 'ops'));
    const unknown = await post('/v1/admin/keys', { tenant: 'nobody' }, ops);
    assert.equal(unknown.status, 400);
    const error = (await unknown.json()).error;
    assert.equal(error.param, 'tenant');
    assert.match(error.message, /no tenant "nobody".*known: acme, ops/);
    const missing = await post('/v1/admin/keys', {}, ops);
    assert.equal(missing.status, 400);
    assert.equal((await missing.json()).error.param, 'tenant');
    const extra = await post('/v1/admin/keys', { tenant: 'acme', colour: 'red' }, ops);
    assert.equal(extra.status, 400);

    const open = await makeApp({});
    const refused = await open.post('/v1/admin/keys', { tenant: 'local' });
    assert.equal(refused.status, 400);
    assert.match((await refused.json()).error.message, /open mode needs no keys/);
  });

  it("shows each tenant's quota used today against its limits", async () => {
    const { app, engine, post } = await makeApp(config);
    const acme = bearer(await keyFor(engine, 'acme'));
    const ops = bearer(await keyFor(engine, 'ops'));
    assert.equal((await post('/v1/generate', { prompt: 'a', n: 3, size: '1000x1000' }, acme)).status, 200);
    const answer = await (await app.request('/v1/admin/tenants', { headers: ops })).json();
    const byId = Object.fromEntries(answer.data.map((t: { id: string }) => [t.id, t]));
    assert.deepEqual(byId.acme.quota.images, { used: 3, limit: 10 });
    assert.deepEqual(byId.acme.quota.megapixels, { used: 3, limit: 5 });
    assert.equal(byId.acme.quota.cost.limit, null);
    assert.match(byId.acme.day, /^\d{4}-\d{2}-\d{2}$/);
    assert.deepEqual(byId.ops.quota.images, { used: 0, limit: null });
    assert.equal(byId.ops.admin, true);
  });

  it('is in the OpenAPI document; the console is not', async () => {
    const { app } = await makeApp(config);
    const doc = await (await app.request('/openapi.json')).json();
    for (const path of ['/v1/admin/keys', '/v1/admin/keys/{id}', '/v1/admin/tenants']) assert.ok(doc.paths[path], path);
    assert.match(JSON.stringify(doc.components.schemas.CreatedApiKey), /"key":\{"type":"string"/);
    assert.equal(doc.paths['/'], undefined);
  });
});

describe('the web console route', () => {
  it('serves the page and its assets without a key, and nothing outside its list', async () => {
    const { app } = await makeApp(config);
    const page = await app.request('/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
    assert.match(await page.text(), /<html/);
    const uplot = await app.request('/console/vendor/uPlot.esm.js');
    assert.equal(uplot.status, 200);
    assert.match(uplot.headers.get('content-type')!, /^text\/javascript/);
    const vocabulary = await (await app.request('/console/vocabulary.json')).json();
    assert.deepEqual(vocabulary.samplers.find((s: { id: string }) => s.id === 'euler_a'), { id: 'euler_a', label: 'Euler a' });
    assert.ok(vocabulary.schedulers.length > 0);
    for (const path of ['/console/../package.json', '/console/%2e%2e/package.json', '/console/nope.js', '/console/vendor/uPlot.cjs.js']) {
      const response = await app.request(path);
      assert.equal(response.status, 404, path);
      assert.equal((await response.json()).error.code, 'not_found');
    }
    // The API behind it still needs a key.
    assert.equal((await app.request('/v1/models')).status, 401);
  });
});
