/** What only the PostgreSQL store has: migrations raced by replicas, and failing closed when the database is gone. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ImagegenError } from '../../src/imagegen/index.ts';
import { ConfigError, parseConfig } from '../../src/config/index.ts';
import { openStore } from '../../src/store/index.ts';
import { openPostgresStore } from '../../src/store/postgres.ts';
import { makeApp } from '../helpers/app.ts';
import { postgresMissing, testSchema } from '../helpers/postgres.ts';

const missing = await postgresMissing();
if (missing) console.log(`# skipping the PostgreSQL store tests: ${missing}`);

/** Nothing listens on port 1: connections are refused at once. */
const UNREACHABLE = 'postgres://root@127.0.0.1:1/test';

describe('postgres store', { skip: missing }, () => {
  const schemas: ReturnType<typeof testSchema>[] = [];
  after(async () => {
    for (const schema of schemas) await schema.drop();
  });
  const freshSchema = () => {
    const schema = testSchema();
    schemas.push(schema);
    return schema;
  };

  it('migrates once when three replicas start at the same moment on a new schema', async () => {
    const schema = freshSchema();
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore({ url: schema.url, schema: schema.schema })));
    try {
      assert.deepEqual(await schema.query('SELECT version FROM schema_migrations ORDER BY version'), [{ version: 1 }, { version: 2 }]);
      for (const store of stores) assert.deepEqual(await store.health(), { type: 'postgres', ok: true });
      await stores[0]!.keys.create({ id: 'k1', tenant: 't', prefix: 'kim_x', hash: 'h1' });
      assert.equal((await stores[2]!.keys.findByHash('h1'))?.id, 'k1', 'one replica sees what another wrote');
    } finally {
      for (const store of stores) await store.close();
    }
  });

  it('fails closed with store_unavailable when the database cannot be reached, and says so on health', async () => {
    const store = await openPostgresStore({ url: UNREACHABLE, schema: 'kimg_unreachable' });
    try {
      await assert.rejects(store.quotas.reserve('t', [{ metric: 'images', window: 'd', amount: 1, limit: 10 }]), (error) => ImagegenError.is(error, 'store_unavailable'));
      await assert.rejects(store.usage.record({ id: 'r', at: new Date(), day: 'd', tenant: 't', route: 'generate', model: 'm', images: 1, megapixels: 1, cached: false, cost: 0, status: 'ok', latencyMs: 1 }), (error) =>
        ImagegenError.is(error, 'store_unavailable'),
      );
      assert.deepEqual(await store.health(), { type: 'postgres', ok: false, error: 'unreachable' });
    } finally {
      await store.close();
    }
  });

  it('answers image requests with 503 store_unavailable, not a free image, while PostgreSQL is down', async () => {
    const { post, app, engine } = await makeApp({ store: { type: 'postgres', url_env: 'TEST_DOWN_PG_URL' } }, { env: { TEST_DOWN_PG_URL: UNREACHABLE } });
    after(() => engine.close());
    const response = await post('/v1/generate', { prompt: 'a fox', size: '64x64' });
    assert.equal(response.status, 503);
    assert.equal((await response.json()).error.code, 'store_unavailable');
    assert.ok(Number(response.headers.get('retry-after')) >= 1);
    const health = await (await app.request('/healthz')).json();
    assert.deepEqual(health.store, { type: 'postgres', ok: false, error: 'unreachable' });
  });

  it('serves and bills through PostgreSQL when the config picks it; /healthz says the store is up', async () => {
    const schema = freshSchema();
    const { post, app, engine } = await makeApp(
      { store: { type: 'postgres', url_env: 'TEST_PG_URL', schema: schema.schema }, tenants: [{ id: 'acme', quota: { images_per_day: 1 } }] },
      { env: { TEST_PG_URL: schema.url } },
    );
    try {
      const { createKey } = await import('../../src/policy/keys.ts');
      const { key } = await createKey(engine.store.keys, 'acme');
      const auth = { authorization: `Bearer ${key}` };
      assert.equal((await post('/v1/generate', { prompt: 'a fox', size: '64x64' }, auth)).status, 200);
      assert.equal((await post('/v1/generate', { prompt: 'a fox', size: '64x64' }, auth)).status, 429);
      const [row] = await schema.query<{ images: number; n: number }>('SELECT SUM(images)::int AS images, COUNT(*)::int AS n FROM usage');
      assert.deepEqual(row, { images: 1, n: 2 }, 'both requests are in the PostgreSQL ledger');
      assert.deepEqual((await (await app.request('/healthz')).json()).store, { type: 'postgres', ok: true });
    } finally {
      await engine.close();
    }
  });
});

describe('store config', () => {
  it('names store.url_env when its environment variable is not set', async () => {
    const config = parseConfig({ store: { type: 'postgres', url_env: 'NOT_SET_PG_URL' } });
    await assert.rejects(openStore(config, {}), (error) => error instanceof ConfigError && /store\.url_env: the environment variable NOT_SET_PG_URL is not set/.test(error.message));
  });

  it('names store.schema and store.type when they are wrong', () => {
    assert.throws(() => parseConfig({ store: { type: 'postgres', schema: 'a; drop' } }), /store\.schema/);
    assert.throws(() => parseConfig({ store: { type: 'mysql' } }), /store\.type/);
  });

  it('keeps the embedded SQLite store by default', async () => {
    const { engine, app } = await makeApp({});
    assert.deepEqual(await engine.store.health(), { type: 'sqlite', ok: true });
    assert.deepEqual((await (await app.request('/healthz')).json()).store, { type: 'sqlite', ok: true });
  });
});
