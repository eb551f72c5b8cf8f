/**
 * bench:router — the router in front of a simulated pool of backends, each with a fixed latency
 * and room for one call at a time (a single-GPU server each). One run, about 35 s, four figures:
 *
 * 1. throughput at saturation over the pool's theoretical capacity (backends / latency), after a
 *    short warm-up round;
 * 2. Jain's fairness index between a heavy and a light tenant while both have work queued, beside
 *    a FIFO baseline (the same load with no tenant separation);
 * 3. the daemon's added latency over the backend's own, at p50 and p99, through app.request;
 * 4. coalescing: k identical requests at once, and how many backend calls they made;
 * 5. the nsfwjs image filter's cost per image, filter on against off (bench/image-filter.ts).
 *
 * Requests pass the whole gateway: an API key, the tenant's policy, the usage ledger in SQLite.
 * The image filter is off for 1-4: it is a classifier's cost per image (tens of ms on the wasm
 * backend), not the router's, and would swamp what is measured there; 5 measures it apart.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { parseConfig } from '../src/config/index.ts';
import { createEngine, type Engine, type RequestContext } from '../src/engine.ts';
import { defineImageModel, type Provider, type Request } from '../src/imagegen/index.ts';
import type { ProviderType } from '../src/providers/registry.ts';
import { createKey } from '../src/policy/index.ts';
import { createApp } from '../src/server/app.ts';
import { loadavg } from 'node:os';
import { measureImageFilter } from './image-filter.ts';
import { measureOverhead, overheadEngine } from './overhead.ts';

const POOL = 4;
const POOL_LATENCY_MS = 200;
const SATURATION_REQUESTS = 200;
const HEAVY = 120;
const LIGHT = 40;
const SOLO_LATENCY_MS = 20;
const LATENCY_SAMPLES = 200;
const COALESCE_K = 32;

/** A 1x1 PNG: the bench times the router, not an encoder. */
const PNG = new Uint8Array(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC', 'base64'));

/** Every simulated call, with how long the backend itself took. */
const backendCalls: { provider: string; start: number; ms: number }[] = [];

const simType = {
  settings: z.object({ type: z.literal('sim'), latency_ms: z.number() }).strict(),
  create: (settings: { latency_ms: number }, context: { name: string }): Provider => ({
    name: context.name,
    imageModel: (id) =>
      defineImageModel({
        id,
        provider: context.name,
        capabilities: ['txt2img'],
        knobs: ['n', 'seed'],
        async doGenerate(request) {
          const started = performance.now();
          await sleep(settings.latency_ms);
          backendCalls.push({ provider: context.name, start: started, ms: performance.now() - started });
          return { images: [{ bytes: PNG, mimeType: 'image/png', width: 1, height: 1, seed: request.seed }] };
        },
      }),
  }),
} as unknown as ProviderType<unknown>;

async function makeEngine(): Promise<Engine> {
  const pool = Array.from({ length: POOL }, (_, i) => `gpu${i}`);
  const config = parseConfig({
    server: { data_dir: mkdtempSync(join(tmpdir(), 'kimaging-bench-')) },
    providers: {
      ...Object.fromEntries(pool.map((name) => [name, { type: 'sim', latency_ms: POOL_LATENCY_MS }])),
      solo: { type: 'sim', latency_ms: SOLO_LATENCY_MS },
    },
    models: [...pool.map((name) => ({ id: name, provider: name })), { id: 'solo', provider: 'solo' }],
    aliases: { pool: { models: pool, balance: true } },
    default_model: 'pool',
    router: { default_concurrency: 1, default_queue: 1000 },
    cache: { max_mb: 0 },
    tenants: [{ id: 'bench' }, { id: 'heavy' }, { id: 'light' }],
    policy: { safety: { image: { enabled: false } } },
  });
  const engine = await createEngine(config, { providerTypes: { sim: simType } });
  headers.authorization = `Bearer ${(await createKey(engine.store.keys, 'bench', 'bench')).key}`;
  return engine;
}

/** Every HTTP request carries the bench tenant's key. */
const headers: Record<string, string> = { 'content-type': 'application/json' };

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const jain = (xs: number[]) => xs.reduce((a, b) => a + b, 0) ** 2 / (xs.length * xs.reduce((a, b) => a + b * b, 0));
const request = (prompt: string, extra: Partial<Request> = {}): Request => ({ prompt, n: 1, ...extra });
const ctx = (engine: Engine, tenant: string): RequestContext => ({ route: 'generate', principal: { tenant: engine.policy.tenants.get(tenant)! } });

/**
 * Closed-loop clients, three per backend so every queue always has work: each sends its next
 * request when the last one is answered. Throughput is counted from the moment the first backend
 * call starts to the last answer, over the pool's capacity (backends / configured latency). Also
 * returned: how busy the backends were, which separates the router's gaps from a late timer.
 */
async function saturation(engine: Engine, count = SATURATION_REQUESTS): Promise<{ ratio: number; busy: number; callMs: number }> {
  const app = createApp(engine);
  const first = backendCalls.length;
  let sent = 0;
  let firstStart = Infinity;
  const client = async () => {
    while (sent < count) {
      const i = sent++;
      const res = await app.request('/v1/generate', { method: 'POST', headers, body: JSON.stringify({ prompt: `p${i}` }) });
      if (res.status !== 200) throw new Error(`saturation request ${i}: HTTP ${res.status}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: POOL * 3 }, client));
  const end = performance.now();
  const calls = backendCalls.slice(first);
  for (const call of calls) firstStart = Math.min(firstStart, call.start);
  const seconds = (end - firstStart) / 1000;
  const capacity = POOL / (POOL_LATENCY_MS / 1000);
  const busy = calls.reduce((sum, call) => sum + call.ms, 0) / 1000 / (seconds * POOL);
  const callMs = calls.reduce((sum, call) => sum + call.ms, 0) / calls.length;
  return { ratio: count / seconds / capacity, busy, callMs };
}

/** Both tenants submit at once, heavy first; served counts are compared while the light tenant still has work. */
async function fairness(engine: Engine, separateTenants: boolean): Promise<{ index: number; heavy: number; light: number }> {
  const done: { tenant: string; at: number }[] = [];
  const submit = (tenant: string, count: number) =>
    Array.from({ length: count }, (_, i) =>
      engine.generate(undefined, request(`${tenant}${i}`), ctx(engine, separateTenants ? tenant : 'bench')).then(() => done.push({ tenant, at: performance.now() })),
    );
  const all = [...submit('heavy', HEAVY), ...submit('light', LIGHT)];
  await Promise.all(all);
  const lightEnd = Math.max(...done.filter((d) => d.tenant === 'light').map((d) => d.at));
  const heavy = done.filter((d) => d.tenant === 'heavy' && d.at <= lightEnd).length;
  const light = LIGHT;
  return { index: jain([heavy, light]), heavy, light };
}

async function addedLatency(engine: Engine): Promise<{ p50: number; p99: number }> {
  const app = createApp(engine);
  const overheads: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES + 20; i++) {
    const before = backendCalls.length;
    const started = performance.now();
    const res = await app.request('/v1/generate', {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'solo', prompt: `latency ${i}`, size: '64x64' }),
    });
    await res.json();
    const total = performance.now() - started;
    if (backendCalls.length !== before + 1) throw new Error('expected one backend call per request');
    if (i >= 20) overheads.push(total - backendCalls.at(-1)!.ms); // the first 20 warm the JIT
  }
  return { p50: percentile(overheads, 50), p99: percentile(overheads, 99) };
}

async function coalescing(engine: Engine): Promise<number> {
  const app = createApp(engine);
  const before = backendCalls.length;
  await Promise.all(
    Array.from({ length: COALESCE_K }, async () =>
      (await app.request('/v1/generate', { method: 'POST', headers, body: JSON.stringify({ prompt: 'same', seed: 42, cache: 'no-store' }) })).json(),
    ),
  );
  return backendCalls.length - before;
}

const engine = await makeEngine();
const began = performance.now();
await saturation(engine, POOL * 5); // a daemon at saturation is warm: JIT, schemas, first allocations
const throughput = await saturation(engine);
const fair = await fairness(engine, true);
const fifo = await fairness(engine, false);
const latency = await addedLatency(engine);
const calls = await coalescing(engine);
await engine.close();
// Side by side with a bare Hono handler on the same stub backend, interleaved (bench/overhead.ts).
const solo = await overheadEngine();
const side = await measureOverhead(solo.engine, solo.headers);
await solo.engine.close();
const filter = await measureImageFilter(20);
const addedP50 = side.p50 - side.bareP50;
const addedP99 = side.p99 - side.bareP99;

const rows: [string, string, string, string, boolean | undefined][] = [
  ['throughput / capacity at saturation', throughput.ratio.toFixed(3), `${POOL} backends x ${POOL_LATENCY_MS} ms, concurrency 1, ${SATURATION_REQUESTS} requests, ${POOL * 3} clients`, '>= 0.95', throughput.ratio >= 0.95],
  ['  backends busy (share of wall time)', throughput.busy.toFixed(3), 'the rest is gaps between calls', '', undefined],
  ['  mean simulated call (ms)', throughput.callMs.toFixed(1), `configured ${POOL_LATENCY_MS}; above it is timer lateness on a busy machine`, '', undefined],
  ["Jain's index, heavy vs light tenant", fair.index.toFixed(3), `served while light had work: heavy ${fair.heavy}, light ${fair.light}`, '>= 0.95', fair.index >= 0.95],
  ["  baseline: FIFO, no tenant turns", fifo.index.toFixed(3), `heavy ${fifo.heavy}, light ${fifo.light}`, '', undefined],
  ['added latency p50 (ms)', latency.p50.toFixed(2), `through app.request, backend ${SOLO_LATENCY_MS} ms, ${LATENCY_SAMPLES} sequential`, '< 2', latency.p50 < 2],
  ['added latency p99 (ms)', latency.p99.toFixed(2), '', '', undefined],
  ['added over a bare Hono handler p50 (ms)', addedP50.toFixed(2), `gateway ${side.p50.toFixed(2)} vs bare ${side.bareP50.toFixed(2)} over the backend's own time, interleaved`, '< 1', addedP50 < 1],
  ['added over a bare Hono handler p99 (ms)', addedP99.toFixed(2), `gateway ${side.p99.toFixed(2)} vs bare ${side.bareP99.toFixed(2)}`, '< 3', addedP99 < 3],
  ['coalescing: backend calls', `${calls}`, `${COALESCE_K} identical requests at once`, '1', calls === 1],
  ['image filter added per image p50 (ms)', filter.addedP50.toFixed(1), `512x512 stub, filter on ${filter.withP50.toFixed(1)} vs off ${filter.withoutP50.toFixed(1)}; classify alone p95 ${filter.classifyP95.toFixed(1)}`, '< 100', filter.addedP50 < 100],
  ['  event-loop delay p99 while filtering (ms)', filter.loopDelayP99.toFixed(1), `without the filter ${filter.baselineLoopDelayP99.toFixed(1)}; nsfwjs runs in a worker thread`, '', undefined],
];
const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.toString().length), ['measure', 'value', 'setup', 'goal'][c]!.length));
const line = (cells: string[]) => `| ${cells.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
console.log(line(['measure', 'value', 'setup', 'goal']) + ' met |');
console.log(line(widths.map((w) => '-'.repeat(w))) + ' --- |');
for (const [measure, value, setup, goal, met] of rows) console.log(line([measure, value, setup, goal]) + ` ${met === undefined ? '   ' : met ? 'yes' : 'NO '} |`);
console.log(`\nbench:router took ${((performance.now() - began) / 1000).toFixed(1)} s (node ${process.version}), loadavg ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
process.exitCode = rows.every(([, , , , met]) => met !== false) ? 0 : 1;
