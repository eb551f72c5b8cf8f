import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ResultCache, cacheKey } from '../../src/router/cache.ts';
import { makeApp } from '../helpers/app.ts';

/** A stub model whose backend calls are counted. */
async function countingApp(config: Record<string, unknown> = {}) {
  const made = await makeApp({ providers: { s: { type: 'stub', latency_ms: 20 } }, models: [{ id: 'm', provider: 's', model: 'stub' }], ...config });
  const calls = () => made.engine.metrics.attempts.get({ backend: 's', outcome: 'ok' });
  return { ...made, calls };
}

const seeded = { prompt: 'a fox', seed: 11, size: '64x64' };

describe('cache', () => {
  it('answers a repeated seeded request from the cache, saying so, with the same bytes', async () => {
    const { post, calls } = await countingApp();
    const first = await (await post('/v1/generate', seeded)).json();
    const second = await (await post('/v1/generate', seeded)).json();
    assert.equal(first.cached, false);
    assert.equal(second.cached, true);
    assert.equal(second.images[0].b64_json, first.images[0].b64_json);
    assert.equal(second.model, 'm');
    assert.equal(calls(), 1);
  });

  it('does not cache requests without a seed unless configured to', async () => {
    const plain = await countingApp();
    await plain.post('/v1/generate', { prompt: 'a fox', size: '64x64' });
    assert.equal((await (await plain.post('/v1/generate', { prompt: 'a fox', size: '64x64' })).json()).cached, false);
    assert.equal(plain.calls(), 2);

    const unseeded = await countingApp({ cache: { unseeded: true } });
    await unseeded.post('/v1/generate', { prompt: 'a fox', size: '64x64' });
    assert.equal((await (await unseeded.post('/v1/generate', { prompt: 'a fox', size: '64x64' })).json()).cached, true);
  });

  it('no-cache skips the lookup but stores; no-store neither reads nor writes', async () => {
    const { post, calls } = await countingApp();
    await post('/v1/generate', { ...seeded, cache: 'no-store' });
    assert.equal((await (await post('/v1/generate', seeded)).json()).cached, false, 'no-store wrote nothing');
    assert.equal((await (await post('/v1/generate', { ...seeded, cache: 'no-cache' })).json()).cached, false);
    assert.equal((await (await post('/v1/generate', { ...seeded, cache: 'no-store' })).json()).cached, false);
    assert.equal(calls(), 4);
    assert.equal((await (await post('/v1/generate', seeded)).json()).cached, true);
  });

  it('refuses an unknown cache directive with a 400 that names it', async () => {
    const { post } = await countingApp();
    const res = await post('/v1/generate', { ...seeded, cache: 'sometimes' });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.param, 'cache');
  });

  it('keeps tenants apart unless shared', async () => {
    const { engine } = await countingApp();
    const request = { prompt: 'a fox', n: 1, seed: 5, size: { width: 64, height: 64 } };
    // The router takes the tenant engine.generate derives from the caller's key.
    await engine.router.generate('m', request, { tenant: 'alice' });
    assert.equal((await engine.router.generate('m', request, { tenant: 'bob' })).cached, false);
    assert.equal((await engine.router.generate('m', request, { tenant: 'alice' })).cached, true);
    assert.notEqual(cacheKey('tenant:a', 'm', request), cacheKey('tenant:b', 'm', request));
    assert.notEqual(cacheKey('t', 'm', request), cacheKey('t', 'm', { ...request, image: { bytes: new Uint8Array([1]) } }));
  });

  it('survives a restart through the folder, and evicts the least recently used files past its size cap', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kimaging-cache-'));
    const first = await countingApp({ server: { data_dir: dataDir } });
    await first.post('/v1/generate', seeded);
    await first.engine.close();
    const second = await countingApp({ server: { data_dir: dataDir } });
    assert.equal((await (await second.post('/v1/generate', seeded)).json()).cached, true);
    assert.equal(second.engine.metrics.cache.get({ result: 'hit_disk' }), 1);

    const dir = mkdtempSync(join(tmpdir(), 'kimaging-lru-'));
    const entry = (seed: number) => ({ model: 'm', provider: 's', warnings: [], usage: { images: 1, megapixels: 0 }, images: [{ bytes: new Uint8Array(200).fill(seed), mimeType: 'image/png', seed }] });
    const probe = await ResultCache.open({ dir: mkdtempSync(join(tmpdir(), 'kimaging-lru-')), memoryEntries: 0, maxBytes: 1e6 });
    probe.set('x', entry(1));
    await probe.flush();
    const entryBytes = probe.stats.disk_bytes;
    // Room for two entries, not three.
    const cache = await ResultCache.open({ dir, memoryEntries: 0, maxBytes: Math.floor(entryBytes * 2.5) });
    cache.set('a', entry(1));
    await cache.flush();
    cache.set('b', entry(2));
    await cache.flush();
    assert.ok(await cache.get('a'), 'a is read, so b is now the least recently used');
    await cache.flush();
    cache.set('c', entry(3));
    await cache.flush();
    assert.deepEqual(readdirSync(dir).sort(), ['a.json', 'c.json']);
    assert.equal(await cache.get('b'), undefined);
    assert.ok(cache.stats.disk_bytes <= entryBytes * 2.5);
  });
});

describe('coalescing', () => {
  it('k identical requests in flight make one backend call and all get the images', async () => {
    const { post, calls, engine } = await countingApp();
    const answers = await Promise.all(Array.from({ length: 6 }, async () => (await post('/v1/generate', { ...seeded, cache: 'no-store' })).json()));
    assert.equal(calls(), 1);
    assert.ok(answers.every((a: { images: { b64_json: string }[] }) => a.images[0]!.b64_json === answers[0]!.images[0].b64_json));
    assert.equal(engine.metrics.coalesced.get(), 5);
  });

  it('one caller leaving does not cancel the call the others wait for', async () => {
    const { engine, calls } = await countingApp();
    const request = { prompt: 'a fox', n: 1, seed: 9, size: { width: 64, height: 64 } };
    const leaving = new AbortController();
    const first = engine.generate('m', request, { route: 'generate', signal: leaving.signal });
    const second = engine.generate('m', request, { route: 'generate' });
    await new Promise((resolve) => setTimeout(resolve, 5)); // both have joined the call
    leaving.abort();
    await assert.rejects(first, { code: 'cancelled' });
    assert.equal((await second).images.length, 1);
    assert.equal(calls(), 1);
  });
});
