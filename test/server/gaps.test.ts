/** Small gaps a new user found: /metrics in tenant mode, tenant allow-lists, a loosened safety level. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.ts';
import { createEngine } from '../../src/engine.ts';
import { makeApp } from '../helpers/app.ts';
import { bearer, keyFor } from '../helpers/policy.ts';

const tenants = [{ id: 'acme' }, { id: 'ops', admin: true }];

describe('GET /metrics', () => {
  it('needs an admin key in tenant mode: 401 without one, 403 for a tenant key', async () => {
    const { app, engine } = await makeApp({ tenants });
    assert.equal((await app.request('/metrics')).status, 401);
    const refused = await app.request('/metrics', { headers: bearer(await keyFor(engine, 'acme')) });
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /admin key/);
    const ok = await app.request('/metrics', { headers: bearer(await keyFor(engine, 'ops')) });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /# TYPE/);
  });
  it('is open in open mode, and with server.public_metrics', async () => {
    assert.equal((await (await makeApp()).app.request('/metrics')).status, 200);
    assert.equal((await (await makeApp({ tenants, server: { public_metrics: true } })).app.request('/metrics')).status, 200);
  });
});

describe('tenant model allow-lists', () => {
  it('refuse at start an entry that names no model or alias, naming the field', async () => {
    const config = parseConfig({ models: [{ id: 'sdxl', provider: 'stub' }], aliases: { fast: ['sdxl'] }, tenants: [{ id: 'acme', models: ['fast', 'sdlx'] }] });
    await assert.rejects(createEngine(config), /tenants\.0\.models\.1: no model or alias named "sdlx" \(known: sdxl, fast\)/);
  });
});

describe('a requested safety level below the tenant floor', () => {
  it('is not applied, and the answer says so', async () => {
    const { post, engine } = await makeApp({ tenants: [{ id: 'acme', safety: 'strict' }] });
    const res = await post('/v1/generate', { prompt: 'a lighthouse', size: '64x64', safety: 'off' }, bearer(await keyFor(engine, 'acme')));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { warnings: { setting: string; message: string }[] };
    assert.ok(body.warnings.some((w) => w.setting === 'safety' && /"off" is below tenant acme's floor; "strict" was applied/.test(w.message)), JSON.stringify(body.warnings));
  });
});
