/**
 * The nsfwjs output filter's cost per image, side by side: the same stub generations at 512x512
 * through two engines, one with `policy.safety.image.enabled` and one without, interleaved; the
 * difference is what the filter adds per image. Also the classifier alone (worker round trip
 * included) and the main thread's event-loop delay while it classifies, which must stay small:
 * classification runs in a worker thread, so the loop keeps serving other requests.
 * Run alone with `node --import tsx bench/image-filter.ts`; bench:router prints it too.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseConfig } from '../src/config/index.ts';
import { createEngine, type Engine } from '../src/engine.ts';
import { imageClassifier } from '../src/policy/safety/image.ts';

const SAMPLES = Number(process.env.FILTER_SAMPLES ?? 40);

async function stubEngine(filter: boolean): Promise<Engine> {
  const config = parseConfig({
    server: { data_dir: mkdtempSync(join(tmpdir(), 'kimaging-bench-filter-')) },
    cache: { max_mb: 0 },
    policy: { safety: { image: { enabled: filter } } },
  });
  return createEngine(config);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(0.95 * xs.length))]!;

export interface FilterCost {
  /** Per image through the whole engine: with the filter minus without, p50. */
  addedP50: number;
  withP50: number;
  withoutP50: number;
  classifyP50: number;
  classifyP95: number;
  /** The main thread's event-loop delay while generating with the filter, and without (baseline), ms. */
  loopDelayMax: number;
  loopDelayP99: number;
  baselineLoopDelayMax: number;
  baselineLoopDelayP99: number;
}

export async function measureImageFilter(samples = SAMPLES): Promise<FilterCost> {
  const [on, off] = [await stubEngine(true), await stubEngine(false)];
  if (!(await imageClassifier().ready(120_000))) throw new Error('the nsfwjs classifier did not load');
  const request = (seed: number) => ({ prompt: 'a lighthouse at dusk', n: 1, seed, size: { width: 512, height: 512 } });
  const context = { route: 'generate' as const };
  const timeOne = async (engine: Engine, seed: number) => {
    const started = performance.now();
    await engine.generate(undefined, request(seed), context);
    return performance.now() - started;
  };
  for (let i = 0; i < 5; i++) await Promise.all([timeOne(on, i), timeOne(off, i)]);

  const withFilter: number[] = [];
  const without: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const baseline = monitorEventLoopDelay({ resolution: 1 });
  for (let i = 0; i < samples; i++) {
    loop.enable();
    withFilter.push(await timeOne(on, 100 + i));
    loop.disable();
    baseline.enable();
    without.push(await timeOne(off, 100 + i));
    baseline.disable();
  }

  // The classifier alone, on the bytes the stub draws.
  const image = (await off.generate(undefined, request(7), context)).images[0]!.bytes;
  const classify: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await imageClassifier().classify(image);
    classify.push(performance.now() - started);
  }
  await Promise.all([on.close(), off.close()]);
  return {
    addedP50: median(withFilter) - median(without),
    withP50: median(withFilter),
    withoutP50: median(without),
    classifyP50: median(classify),
    classifyP95: p95(classify),
    loopDelayMax: loop.max / 1e6,
    loopDelayP99: loop.percentile(99) / 1e6,
    baselineLoopDelayMax: baseline.max / 1e6,
    baselineLoopDelayP99: baseline.percentile(99) / 1e6,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cost = await measureImageFilter();
  console.log(`image filter, 512x512 stub images, ${SAMPLES} per side interleaved:`);
  console.log(`  generate with filter p50 ${cost.withP50.toFixed(1)} ms, without ${cost.withoutP50.toFixed(1)} ms -> added ${cost.addedP50.toFixed(1)} ms per image (goal < 100)`);
  console.log(`  classify alone p50 ${cost.classifyP50.toFixed(1)} ms, p95 ${cost.classifyP95.toFixed(1)} ms`);
  console.log(
    `  main-thread event-loop delay: with the filter p99 ${cost.loopDelayP99.toFixed(1)} ms, max ${cost.loopDelayMax.toFixed(1)} ms; ` +
      `without p99 ${cost.baselineLoopDelayP99.toFixed(1)} ms, max ${cost.baselineLoopDelayMax.toFixed(1)} ms`,
  );
  process.exit(0);
}
