/**
 * Three real daemons on one PostgreSQL schema and one Redis in front of a concurrency-1 A1111
 * fake: the fake never has two generation requests open at once. The same fleet without Redis
 * (each replica with its own queue) is run first, to show what the test catches.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createKey } from '../../src/policy/keys.ts';
import { openPostgresStore } from '../../src/store/postgres.ts';
import { startSdapiFake } from '../fakes/sdapi-fake.ts';
import { postgresMissing, testSchema } from '../helpers/postgres.ts';
import type { DaemonProcess } from '../helpers/processes.ts';
import { startReplicas } from '../helpers/replicas.ts';

const REDIS = 'redis://127.0.0.1:6379';
const missing = await postgresMissing();
if (missing) console.log(`# skipping the fleet-wide slot test: ${missing}`);

describe('three replicas, one concurrency-1 backend', { skip: missing }, () => {
  const schema = testSchema();
  const prefix = `kimg:test:slots:${Math.random().toString(36).slice(2)}:`;
  let key = '';

  before(async () => {
    const store = await openPostgresStore({ url: schema.url, schema: schema.schema });
    key = (await createKey(store.keys, 'acme')).key;
    await store.close();
  });

  after(async () => {
    await schema.drop();
    const redis = new Redis(REDIS);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  async function burst(withRedis: boolean) {
    const gpu = await startSdapiFake({ flavor: 'a1111', delayMs: 40 });
    const config = {
      tenants: [{ id: 'acme' }],
      providers: { gpu: { type: 'sdapi', base_url: gpu.url, flavor: 'a1111' } },
      models: [{ id: 'sd', provider: 'gpu', model: 'default' }],
      router: { backends: { gpu: { concurrency: 1 } } },
      ...(withRedis && { redis: { url_env: 'TEST_REDIS_URL', key_prefix: prefix } }),
    };
    const daemons: DaemonProcess[] = await startReplicas(3, schema, config, { TEST_REDIS_URL: REDIS });
    try {
      const statuses = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          fetch(`${daemons[i % 3]!.url}/v1/generate`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body: JSON.stringify({ model: 'sd', prompt: `fox ${i}`, size: '64x64', seed: i }),
          }).then(async (response) => (await response.body?.cancel(), response.status)),
        ),
      );
      return { statuses, maxInFlight: gpu.maxInFlight };
    } finally {
      await Promise.all(daemons.map((daemon) => daemon.stop()));
      await gpu.close();
    }
  }

  it('without Redis each replica keeps its own count: the backend sees several calls at once', async () => {
    const { statuses, maxInFlight } = await burst(false);
    console.log(`# per-replica queues: at most ${maxInFlight} calls at once`);
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.ok(maxInFlight > 1);
  });

  it('with Redis the slot is the fleet\'s: never two calls at once, every request served', async () => {
    const { statuses, maxInFlight } = await burst(true);
    console.log(`# fleet-wide slots: at most ${maxInFlight} call at once`);
    assert.deepEqual(statuses, Array(12).fill(200));
    assert.equal(maxInFlight, 1);
  });
});
