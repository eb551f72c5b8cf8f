/** `redis:` config, its errors and the /healthz entry, against the real Redis on 127.0.0.1:6379. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/index.ts';
import { makeApp } from '../helpers/app.ts';

const REDIS = 'redis://127.0.0.1:6379';

test('without redis: /healthz has no redis entry', async () => {
  const { engine, app } = await makeApp({});
  try {
    const body = await (await app.request('/healthz')).json();
    assert.equal(body.redis, undefined);
    assert.equal(engine.redis, undefined);
  } finally {
    await engine.close();
  }
});

test('with redis reachable: /healthz says ok', async () => {
  const prefix = `kimg:test:${Math.random().toString(36).slice(2)}:`;
  const { engine, app } = await makeApp({ redis: { key_prefix: prefix } }, { env: { KIMAGING_REDIS_URL: REDIS } });
  try {
    const body = await (await app.request('/healthz')).json();
    assert.deepEqual(body.redis, { type: 'redis', ok: true });
    assert.equal(engine.redis?.prefix, prefix);
  } finally {
    await engine.close();
  }
});

test('with redis unreachable: /healthz says not ok without the URL', async () => {
  const { engine, app } = await makeApp({ redis: { url_env: 'R' } }, { env: { R: 'redis://user:secret@127.0.0.1:1' } });
  try {
    const res = await app.request('/healthz');
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.redis.ok, false);
    assert.doesNotMatch(JSON.stringify(body), /secret/);
  } finally {
    await engine.close();
  }
});

test('a missing url variable is a config error naming the field', async () => {
  await assert.rejects(makeApp({ redis: {} }, { env: {} }), (error: Error) => error instanceof ConfigError && /redis\.url_env/.test(error.message));
});

test('an unknown redis field is named', () => {
  assert.throws(() => parseConfig({ redis: { host: 'x' } }), /redis/);
});
