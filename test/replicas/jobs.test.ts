/**
 * Jobs shared by real daemons on one PostgreSQL schema: submitted on one replica, streamed (SSE),
 * read and cancelled on another; a replica killed with SIGKILL mid-job leaves the job failed and
 * its quota refunded once the lease passes; Idempotency-Key gives one job and one bill.
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
if (missing) console.log(`# skipping the multi-replica jobs tests: ${missing}`);

const LEASE_S = 2;
const TENANTS = ['stream', 'cancel', 'killed', 'idem', 'other'];

describe('jobs across replicas', { skip: missing }, () => {
  const schema = testSchema();
  let daemons: DaemonProcess[] = [];
  const keys: Record<string, string> = {};

  before(async () => {
    const store = await openPostgresStore({ url: schema.url, schema: schema.schema });
    for (const tenant of TENANTS) keys[tenant] = (await createKey(store.keys, tenant)).key;
    await store.close();
    daemons = await startReplicas(3, schema, {
      // 300 ms per image, progress after each: long enough to watch, kill or cancel mid-job.
      providers: { gpu: { type: 'stub', latency_ms: 300 } },
      models: [{ id: 'gpu', provider: 'gpu', model: 'stub' }],
      default_model: 'gpu',
      tenants: TENANTS.map((id) => ({ id, quota: { images_per_day: 20 } })),
      jobs: { lease_s: LEASE_S },
    });
  });

  after(async () => {
    await Promise.all(daemons.map((daemon) => daemon.stop()));
    await schema.drop();
  });

  const call = (daemon: DaemonProcess, tenant: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${daemon.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${keys[tenant]}`, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const submit = async (daemon: DaemonProcess, tenant: string, n: number, headers: Record<string, string> = {}) => {
    const response = await call(daemon, tenant, 'POST', '/v1/generate', { prompt: `a fox for ${tenant}`, n, size: '64x64', async: true }, headers);
    assert.equal(response.status, 202, await response.clone().text());
    return (await response.json()).id as string;
  };
  const getJob = async (daemon: DaemonProcess, tenant: string, id: string) => (await call(daemon, tenant, 'GET', `/v1/jobs/${id}`)).json();
  const imagesUsed = async (tenant: string) =>
    (await schema.query<{ used: number }>(`SELECT used FROM quota_counters WHERE tenant = $1 AND metric = 'images' AND "window" = $2`, [tenant, localDay(new Date(), 'UTC')]))[0]?.used ?? 0;
  async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('streams a job submitted on replica A to completion from replica B, progress included', async () => {
    const [a, b] = daemons;
    const id = await submit(a!, 'stream', 3);
    const response = await call(b!, 'stream', 'GET', `/v1/jobs/${id}/events`);
    assert.equal(response.status, 200);
    const text = await response.text(); // the stream ends when the job does
    const events = [...text.matchAll(/^event: job\ndata: (.*)$/gm)].map((m) => JSON.parse(m[1]!));
    assert.equal(events.at(-1).status, 'succeeded');
    assert.ok(events.some((e) => e.status === 'running' && e.progress?.step >= 1), `progress reached B: ${JSON.stringify(events.map((e) => [e.status, e.progress?.step]))}`);
    const done = await getJob(daemons[2]!, 'stream', id);
    assert.equal(done.result.images.length, 3, 'the result is readable on a third replica');
    assert.equal((await call(b!, 'other', 'GET', `/v1/jobs/${id}`)).status, 404, "another tenant does not see the job");
    assert.equal(await imagesUsed('stream'), 3);
  });

  it('cancels on replica B a job running on replica A; its quota is refunded', async () => {
    const [a, b] = daemons;
    const id = await submit(a!, 'cancel', 10);
    await until('the job to run', 5000, async () => ((await getJob(b!, 'cancel', id)).status === 'running' ? true : undefined));
    assert.equal((await call(b!, 'cancel', 'DELETE', `/v1/jobs/${id}`)).status, 200);
    const ended = await until('the job to be cancelled', 5000, async () => {
      const job = await getJob(b!, 'cancel', id);
      return job.status === 'cancelled' ? job : undefined;
    });
    assert.equal(ended.error.code, 'cancelled');
    assert.equal(await imagesUsed('cancel'), 0, 'nothing delivered, nothing charged');
  });

  it('fails a job whose replica was killed with SIGKILL once the lease passes, and refunds its quota', async () => {
    const victim = daemons[2]!;
    const id = await submit(victim, 'killed', 10);
    await until('the job to run', 5000, async () => ((await getJob(daemons[0]!, 'killed', id)).status === 'running' ? true : undefined));
    assert.equal(await imagesUsed('killed'), 10, 'reserved while running');
    const killedAt = Date.now();
    const gone = new Promise((resolve) => victim.child.once('exit', resolve));
    victim.child.kill('SIGKILL');
    await gone;
    const ended = await until('the job to be failed', (LEASE_S + 4) * 1000, async () => {
      const job = await getJob(daemons[0]!, 'killed', id);
      return job.status === 'failed' ? job : undefined;
    });
    const tookMs = Date.now() - killedAt;
    console.log(`# job of the killed replica failed ${tookMs} ms after SIGKILL (lease ${LEASE_S} s)`);
    assert.equal(ended.error.code, 'replica_lost');
    assert.match(ended.error.message, /submit it again/);
    assert.equal(await imagesUsed('killed'), 0, 'the reservation of the dead replica was refunded');
  });

  it('Idempotency-Key: the same key and tenant give the same job and one bill, on any replica', async () => {
    const [a, b] = daemons;
    const key = { 'idempotency-key': 'order-42' };
    const first = await submit(a!, 'idem', 2, key);
    assert.equal(await submit(b!, 'idem', 2, key), first, 'a retry on another replica gets the first job');
    assert.notEqual(await submit(a!, 'other', 2, key), first, 'the same key from another tenant is another job');
    await until('the job to finish', 5000, async () => ((await getJob(a!, 'idem', first)).status === 'succeeded' ? true : undefined));
    assert.equal(await imagesUsed('idem'), 2, 'billed once');

    const sync = (daemon: DaemonProcess) =>
      call(daemon, 'idem', 'POST', '/v1/generate', { prompt: 'a fox, sync', size: '64x64' }, { 'idempotency-key': 'sync-1' });
    const [one, two] = await Promise.all([sync(a!), sync(b!)]);
    assert.equal(one.status, 200);
    assert.equal(two.status, 200);
    const [bodyOne, bodyTwo] = [await one.json(), await two.json()];
    assert.equal(bodyOne.images[0].b64_json, bodyTwo.images[0].b64_json, 'the same answer');
    assert.equal(await imagesUsed('idem'), 3, 'the sync request was billed once too');
    const [row] = await schema.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM usage WHERE tenant = 'idem'`);
    assert.equal(row?.n, 2, 'one ledger record per job, not per retry');

    const bad = await call(a!, 'idem', 'POST', '/v1/generate', { prompt: 'x', size: '64x64' }, { 'idempotency-key': 'has space' });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.param, 'Idempotency-Key');
  });
});
