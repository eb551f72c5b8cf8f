import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeApp } from '../helpers/app.ts';
import { bearer, keyFor } from '../helpers/policy.ts';
import { failingProviderType } from '../fakes/failing-provider.ts';
import { localDay, secondsUntilNextDay } from '../../src/policy/index.ts';

const today = () => localDay(new Date(), 'UTC');

describe('daily quota', () => {
  it('50 parallel one-image requests against a cap of 10: exactly 10 pass, 40 get 429 with Retry-After to the reset', async () => {
    const { post, engine } = await makeApp({ tenants: [{ id: 'acme', quota: { images_per_day: 10 } }] });
    const key = await keyFor(engine, 'acme');
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => post('/v1/generate', { prompt: `fox ${i}`, size: '64x64' }, bearer(key))));
    const ok = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status === 429);
    assert.equal(ok.length, 10);
    assert.equal(refused.length, 40);
    const untilReset = secondsUntilNextDay(new Date(), 'UTC');
    for (const response of refused) {
      assert.equal((await response.json()).error.code, 'quota_exceeded');
      const retryAfter = Number(response.headers.get('retry-after'));
      assert.ok(Math.abs(retryAfter - untilReset) <= 5, `Retry-After ${retryAfter} is the time to midnight UTC (${untilReset})`);
    }
    assert.equal(await engine.store.quotas.used('acme', 'images', today()), 10);
    const usage = await (await engine.store.usage.summarize({ tenant: 'acme', from: new Date(0), to: new Date(Date.now() + 1000), groupBy: 'day' }))[0]!;
    assert.equal(usage.images, 10, 'the ledger holds exactly the images returned');
    assert.equal(usage.requests, 50, 'and one record per request, refused ones included');
  });

  it('refunds every image a failing backend did not deliver', async () => {
    const { post, engine } = await makeApp({
      providers: { flaky: { type: 'failing', succeed: 1 } },
      models: [{ id: 'flaky', provider: 'flaky' }],
      tenants: [{ id: 'acme', quota: { images_per_day: 5 } }],
    }, { providerTypes: { failing: failingProviderType } });
    const key = await keyFor(engine, 'acme');
    // 3 asked, the first call succeeds and the next two fail: a partial answer with 1 image.
    const partial = await post('/v1/generate', { prompt: 'a fox', n: 3, size: '64x64' }, bearer(key));
    assert.equal(partial.status, 200);
    const body = await partial.json();
    assert.equal(body.images.length, 1);
    assert.equal(await engine.store.quotas.used('acme', 'images', today()), 1);
    // Now every call fails: 502, and nothing stays charged.
    const failed = await post('/v1/generate', { prompt: 'a fox', n: 2, size: '64x64' }, bearer(key));
    assert.equal(failed.status, 502);
    assert.equal(await engine.store.quotas.used('acme', 'images', today()), 1);
    const records = await engine.store.usage.list({ tenant: 'acme', from: new Date(0), to: new Date(Date.now() + 1000) });
    assert.deepEqual(records.map((r) => [r.status, r.images]), [['ok', 1], ['provider_error', 0]]);
  });

  it('keeps usage totals equal to the images returned over mixed requests', async () => {
    const { post, engine, app } = await makeApp({ tenants: [{ id: 'acme' }] });
    const key = await keyFor(engine, 'acme');
    let returned = 0;
    let megapixels = 0;
    for (const [n, size] of [[1, '64x64'], [3, '128x64'], [2, '64x128'], [4, '100x100']] as const) {
      const body = await (await post('/v1/generate', { prompt: 'a fox', n, size }, bearer(key))).json();
      returned += body.images.length;
      megapixels += body.usage.megapixels;
    }
    await post('/v1/generate', { prompt: 'a fox', n: 500 }, bearer(key)); // 400, not charged
    const usage = await (await app.request('/v1/usage?group_by=model', { headers: bearer(key) })).json();
    assert.equal(usage.totals.images, returned);
    assert.equal(returned, 10);
    assert.ok(Math.abs(usage.totals.megapixels - megapixels) < 1e-6);
  });

  it('limits daily megapixels and daily cost from the price table', async () => {
    const { post, engine } = await makeApp({
      tenants: [{ id: 'mp', quota: { megapixels_per_day: 0.1 } }, { id: 'money', quota: { cost_per_day: 0.05 } }],
      policy: { prices: [{ provider: 'stub', per_image: 0.01 }, { provider: 'stub', size: '128x128', per_image: 0.02 }] },
    });
    const mp = await keyFor(engine, 'mp');
    assert.equal((await post('/v1/generate', { prompt: 'a', n: 1, size: '256x256' }, bearer(mp))).status, 200); // 0.066 MP
    assert.equal((await post('/v1/generate', { prompt: 'a', n: 1, size: '256x256' }, bearer(mp))).status, 429);
    const money = await keyFor(engine, 'money');
    assert.equal((await post('/v1/generate', { prompt: 'a', n: 2, size: '128x128' }, bearer(money))).status, 200); // 0.04
    assert.equal((await post('/v1/generate', { prompt: 'a', n: 1, size: '128x128' }, bearer(money))).status, 429); // would be 0.06
    assert.equal((await post('/v1/generate', { prompt: 'a', n: 1, size: '64x64' }, bearer(money))).status, 200); // 0.05 exactly
    const [row] = await engine.store.usage.summarize({ tenant: 'money', from: new Date(0), to: new Date(Date.now() + 1000), groupBy: 'model' });
    assert.ok(Math.abs(row!.cost - 0.05) < 1e-9, `cost ${row!.cost}`);
  });

  it('records a cached result at zero cost', async () => {
    const { engine } = await makeApp({ policy: { prices: [{ provider: 'stub', per_image: 1 }] } });
    const admission = await engine.policy.admit({ model: 'stub', provider: 'stub', request: { prompt: 'a fox', n: 1 }, route: 'generate' });
    const fresh = await engine.router.generate('stub', { prompt: 'a fox', n: 1, size: { width: 64, height: 64 } });
    await admission.complete({ ...fresh, cached: true });
    const [record] = await engine.store.usage.list({ from: new Date(0), to: new Date(Date.now() + 1000) });
    assert.equal(record!.cached, true);
    assert.equal(record!.cost, 0);
    assert.equal(record!.images, 1);
  });

  it('resets at midnight in the tenant time zone', () => {
    const now = new Date('2026-03-29T00:30:00Z'); // Europe/Berlin springs forward at 01:00 UTC that day
    assert.equal(localDay(now, 'Europe/Berlin'), '2026-03-29');
    assert.equal(secondsUntilNextDay(now, 'UTC'), 23.5 * 3600);
    // 01:30 local, 22 h 30 min of wall clock left, but only 21 h 30 min of real time (an hour is skipped).
    assert.equal(secondsUntilNextDay(now, 'Europe/Berlin'), 21.5 * 3600);
    assert.equal(localDay(new Date('2026-11-22T23:30:00Z'), 'Asia/Tokyo'), '2026-11-23');
  });
});

describe('rate limit', () => {
  it('answers 429 rate_limited with Retry-After once the images per minute are used', async () => {
    const { post, engine } = await makeApp({ tenants: [{ id: 'acme', quota: { images_per_minute: 3 } }] });
    const key = await keyFor(engine, 'acme');
    // The window is the clock minute: start well inside one so the three requests share it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 55_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
    assert.equal((await post('/v1/generate', { prompt: 'a', n: 2, size: '64x64' }, bearer(key))).status, 200);
    assert.equal((await post('/v1/generate', { prompt: 'a', n: 1, size: '64x64' }, bearer(key))).status, 200);
    const limited = await post('/v1/generate', { prompt: 'a', n: 1, size: '64x64' }, bearer(key));
    assert.equal(limited.status, 429);
    assert.equal((await limited.json()).error.code, 'rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(await engine.store.quotas.used('acme', 'images', today()), 3, 'the rate-limited request gave its reservation back');
  });
});
