/**
 * Three real daemons on one PostgreSQL schema share one daily cap: 60 parallel one-image requests
 * spread over them give exactly the cap in images, the rest 429 quota_exceeded, and the shared
 * ledger holds exactly the images that were returned.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createKey } from '../../src/policy/keys.ts';
import { localDay } from '../../src/policy/windows.ts';
import { openPostgresStore } from '../../src/store/postgres.ts';
import { postgresMissing, testSchema } from '../helpers/postgres.ts';
import type { DaemonProcess } from '../helpers/processes.ts';
import { startReplicas } from '../helpers/replicas.ts';

const missing = await postgresMissing();
if (missing) console.log(`# skipping the multi-replica quota test: ${missing}`);

describe('three replicas on one PostgreSQL schema', { skip: missing }, () => {
  const schema = testSchema();
  const daemons: DaemonProcess[] = [];
  let key = '';

  before(async () => {
    // The key is made once, on the shared store: every replica must accept it.
    const store = await openPostgresStore({ url: schema.url, schema: schema.schema });
    key = (await createKey(store.keys, 'acme')).key;
    await store.close();
    daemons.push(...(await startReplicas(3, schema, { tenants: [{ id: 'acme', quota: { images_per_day: 10 } }] })));
  });

  after(async () => {
    await Promise.all(daemons.map((daemon) => daemon.stop()));
    await schema.drop();
  });

  it('60 parallel one-image requests against a daily cap of 10: exactly 10 images and 50 429 quota_exceeded; the ledger sums to 10', async () => {
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        fetch(`${daemons[i % 3]!.url}/v1/generate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ prompt: `fox ${i}`, size: '64x64' }),
        }).then(async (response) => ({ replica: i % 3, status: response.status, body: await response.json() })),
      ),
    );
    const ok = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status === 429);
    console.log(`# replicas: ${ok.length} images, ${refused.length} refused; per replica ok: ${[0, 1, 2].map((n) => ok.filter((r) => r.replica === n).length).join('/')}`);
    assert.equal(ok.length, 10);
    assert.equal(refused.length, 50);
    for (const r of refused) assert.equal(r.body.error.code, 'quota_exceeded');
    assert.equal(ok.reduce((sum, r) => sum + r.body.images.length, 0), 10, 'ten images were returned');

    const [usage] = await schema.query<{ images: number; requests: number }>("SELECT SUM(images)::int AS images, COUNT(*)::int AS requests FROM usage WHERE tenant = 'acme'");
    assert.deepEqual(usage, { images: 10, requests: 60 }, 'the shared ledger sums to 10 images, one record per request');
    const [counter] = await schema.query<{ used: number }>("SELECT used FROM quota_counters WHERE tenant = 'acme' AND metric = 'images' AND \"window\" = $1", [localDay(new Date(), 'UTC')]);
    assert.equal(counter?.used, 10, 'the counter holds what was delivered, no more');
  });
});
