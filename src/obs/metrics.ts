/**
 * Prometheus text-format metrics, in process. Counters, gauges read at scrape time, and
 * histograms; each family is declared once with its help text, then incremented by label values.
 * Other stages (policy's quota and safety rejections) increment the families declared here.
 */

type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  render(): string[];
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelKey = (labels: Labels) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
function formatLabels(labels: Labels, extra?: [string, string]): string {
  const entries = Object.entries(labels);
  if (extra) entries.push(extra);
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

export class Counter implements Family {
  readonly type = 'counter';
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    const entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, { labels, value: by });
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels))?.value ?? 0;
  }

  render(): string[] {
    return [...this.values.values()].map(({ labels, value }) => `${this.name}${formatLabels(labels)} ${value}`);
  }
}

/** A gauge whose values are read when scraped (queue depths, breaker states), never stale. */
export class Gauge implements Family {
  readonly type = 'gauge';
  constructor(readonly name: string, readonly help: string, private readonly collect: () => { labels: Labels; value: number }[]) {}
  render(): string[] {
    return this.collect().map(({ labels, value }) => `${this.name}${formatLabels(labels)} ${value}`);
  }
}

/** Seconds. The buckets span a hosted API's 100 ms to a CPU-bound SD server's minutes. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class Histogram implements Family {
  readonly type = 'histogram';
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, private readonly buckets: readonly number[] = LATENCY_BUCKETS) {}

  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let entry = this.series.get(key);
    if (!entry) this.series.set(key, (entry = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (const [i, bound] of this.buckets.entries()) if (value <= bound) entry.counts[i]!++;
    entry.sum += value;
    entry.count++;
  }

  render(): string[] {
    const lines: string[] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      for (const [i, bound] of this.buckets.entries()) lines.push(`${this.name}_bucket${formatLabels(labels, ['le', String(bound)])} ${counts[i]}`);
      lines.push(`${this.name}_bucket${formatLabels(labels, ['le', '+Inf'])} ${count}`);
      lines.push(`${this.name}_sum${formatLabels(labels)} ${sum}`);
      lines.push(`${this.name}_count${formatLabels(labels)} ${count}`);
    }
    return lines;
  }
}

export class MetricsRegistry {
  private readonly families: Family[] = [];

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }
  gauge(name: string, help: string, collect: () => { labels: Labels; value: number }[]): Gauge {
    return this.add(new Gauge(name, help, collect));
  }

  private add<F extends Family>(family: F): F {
    if (this.families.some((f) => f.name === family.name)) throw new Error(`metric ${family.name} is declared twice`);
    this.families.push(family);
    return family;
  }

  /** The Prometheus text exposition format, version 0.0.4. */
  render(): string {
    const out: string[] = [];
    for (const family of this.families) {
      out.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`, ...family.render());
    }
    return out.join('\n') + '\n';
  }
}

/** The service's metric families: one table, so a reader sees every name in one place. */
export function createMetrics() {
  const registry = new MetricsRegistry();
  return {
    registry,
    requests: registry.counter('kimaging_http_requests_total', 'HTTP requests by route and status'),
    images: registry.counter('kimaging_images_total', 'Images delivered, by model, provider and whether they came from the cache'),
    backendLatency: registry.histogram('kimaging_backend_latency_seconds', 'Backend call latency in seconds, by backend and outcome'),
    attempts: registry.counter('kimaging_backend_attempts_total', 'Backend attempts by backend and outcome (ok or an error code)'),
    fallbacks: registry.counter('kimaging_fallbacks_total', 'Requests answered by a model later in the chain than the first'),
    cache: registry.counter('kimaging_cache_requests_total', 'Cache lookups by result (hit_memory, hit_disk, hit_shared, miss)'),
    coalesced: registry.counter('kimaging_coalesced_total', 'Requests that joined an identical request already in flight'),
    rejections: registry.counter('kimaging_queue_rejections_total', 'Requests refused because a backend queue was full'),
    quotaRejections: registry.counter('kimaging_quota_rejections_total', 'Requests refused by quotas or caps, by reason'),
    safetyRejections: registry.counter('kimaging_safety_rejections_total', 'Prompts or images refused by the safety filter, by stage'),
    jobs: registry.counter('kimaging_jobs_total', 'Async jobs by kind and final status'),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
