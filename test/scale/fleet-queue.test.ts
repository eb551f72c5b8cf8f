/**
 * Backend slots shared through the real Redis on 127.0.0.1:6379: each Fleet here has its own
 * connection, as each replica does, and every test has its own key prefix, deleted afterwards.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ImagegenError } from '../../src/imagegen/index.ts';
import { Fleet, type FleetQueue } from '../../src/scale/fleet-queue.ts';
import { sleep } from '../helpers/wait.ts';

const REDIS = 'redis://127.0.0.1:6379';
const opened: { fleet: Fleet; client: Redis }[] = [];
const prefixes: string[] = [];

function replicas(count: number, options: { leaseMs?: number; concurrency?: number; maxQueued?: number } = {}): FleetQueue[] {
  const prefix = `kimg:test:fleet:${Math.random().toString(36).slice(2)}:`;
  prefixes.push(prefix);
  return Array.from({ length: count }, () => {
    const client = new Redis(REDIS, { maxRetriesPerRequest: 1 });
    const fleet = new Fleet({ client, prefix, leaseMs: options.leaseMs ?? 5_000, pollMs: 50 });
    opened.push({ fleet, client });
    return fleet.queue({ name: 'gpu', concurrency: options.concurrency ?? 1, maxQueued: options.maxQueued ?? 100 });
  });
}

after(async () => {
  const client = new Redis(REDIS);
  for (const prefix of prefixes) {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length) await client.del(...keys);
  }
  client.disconnect();
  for (const { fleet, client: c } of opened) {
    await fleet.close();
    c.disconnect();
  }
});

describe('fleet-wide backend slots (Redis)', () => {
  it('three replicas never hold more than `concurrency` slots together', async () => {
    for (const concurrency of [1, 2]) {
      const queues = replicas(3, { concurrency });
      let holding = 0;
      let most = 0;
      await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          const release = await queues[i % 3]!.acquire(`t${i % 2}`);
          most = Math.max(most, ++holding);
          await sleep(15);
          holding--;
          release();
        }),
      );
      assert.equal(most, concurrency);
    }
  });

  it("is fair across tenants fleet-wide: a light tenant's request on another replica waits one turn, not the heavy backlog", async () => {
    const [a, b] = replicas(2);
    const order: string[] = [];
    const first = await a!.acquire('heavy');
    const heavy = Array.from({ length: 8 }, (_, i) =>
      a!.acquire('heavy').then(async (release) => {
        order.push(`heavy${i}`);
        await sleep(5);
        release();
      }),
    );
    await sleep(50); // the backlog is in line
    const light = b!.acquire('light').then(async (release) => {
      order.push('light');
      release();
    });
    await sleep(20);
    first();
    await Promise.all([...heavy, light]);
    assert.ok(order.indexOf('light') <= 1, `light was served at turn ${order.indexOf('light')}: ${order.join(' ')}`);
  });

  it('reports the place in line, and 0 when the call starts', async () => {
    const [a, b] = replicas(2);
    const held = await a!.acquire('x');
    const positions: number[] = [];
    const waiting = b!.acquire('y', { onPosition: (p) => positions.push(p) });
    await sleep(100);
    assert.deepEqual(positions, [1]);
    held();
    (await waiting)();
    assert.deepEqual(positions, [1, 0]);
  });

  it('a waiter that gives up leaves the line, and the next one goes ahead', async () => {
    const [a, b] = replicas(2);
    const held = await a!.acquire('x');
    const controller = new AbortController();
    const quitter = b!.acquire('y', { signal: controller.signal });
    const next = b!.acquire('z');
    await sleep(60);
    controller.abort();
    await assert.rejects(quitter, (error: unknown) => ImagegenError.is(error, 'cancelled'));
    held();
    (await next)();
    assert.equal(b!.depth, 0);
  });

  it("a replica that dies holding a slot frees it when its lease runs out", async () => {
    const [a, b] = replicas(2, { leaseMs: 600 });
    await a!.acquire('x'); // never released: the replica "dies"
    await opened.at(-2)!.fleet.close(); // its renewals stop, as with SIGKILL
    const started = Date.now();
    (await b!.acquire('y'))();
    const waited = Date.now() - started;
    assert.ok(waited >= 400 && waited < 3_000, `waited ${waited} ms for the lease`);
  });

  it('a full line here is 429 overloaded', async () => {
    const [a] = replicas(1, { maxQueued: 1 });
    const held = await a!.acquire('x');
    const waiting = a!.acquire('x');
    await assert.rejects(a!.acquire('x'), (error: unknown) => ImagegenError.is(error, 'overloaded') && (error.retryAfter ?? 0) >= 1);
    held();
    (await waiting)();
  });

  it('Redis away: 503 store_unavailable, never a slot taken blind', async () => {
    const client = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    client.on('error', () => {});
    const fleet = new Fleet({ client, prefix: 'kimg:test:gone:', leaseMs: 1_000, pollMs: 50 });
    try {
      await assert.rejects(fleet.queue({ name: 'gpu', concurrency: 1, maxQueued: 10 }).acquire('x'), (error: unknown) => ImagegenError.is(error, 'store_unavailable') && error.retryable);
    } finally {
      await fleet.close();
      client.disconnect();
    }
  });
});
