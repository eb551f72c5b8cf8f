/** /v1/upscale under the gateway's duties: keys, the tenant's upscale cap, the ledger, async jobs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { b64, makeApp, solidPng } from '../helpers/app.ts';
import { bearer, keyFor } from '../helpers/policy.ts';
import { startSdapiUpscaleFake } from '../fakes/sdapi-upscale-fake.ts';

const config = { tenants: [{ id: 'acme', caps: { upscale_pixels: 200 * 200 } }] };

describe('POST /v1/upscale and the policy', () => {
  it('needs a key, holds the tenant to its upscale cap, and records each answer in usage', async () => {
    const { post, app, engine } = await makeApp(config);
    const image = b64(await solidPng(64, 64, [10, 20, 30]));
    assert.equal((await post('/v1/upscale', { image, scale: 2, method: 'lanczos' })).status, 401);

    const key = bearer(await keyFor(engine, 'acme'));
    const over = await post('/v1/upscale', { image, scale: 4, method: 'lanczos' }, key);
    assert.equal(over.status, 400);
    const error = (await over.json()).error;
    assert.equal(error.param, 'scale');
    assert.match(error.message, /40000/);

    const ok = await post('/v1/upscale', { image, scale: 2, method: 'lanczos' }, key);
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).images[0].width, 128);

    const usage = await (await app.request('/v1/usage?group_by=model', { headers: key })).json();
    const lanczos = usage.data.find((row: { model: string }) => row.model === 'lanczos');
    assert.equal(lanczos.requests, 2);
    assert.equal(lanczos.images, 1);
    assert.equal(lanczos.failed, 1);
  });

  it('runs as an async job with "async": true', async () => {
    const { post, app } = await makeApp();
    const accepted = await post('/v1/upscale', { image: b64(await solidPng(32, 32, [1, 2, 3])), scale: 2, method: 'lanczos', async: true });
    assert.equal(accepted.status, 202);
    const { id } = await accepted.json();
    await (await app.request(`/v1/jobs/${id}/events`)).text();
    const job = await (await app.request(`/v1/jobs/${id}`)).json();
    assert.equal(job.kind, 'upscale');
    assert.equal(job.status, 'succeeded');
    const meta = await sharp(Buffer.from(job.result.images[0].b64_json, 'base64')).metadata();
    assert.deepEqual([meta.width, meta.height], [64, 64]);
  });

  it('the provider method reaches the SDAPI server with that provider\'s credentials', async () => {
    const fake = await startSdapiUpscaleFake();
    fake.basicAuth = 'me:secret';
    try {
      const { post } = await makeApp(
        {
          providers: { a1111: { type: 'sdapi', base_url: fake.url, basic_auth_env: 'A1111_AUTH' } },
          models: [{ id: 'stub', provider: 'stub' }],
          upscale: { provider: { provider: 'a1111', upscaler: 'Lanczos' } },
        },
        { env: { A1111_AUTH: 'me:secret' } },
      );
      const response = await post('/v1/upscale', { image: b64(await solidPng(16, 16, [1, 2, 3])), scale: 2, method: 'provider' });
      assert.equal(response.status, 200, await response.clone().text());
      assert.equal((await response.json()).images[0].width, 32);
      assert.equal(fake.requests.length, 1);
    } finally {
      await fake.close();
    }
  });
});
