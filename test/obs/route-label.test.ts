import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeApp } from '../helpers/app.ts';
import { bearer, keyFor } from '../helpers/policy.ts';

describe('request metrics', () => {
  it('label a request the middleware refused (401) with its route, not "unmatched"', async () => {
    const { app, post, engine } = await makeApp({ tenants: [{ id: 'acme' }, { id: 'ops', admin: true }] });
    assert.equal((await post('/v1/generate', { prompt: 'x' })).status, 401);
    await app.request('/nowhere');
    const text = await (await app.request('/metrics', { headers: bearer(await keyFor(engine, 'ops')) })).text();
    assert.ok(text.includes('kimaging_http_requests_total{method="POST",route="/v1/generate",status="401"} 1'), text);
    assert.ok(text.includes('kimaging_http_requests_total{method="GET",route="unmatched",status="404"} 1'));
  });
});
