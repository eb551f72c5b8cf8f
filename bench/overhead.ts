/**
 * The gateway's added latency, side by side: the daemon's app (API key, tenant policy, quota,
 * ledger write in SQLite, router, JSON answer) against a bare Hono handler that calls the same
 * stub backend and answers the same JSON. Both run interleaved in one process, one request at a
 * time; the figure is each side's time minus the backend call's own time.
 */
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Hono } from 'hono';
import { z } from 'zod';
import { parseConfig } from '../src/config/index.ts';
import { createEngine, type Engine } from '../src/engine.ts';
import { defineImageModel, type Provider } from '../src/imagegen/index.ts';
import type { ProviderType } from '../src/providers/registry.ts';
import { createKey } from '../src/policy/index.ts';
import { createApp } from '../src/server/app.ts';

export const BACKEND_MS = Number(process.env.BACKEND_MS ?? 20);
const PNG = new Uint8Array(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC', 'base64'));
let lastCallMs = 0;
async function backend(): Promise<Uint8Array> {
  const started = performance.now();
  if (BACKEND_MS > 0) await sleep(BACKEND_MS);
  lastCallMs = performance.now() - started;
  return PNG;
}

const simType = {
  settings: z.object({ type: z.literal('sim') }).strict(),
  create: (_settings: unknown, context: { name: string }): Provider => ({
    name: context.name,
    imageModel: (id) =>
      defineImageModel({
        id,
        provider: context.name,
        capabilities: ['txt2img'],
        knobs: ['n', 'seed'],
        async doGenerate(request) {
          return { images: [{ bytes: await backend(), mimeType: 'image/png', width: 1, height: 1, seed: request.seed }] };
        },
      }),
  }),
} as unknown as ProviderType<unknown>;

export async function overheadEngine(safety = false): Promise<{ engine: Engine; headers: Record<string, string> }> {
  const config = parseConfig({
    server: { data_dir: mkdtempSync(join(tmpdir(), 'kimaging-bench-')) },
    providers: { solo: { type: 'sim' } },
    models: [{ id: 'solo', provider: 'solo' }],
    default_model: 'solo',
    cache: { max_mb: 0 },
    tenants: [{ id: 'bench' }],
    policy: { safety: { image: { enabled: safety } } },
  });
  const engine = await createEngine(config, { providerTypes: { sim: simType } });
  const key = (await createKey(engine.store.keys, 'bench', 'bench')).key;
  return { engine, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } };
}

/** The baseline: parse the JSON body, call the backend, answer base64 in JSON. */
function bareApp(): Hono {
  const bare = new Hono();
  bare.post('/v1/generate', async (c) => {
    const body = await c.req.json<{ prompt: string }>();
    const bytes = await backend();
    return c.json({ model: 'solo', images: [{ b64_json: Buffer.from(bytes).toString('base64'), mime_type: 'image/png', prompt_length: body.prompt.length }] });
  });
  return bare;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

export interface Overhead { p50: number; p99: number; bareP50: number; bareP99: number }

/**
 * Interleaved: one gateway request, one bare request, and so on. The first `warm` pairs are
 * dropped: JIT warm-up, and the SQLite checkpoint thread starting (from TypeScript here, through
 * tsx, which takes a core for a while) are start-up costs, not the steady state.
 */
export async function measureOverhead(engine: Engine, headers: Record<string, string>, samples = 1000, warm = 300): Promise<Overhead> {
  const app = createApp(engine);
  const bare = bareApp();
  const gateway: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < samples + warm; i++) {
    const body = JSON.stringify({ prompt: `latency ${i}`, size: '64x64' });
    // Every HTTP client sends Content-Length for a JSON body (app.request alone does not); without
    // it hono's body limit re-streams the body, a cost no real request pays.
    headers = { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    let started = performance.now();
    const res = await app.request('/v1/generate', { method: 'POST', headers, body });
    if (res.status !== 200) throw new Error(`gateway: HTTP ${res.status} ${await res.text()}`);
    await res.json();
    const g = performance.now() - started - lastCallMs;
    started = performance.now();
    const bres = await bare.request('/v1/generate', { method: 'POST', headers, body });
    await bres.json();
    const b = performance.now() - started - lastCallMs;
    if (i >= warm) {
      gateway.push(g);
      baseline.push(b);
    }
  }
  return { p50: percentile(gateway, 50), p99: percentile(gateway, 99), bareP50: percentile(baseline, 50), bareP99: percentile(baseline, 99) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { engine, headers } = await overheadEngine();
  const o = await measureOverhead(engine, headers, Number(process.env.SAMPLES ?? 1000));
  await engine.close();
  console.log(`gateway over backend: p50 ${o.p50.toFixed(3)} ms, p99 ${o.p99.toFixed(3)} ms; bare hono: p50 ${o.bareP50.toFixed(3)} ms, p99 ${o.bareP99.toFixed(3)} ms`);
  console.log(`added over bare: p50 ${(o.p50 - o.bareP50).toFixed(3)} ms, p99 ${(o.p99 - o.bareP99).toFixed(3)} ms; loadavg ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}
