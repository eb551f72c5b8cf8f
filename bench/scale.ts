/**
 * Scale-out, side by side in one run: the same stub backend (fixed latency, room for every call)
 * behind 1 daemon on the embedded SQLite store, 1 daemon on PostgreSQL + Redis, and 3 daemons on
 * PostgreSQL + Redis. A closed loop of CLIENTS callers, spread round-robin over the replicas, sends
 * unseeded one-image requests (no cache hits) with an API key, so every request passes the whole
 * policy: key lookup, quota reservation and settlement, a ledger row, the fleet-wide backend slot.
 *
 *   npm run bench:scale            (PostgreSQL and Redis on 127.0.0.1, as .ci/run starts them)
 *   SECONDS=10 CLIENTS=32 BACKEND_MS=20 npm run bench:scale
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parseConfig } from '../src/config/index.ts';
import { createKey } from '../src/policy/index.ts';
import { openStore } from '../src/store/index.ts';
import { tempDir } from '../test/helpers/app.ts';
import { testSchema } from '../test/helpers/postgres.ts';
import { startDaemonProcess, type DaemonProcess } from '../test/helpers/processes.ts';

const SECONDS = Number(process.env.SECONDS ?? 8);
const CLIENTS = Number(process.env.CLIENTS ?? 24);
const BACKEND_MS = Number(process.env.BACKEND_MS ?? 20);
const REDIS_URL = process.env.KIMAGING_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Setup {
  name: string;
  replicas: number;
  shared: boolean;
}

const SETUPS: Setup[] = [
  { name: '1 replica, SQLite (default)', replicas: 1, shared: false },
  { name: '1 replica, PostgreSQL + Redis', replicas: 1, shared: true },
  { name: '3 replicas, PostgreSQL + Redis', replicas: 3, shared: true },
];

interface Figures {
  throughput: number;
  p50: number;
  p99: number;
  errors: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function measure(setup: Setup): Promise<Figures> {
  const schema = testSchema();
  const prefix = `kimg:bench:${Math.random().toString(36).slice(2)}:`;
  const base = {
    tenants: [{ id: 'acme' }],
    providers: { stub: { type: 'stub', latency_ms: BACKEND_MS } },
    models: [{ id: 'stub', provider: 'stub' }],
    // The backend has room for every caller: what is measured is the gateway, not a queue.
    router: { backends: { stub: { concurrency: CLIENTS * 2, queue: CLIENTS * 4 } } },
    policy: { safety: { image: { enabled: false } } },
    cache: { enabled: false },
    log: { level: 'warn' },
    ...(setup.shared && {
      store: { type: 'postgres', url_env: 'BENCH_PG_URL', schema: schema.schema },
      redis: { url_env: 'BENCH_REDIS_URL', key_prefix: prefix },
    }),
  };
  const env = { BENCH_PG_URL: schema.url, BENCH_REDIS_URL: REDIS_URL };
  const dirs = Array.from({ length: setup.replicas }, () => tempDir('kimaging-bench-'));
  const configFor = (dir: string) => ({ ...base, server: { data_dir: join(dir, 'data') } });

  // The key is made on the store the daemons will read (the first data folder for SQLite).
  const store = await openStore(parseConfig(configFor(dirs[0]!)), env);
  const { key } = await createKey(store.keys, 'acme');
  await store.close();

  const daemons: DaemonProcess[] = [];
  try {
    for (const dir of dirs) {
      const path = join(dir, 'config.json');
      writeFileSync(path, JSON.stringify(configFor(dir)));
      daemons.push(await startDaemonProcess(['--config', path], env));
    }
    const call = async (i: number) => {
      const started = performance.now();
      const response = await fetch(`${daemons[i % daemons.length]!.url}/v1/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ prompt: `fox ${i}`, size: '64x64' }),
      });
      await response.arrayBuffer();
      return { ms: performance.now() - started, ok: response.status === 200 };
    };
    // Warm-up: connections, JIT, the first migration reads.
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => call(i)));

    const latencies: number[] = [];
    let errors = 0;
    let sent = 0;
    const deadline = performance.now() + SECONDS * 1000;
    const began = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < deadline) {
          const { ms, ok } = await call(sent++);
          if (ok) latencies.push(ms);
          else errors++;
        }
      }),
    );
    const elapsed = (performance.now() - began) / 1000;
    latencies.sort((a, b) => a - b);
    return { throughput: latencies.length / elapsed, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), errors };
  } finally {
    await Promise.all(daemons.map((daemon) => daemon.stop()));
    if (setup.shared) {
      await schema.drop();
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  }
}

const results: [Setup, Figures][] = [];
for (const setup of SETUPS) results.push([setup, await measure(setup)]);

console.log(`bench/scale: ${CLIENTS} callers for ${SECONDS} s per setup, stub backend ${BACKEND_MS} ms; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('| setup | requests/s | p50 ms | p99 ms | errors |');
console.log('| --- | --- | --- | --- | --- |');
for (const [setup, f] of results) console.log(`| ${setup.name} | ${f.throughput.toFixed(0)} | ${f.p50.toFixed(1)} | ${f.p99.toFixed(1)} | ${f.errors} |`);
const [sqlite, shared1, shared3] = results.map(([, f]) => f) as [Figures, Figures, Figures];
console.log(`3 replicas / 1 replica on the shared stores: throughput ${(shared3.throughput / shared1.throughput).toFixed(2)}x`);
console.log(`PostgreSQL + Redis against SQLite, 1 replica: p50 +${(shared1.p50 - sqlite.p50).toFixed(2)} ms, p99 +${(shared1.p99 - sqlite.p99).toFixed(2)} ms, throughput ${(shared1.throughput / sqlite.throughput).toFixed(2)}x`);
console.log('(all replicas and the load share this machine\'s cores: on one host, replicas add fault tolerance more than throughput)');
