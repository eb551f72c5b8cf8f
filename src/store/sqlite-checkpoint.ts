/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside whichever commit
 * pushes the WAL past 1000 pages: it copies those pages into the database file and fsyncs, a few
 * milliseconds on the request that happened to commit (the gateway's p99 was exactly these, one
 * request in ~110). Here the connection's own checkpoint is off and, every CHECKPOINT_EVERY
 * writes, a worker thread with its own connection to the file runs a PASSIVE checkpoint, which
 * never blocks the writer. The worker starts on the first need (short-lived stores and tests never
 * start one); if it cannot start or dies, the checkpoint runs in place, as SQLite's would.
 */
import type { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { startWorker } from '../workers/start-worker.ts';

/** Commits between checkpoints: ~1000 WAL pages at the gateway's ~9 pages per request. */
export const CHECKPOINT_EVERY = 100;

export interface Checkpointer {
  /** One write committed. */
  wrote(): void;
  /** Stops the worker; the caller closes its connection after, so its close is the last. */
  close(): Promise<void>;
}

export function walCheckpointer(db: Database.Database, path: string): Checkpointer {
  db.pragma('wal_autocheckpoint = 0');
  let writes = 0;
  let worker: Worker | undefined;
  let failed = false;
  const inPlace = () => db.pragma('wal_checkpoint(PASSIVE)');

  function start(): Worker | undefined {
    try {
      const started = startWorker(import.meta.url, 'sqlite-checkpoint-worker', { path });
      const fail = () => {
        failed = true;
        worker = undefined;
      };
      started.on('error', fail);
      started.on('exit', fail);
      started.unref();
      return started;
    } catch {
      failed = true;
      return undefined;
    }
  }

  return {
    wrote() {
      if (++writes % CHECKPOINT_EVERY !== 0) return;
      if (!failed) worker ??= start();
      if (worker) worker.postMessage('checkpoint');
      else inPlace();
    },
    async close() {
      const running = worker;
      worker = undefined;
      failed = true;
      if (!running) return;
      running.removeAllListeners('exit');
      // Held open until it has closed its connection (it is unref'd, so nothing else waits for it).
      running.ref();
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.postMessage('close');
      await exited;
    },
  };
}
