/**
 * A pool of ESRGAN worker threads, so the daemon's event loop stays free while models run.
 * One job per worker at a time; further jobs wait in a FIFO queue (bounded: beyond it, 429
 * overloaded). An AbortSignal removes a queued job at once, and stops a running one after the
 * tile in progress. Workers start on first use and are not kept alive for the process when idle.
 */
import type { Worker } from 'node:worker_threads';
import { abortError, ImagegenError } from '../imagegen/index.ts';
import { startWorker } from '../workers/start-worker.ts';
import type { EsrganJob, FromWorker, RunMessage } from './worker-protocol.ts';

export interface JobOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface WorkerPool {
  run(job: EsrganJob, options?: JobOptions): Promise<Uint8Array>;
  /** Jobs waiting and running, for tests and logs. */
  stats(): { queued: number; running: number; workers: number };
  close(): Promise<void>;
}

export interface PoolSettings {
  size: number;
  maxQueue: number;
}

interface Pending {
  id: number;
  job: EsrganJob;
  options: JobOptions;
  resolve(rgb: Uint8Array): void;
  reject(error: unknown): void;
  settled: boolean;
}

interface Slot {
  worker: Worker;
  current?: Pending;
}

export function createWorkerPool(settings: PoolSettings): WorkerPool {
  const slots: Slot[] = [];
  const queue: Pending[] = [];
  let nextId = 1;
  let closed = false;

  function settle(pending: Pending, outcome: { rgb?: Uint8Array; error?: unknown }): void {
    if (pending.settled) return;
    pending.settled = true;
    if (outcome.error !== undefined) pending.reject(outcome.error);
    else pending.resolve(outcome.rgb!);
  }

  function release(slot: Slot): void {
    slot.current = undefined;
    slot.worker.unref();
    dispatch();
  }

  function addSlot(): Slot {
    const slot: Slot = { worker: startWorker(import.meta.url, 'esrgan-worker') };
    slot.worker.on('message', (message: FromWorker) => {
      const pending = slot.current;
      if (!pending || pending.id !== message.id) return;
      switch (message.type) {
        case 'progress':
          if (!pending.settled) pending.options.onProgress?.(message.done, message.total);
          return;
        case 'done':
          settle(pending, { rgb: message.rgb });
          return release(slot);
        case 'cancelled':
          settle(pending, { error: abortError(pending.options.signal!) });
          return release(slot);
        case 'error':
          settle(pending, { error: new Error(`ESRGAN worker failed: ${message.message}`) });
          return release(slot);
      }
    });
    // A crashed worker fails its job and leaves the pool; the next dispatch starts a fresh one.
    const drop = (error: unknown) => {
      const index = slots.indexOf(slot);
      if (index < 0) return;
      slots.splice(index, 1);
      if (slot.current) settle(slot.current, { error: error instanceof Error ? error : new Error(String(error)) });
      if (!closed) dispatch();
    };
    slot.worker.on('error', drop);
    slot.worker.on('exit', (code) => drop(new Error(`ESRGAN worker exited with code ${code}`)));
    slot.worker.unref();
    slots.push(slot);
    return slot;
  }

  function dispatch(): void {
    while (queue.length > 0) {
      const slot = slots.find((s) => !s.current) ?? (slots.length < settings.size ? addSlot() : undefined);
      if (!slot) return;
      const pending = queue.shift()!;
      slot.current = pending;
      slot.worker.ref();
      const { job } = pending;
      const message: RunMessage = { type: 'run', id: pending.id, ...job };
      slot.worker.postMessage(message, [job.rgb.buffer as ArrayBuffer]);
    }
  }

  return {
    run(job, options = {}) {
      if (closed) return Promise.reject(new ImagegenError('overloaded', 'the upscaler is shutting down', { retryable: true }));
      if (options.signal?.aborted) return Promise.reject(abortError(options.signal));
      const busy = slots.filter((s) => s.current).length;
      if (busy >= settings.size && queue.length >= settings.maxQueue) {
        return Promise.reject(
          new ImagegenError('overloaded', `the upscaler queue is full (${queue.length} waiting); try again shortly`, { retryAfter: 5 }),
        );
      }
      return new Promise<Uint8Array>((resolve, reject) => {
        const onAbort = () => {
          const queued = queue.indexOf(pending);
          if (queued >= 0) queue.splice(queued, 1);
          else {
            const slot = slots.find((s) => s.current === pending);
            slot?.worker.postMessage({ type: 'cancel', id: pending.id });
          }
          settle(pending, { error: abortError(options.signal!) });
        };
        // The listener goes with the job: a long-lived signal does not collect one per job.
        const done = <A extends unknown[]>(then: (...args: A) => void) => (...args: A) => {
          options.signal?.removeEventListener('abort', onAbort);
          then(...args);
        };
        const pending: Pending = { id: nextId++, job, options, resolve: done(resolve), reject: done(reject), settled: false };
        options.signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(pending);
        dispatch();
      });
    },
    stats: () => ({ queued: queue.length, running: slots.filter((s) => s.current).length, workers: slots.length }),
    async close() {
      closed = true;
      const shuttingDown = new ImagegenError('overloaded', 'the upscaler is shutting down', { retryable: true });
      for (const pending of [...queue.splice(0), ...slots.map((s) => s.current)]) if (pending) settle(pending, { error: shuttingDown });
      await Promise.all(slots.splice(0).map((slot) => slot.worker.terminate()));
    },
  };
}
