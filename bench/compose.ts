/**
 * bench:compose — one OG card, drawn four ways in one run, plus a cache hit over HTTP:
 *   ours (warm)       composer.render: checked values -> tree -> Takumi (the default renderer), no cache
 *   ours, satori      the same composer with `compose.renderer: satori`: satori -> resvg-js (native)
 *   satori + resvg    the same element, plain satori + resvg-js with only Inter 400/700 latin
 *   @vercel/og        the same element through ImageResponse (satori + resvg wasm), same two fonts
 *   satori alone     the layout step the three satori rows share, to show where their time goes
 *   cache hit (HTTP)  GET /v1/compose/og?... through app.request, answered from the memory cache
 * Also the cold start: the first card of each renderer (font parsing, Takumi's font
 * registration) before anything is warm. Prints p50/p95 per row and the ratios. The machine is shared, so absolute numbers wander;
 * the rows run interleaved so each sees the same load.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import satori from 'satori';
import { createComposer } from '../src/compose/index.ts';
import { loadFonts } from '../src/compose/fonts.ts';
import { toSatoriElement } from '../src/compose/render.ts';
import { parseConfig } from '../src/config/index.ts';
import { createEngine } from '../src/engine.ts';
import { createApp } from '../src/server/app.ts';

const RENDERS = Number(process.env.BENCH_RENDERS ?? 60);
const HITS = Number(process.env.BENCH_HITS ?? 2000);
const CARD = { title: 'Koder Imaging: one service for every image your stack needs', subtitle: 'Self-hosted generation, upscaling and social cards', brand: 'koder', theme: 'dark' };

const config = parseConfig({ server: { data_dir: await mkdtemp(join(tmpdir(), 'bench-compose-')) }, compose: { disk_cache: false } });
const engine = await createEngine(config);
const composer = createComposer({ config, generate: engine.generate, decodeLimits: engine.decodeLimits });
const satoriConfig = { ...config, compose: { ...config.compose, renderer: 'satori' as const } };
const satoriComposer = createComposer({ config: satoriConfig, generate: engine.generate, decodeLimits: engine.decodeLimits });
const prepared = composer.prepare('og', CARD);
const preparedSatori = satoriComposer.prepare('og', CARD);
const timed = async (run: () => Promise<unknown>) => {
  const start = performance.now();
  await run();
  return performance.now() - start;
};
const cold = { takumi: await timed(() => composer.render(prepared)), satori: await timed(() => satoriComposer.render(preparedSatori)) };
const fonts = loadFonts();
const element = toSatoriElement(prepared.template.build(prepared.values as Record<string, string>, prepared.size), fonts);

const require = createRequire(import.meta.url);
const interFile = (weight: number) => {
  const file = readFileSync(require.resolve(`@fontsource/inter/files/inter-latin-${weight}-normal.woff`));
  return file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
};
const plainFonts = [400, 700].map((weight) => ({ name: 'Inter', data: interFile(weight), weight: weight as 400 | 700, style: 'normal' as const }));

async function plain(): Promise<number> {
  const svg = await satori(element as never, { width: 1200, height: 630, fonts: plainFonts });
  return new Resvg(svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: false } }).render().asPng().byteLength;
}

let vercelOg: (() => Promise<number>) | undefined;
let vercelOgProblem: string | undefined;
try {
  const { ImageResponse } = await import('@vercel/og');
  vercelOg = async () => new Uint8Array(await new ImageResponse(element as never, { width: 1200, height: 630, fonts: plainFonts }).arrayBuffer()).byteLength;
  await vercelOg();
} catch (error) {
  vercelOg = undefined;
  vercelOgProblem = `@vercel/og could not run in Node ${process.version}: ${(error as Error).message}`;
}

const rows: { name: string; run: () => Promise<unknown>; times: number[] }[] = [
  { name: 'ours (warm, no cache)', run: () => composer.render(prepared), times: [] },
  { name: 'ours, satori renderer', run: () => satoriComposer.render(preparedSatori), times: [] },
  { name: 'satori + resvg (plain)', run: plain, times: [] },
  ...(vercelOg ? [{ name: '@vercel/og 0.11.1', run: vercelOg, times: [] }] : []),
  // The layout-and-glyphs step the satori rows share; what is left is rasterising and encoding.
  { name: 'satori alone (layout step)', run: () => satori(element as never, { width: 1200, height: 630, fonts: fonts.satori }), times: [] },
];

for (const row of rows) for (let i = 0; i < 3; i++) await row.run();
for (let i = 0; i < RENDERS; i++) {
  for (const row of rows) {
    const start = performance.now();
    await row.run();
    row.times.push(performance.now() - start);
  }
}

const app = createApp(engine);
const url = `/v1/compose/og?${new URLSearchParams(CARD)}`;
const first = await app.request(url);
if (first.status !== 200) throw new Error(`GET ${url} answered ${first.status}`);
const hitTimes: number[] = [];
for (let i = 0; i < HITS; i++) {
  const start = performance.now();
  const response = await app.request(url);
  await response.arrayBuffer();
  hitTimes.push(performance.now() - start);
  if (response.headers.get('x-cache') !== 'hit') throw new Error('expected a cache hit');
}
rows.push({ name: 'cache hit, GET via app.request', run: async () => {}, times: hitTimes });

const quantile = (times: number[], q: number) => {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const fmt = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`.padStart(10);

console.log(`bench:compose  OG card 1200x630, ${RENDERS} renders per row (interleaved), ${HITS} cache hits; node ${process.version}; load average ${loadavg()[0]!.toFixed(1)}`);
console.log(`${'row'.padEnd(34)}${'p50'.padStart(10)}${'p95'.padStart(10)}${'n'.padStart(7)}`);
for (const row of rows) console.log(`${row.name.padEnd(34)}${fmt(quantile(row.times, 0.5))}${fmt(quantile(row.times, 0.95))}${String(row.times.length).padStart(7)}`);
const ours = rows[0]!.times;
console.log('ratios (p50 / p50 of ours; > 1 means ours is faster):');
for (const row of rows.slice(1, vercelOg ? 4 : 3)) console.log(`  ${row.name.padEnd(32)}${(quantile(row.times, 0.5) / quantile(ours, 0.5)).toFixed(2)}x   (p95 ${(quantile(row.times, 0.95) / quantile(ours, 0.95)).toFixed(2)}x)`);
if (vercelOgProblem) console.log(vercelOgProblem);
const shared = quantile(rows.find((row) => row.name.startsWith('satori alone'))!.times, 0.5);
console.log(`after satori's layout step (p50 ${shared.toFixed(1)} ms): ours with satori ${(quantile(rows[1]!.times, 0.5) - shared).toFixed(1)} ms` +
  (vercelOg ? `, @vercel/og ${(quantile(rows[3]!.times, 0.5) - shared).toFixed(1)} ms` : '') + `; Takumi's whole card ${quantile(ours, 0.5).toFixed(1)} ms`);
console.log(`cold start (first card in this process): Takumi ${cold.takumi.toFixed(1)} ms, satori ${cold.satori.toFixed(1)} ms`);
const formats = ['webp', 'jpeg'] as const;
for (const format of formats) {
  const card = composer.prepare('og', CARD, format);
  const times: number[] = [];
  for (let i = 0; i < 20; i++) times.push(await timed(() => composer.render(card)));
  console.log(`ours as ${format}: p50 ${quantile(times, 0.5).toFixed(2)} ms`);
}
const hitP95 = quantile(hitTimes, 0.95);
console.log(`cache hit goal < 2 ms: p50 ${quantile(hitTimes, 0.5).toFixed(3)} ms, p95 ${hitP95.toFixed(3)} ms -> ${hitP95 < 2 ? 'met' : 'missed'}`);
