/**
 * A backend's queue: at most `concurrency` calls at once, at most `maxQueued` waiting. Waiting
 * requests are served round-robin across tenants (each tenant keeps its own FIFO), so one tenant's
 * hundred queued requests delay another's one by at most one turn each. A full queue refuses with
 * 429 overloaded and a Retry-After estimated from its depth and the backend's observed latency.
 * An aborted signal takes a waiting request out of the line.
 */
import { ImagegenError, abortError } from '../imagegen/index.ts';

export interface QueueSettings {
  name: string;
  concurrency: number;
  maxQueued: number;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  /** Called with the 1-based place in line while waiting, and 0 once the call starts. */
  onPosition?: (position: number) => void;
}

/** What the router needs of a backend's queue: this in-process one, or the fleet-wide one (src/scale/fleet-queue.ts). */
export interface SlotQueue {
  readonly settings: QueueSettings;
  /** Requests waiting here (this replica's, for the fleet queue). */
  readonly depth: number;
  /** Calls running from here. */
  readonly running: number;
  /** Work per slot, waiting included: what `balance` aliases compare. */
  readonly load: number;
  observeLatency(ms: number): void;
  /** Seconds until a request queued now would start, by depth and observed latency. */
  estimateWaitSeconds(): number;
  /** Wait for a slot; the returned function gives it back (call it exactly once). */
  acquire(tenant: string, options?: AcquireOptions): Promise<() => void>;
}

interface Waiter {
  tenant: string;
  grant: () => void;
  onPosition?: (position: number) => void;
}

/** Observed latencies weigh in at 20% each: recent enough to follow a slowing GPU, smooth enough. */
const LATENCY_WEIGHT = 0.2;
/** Until a call has been observed, guess a second per call for Retry-After. */
const FIRST_GUESS_MS = 1000;

/** A backend's smoothed call latency, and the wait it predicts for a queue of a given depth. */
export class LatencyEstimate {
  private latencyMs: number | undefined;

  observe(ms: number): void {
    this.latencyMs = this.latencyMs === undefined ? ms : this.latencyMs + LATENCY_WEIGHT * (ms - this.latencyMs);
  }

  waitSeconds(ahead: number, concurrency: number): number {
    return Math.max(1, Math.ceil((((ahead + 1) / concurrency) * (this.latencyMs ?? FIRST_GUESS_MS)) / 1000));
  }
}

/** A full queue's refusal. */
export function overloaded(queue: SlotQueue, waiting: number): ImagegenError {
  return new ImagegenError('overloaded', `backend ${queue.settings.name} is busy: ${waiting} requests are waiting`, {
    retryAfter: queue.estimateWaitSeconds(),
    provider: queue.settings.name,
  });
}

export class BackendQueue implements SlotQueue {
  private active = 0;
  private waiting = 0;
  /** Tenants with waiting requests, in turn order: the first one is served next. */
  private readonly lines = new Map<string, Waiter[]>();
  private readonly latency = new LatencyEstimate();

  constructor(readonly settings: QueueSettings) {}

  get depth(): number {
    return this.waiting;
  }
  get running(): number {
    return this.active;
  }
  get load(): number {
    return (this.active + this.waiting) / this.settings.concurrency;
  }

  observeLatency(ms: number): void {
    this.latency.observe(ms);
  }

  estimateWaitSeconds(): number {
    return this.latency.waitSeconds(this.waiting + this.active, this.settings.concurrency);
  }

  acquire(tenant: string, options: AcquireOptions = {}): Promise<() => void> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.active < this.settings.concurrency && this.waiting === 0) {
      this.active++;
      options.onPosition?.(0);
      return Promise.resolve(this.releaser());
    }
    if (this.waiting >= this.settings.maxQueued) return Promise.reject(overloaded(this, this.waiting));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (this.remove(waiter)) reject(abortError(signal!));
      };
      const waiter: Waiter = {
        tenant,
        onPosition: options.onPosition,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          options.onPosition?.(0);
          resolve(this.releaser());
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const line = this.lines.get(tenant);
      if (line) line.push(waiter);
      else this.lines.set(tenant, [waiter]);
      this.waiting++;
      this.announcePositions();
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.dispatch();
    };
  }

  private dispatch(): void {
    let moved = false;
    while (this.active < this.settings.concurrency && this.waiting > 0) {
      const [tenant, line] = this.lines.entries().next().value as [string, Waiter[]];
      const waiter = line.shift()!;
      // The tenant goes to the back of the turn order, or leaves it when it has nobody waiting.
      this.lines.delete(tenant);
      if (line.length > 0) this.lines.set(tenant, line);
      this.waiting--;
      this.active++;
      moved = true;
      waiter.grant();
    }
    if (moved) this.announcePositions();
  }

  private remove(waiter: Waiter): boolean {
    const line = this.lines.get(waiter.tenant);
    const index = line?.indexOf(waiter) ?? -1;
    if (index < 0) return false;
    line!.splice(index, 1);
    if (line!.length === 0) this.lines.delete(waiter.tenant);
    this.waiting--;
    this.announcePositions();
    return true;
  }

  /** Positions follow the round-robin order: turn t of every tenant comes before turn t+1 of any. */
  private announcePositions(): void {
    const lines = [...this.lines.values()];
    if (!lines.some((line) => line.some((w) => w.onPosition))) return;
    let position = 0;
    for (let turn = 0; lines.some((line) => line.length > turn); turn++) {
      for (const line of lines) {
        const waiter = line[turn];
        if (!waiter) continue;
        position++;
        waiter.onPosition?.(position);
      }
    }
  }
}
