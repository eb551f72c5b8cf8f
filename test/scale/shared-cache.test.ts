/**
 * The result cache tier replicas share, and one backend call for identical requests on two
 * replicas, against the real Redis on 127.0.0.1:6379 (each test its own key prefix, deleted after).
 * A "replica" here is an engine of its own with its own data folder and Redis connection.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { CachedResult } from '../../src/router/cache.ts';
import { RedisCacheTier, decodeEntry, encodeEntry } from '../../src/scale/shared-cache.ts';
import { startSdapiFake } from '../fakes/sdapi-fake.ts';
import { makeApp } from '../helpers/app.ts';
import { bearer, keyFor } from '../helpers/policy.ts';
import { sleep } from '../helpers/wait.ts';

const REDIS = 'redis://127.0.0.1:6379';
const client = new Redis(REDIS);
const prefixes: string[] = [];
const newPrefix = () => {
  const prefix = `kimg:test:cache:${Math.random().toString(36).slice(2)}:`;
  prefixes.push(prefix);
  return prefix;
};
after(async () => {
  for (const prefix of prefixes) {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length) await client.del(...keys);
  }
  client.disconnect();
});

function entry(bytes: number, seed: number): CachedResult {
  return {
    model: 'm',
    provider: 'p',
    warnings: [{ type: 'other', setting: 'seed', message: 'note' }],
    usage: { images: 1, megapixels: 0.1 },
    images: [{ bytes: new Uint8Array(bytes).fill(seed % 256), mimeType: 'image/png', width: 8, height: 8, seed }],
  };
}

describe('shared cache tier (Redis)', () => {
  it('stores images as bytes, not base64, and reads them back exactly', () => {
    const original = entry(10_000, 7);
    const encoded = encodeEntry(original);
    assert.ok(encoded.length < 10_400, `entry is ${encoded.length} bytes for 10000 of image`);
    assert.deepEqual(decodeEntry(encoded), original);
    assert.equal(decodeEntry(encoded.subarray(0, encoded.length - 1)), undefined, 'a torn entry is a miss');
  });

  it('keeps to its byte budget, evicting the least recently used', async () => {
    const tier = new RedisCacheTier({ client, prefix: newPrefix(), maxBytes: 25_000, ttlMs: 60_000 });
    await tier.set('a', entry(10_000, 1));
    await sleep(5);
    await tier.set('b', entry(10_000, 2));
    await sleep(5);
    assert.ok(await tier.get('a')); // a is now the most recently used
    await sleep(5);
    await tier.set('c', entry(10_000, 3));
    assert.equal(await tier.get('b'), undefined, 'b was the least recently used');
    assert.equal((await tier.get('a'))?.images[0]!.seed, 1);
    assert.equal((await tier.get('c'))?.images[0]!.seed, 3);
    const bytes = await tier.bytes();
    assert.ok(bytes <= 25_000 && bytes > 20_000, `holds ${bytes} bytes`);
    await tier.set('huge', entry(30_000, 4));
    assert.equal(await tier.get('huge'), undefined, 'an entry over the whole budget is not stored');
  });

  it('drops an entry unused for its TTL', async () => {
    const tier = new RedisCacheTier({ client, prefix: newPrefix(), maxBytes: 1e6, ttlMs: 150 });
    await tier.set('a', entry(100, 1));
    assert.ok(await tier.get('a'));
    await sleep(250);
    assert.equal(await tier.get('a'), undefined);
    await tier.set('b', entry(100, 2)); // a write sweeps the stale ones out of the count
    assert.equal(await tier.bytes(), encodeEntry(entry(100, 2)).length);
  });
});

describe('two replicas sharing Redis', () => {
  async function replicas(fakeUrl: string) {
    const prefix = newPrefix();
    const config = {
      tenants: [{ id: 'acme' }],
      providers: { gpu: { type: 'sdapi', base_url: fakeUrl, flavor: 'a1111' } },
      models: [{ id: 'sd', provider: 'gpu', model: 'default' }],
      redis: { url_env: 'R', key_prefix: prefix },
      policy: { safety: { image: { enabled: false } } },
    };
    const apps = await Promise.all([makeApp(config, { env: { R: REDIS } }), makeApp(config, { env: { R: REDIS } })]);
    const keys = await Promise.all(apps.map(({ engine }) => keyFor(engine, 'acme')));
    const generate = (i: number, body: Record<string, unknown>) =>
      apps[i]!.app.request('/v1/generate', { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(keys[i]!) }, body: JSON.stringify(body) });
    return { generate, close: () => Promise.all(apps.map(({ engine }) => engine.close())) };
  }

  it('a seeded request answered on one replica is a cache hit on the other, in the tenant namespace', async () => {
    const gpu = await startSdapiFake({ flavor: 'a1111' });
    const fleet = await replicas(gpu.url);
    try {
      const body = { model: 'sd', prompt: 'a fox', seed: 42, size: '64x64' };
      const first = await (await fleet.generate(0, body)).json();
      const second = await (await fleet.generate(1, body)).json();
      assert.equal(first.cached, false);
      assert.equal(second.cached, true);
      assert.equal(second.images[0].b64_json, first.images[0].b64_json);
      assert.equal(gpu.requests.filter((r) => r.path === '/sdapi/v1/txt2img').length, 1);
    } finally {
      await fleet.close();
      await gpu.close();
    }
  });

  it('identical requests arriving on both replicas at once make one backend call', async () => {
    const gpu = await startSdapiFake({ flavor: 'a1111', delayMs: 300 });
    const fleet = await replicas(gpu.url);
    try {
      const body = { model: 'sd', prompt: 'a heron', seed: 9, size: '64x64' };
      const first = fleet.generate(0, body);
      await sleep(50); // the first replica has claimed the flight
      const answers = await Promise.all([first, fleet.generate(1, body)]);
      const [a, b] = await Promise.all(answers.map((r) => r.json()));
      assert.deepEqual(answers.map((r) => r.status), [200, 200]);
      assert.equal(b.images[0].b64_json, a.images[0].b64_json);
      assert.equal(gpu.requests.filter((r) => r.path === '/sdapi/v1/txt2img').length, 1);

      // Different seeds are different requests: two calls.
      await Promise.all([fleet.generate(0, { ...body, seed: 10 }), fleet.generate(1, { ...body, seed: 11 })]);
      assert.equal(gpu.requests.filter((r) => r.path === '/sdapi/v1/txt2img').length, 3);
    } finally {
      await fleet.close();
      await gpu.close();
    }
  });
});
