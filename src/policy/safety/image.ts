/**
 * Output-image safety with nsfwjs, run in a worker thread (nsfw-worker.ts) so classification never
 * stops the event loop. The model loads once per process, in the background, when the first
 * engine starts; nothing waits for it at start-up. A request whose images need checking while it
 * still loads waits up to `load_wait_ms` (see policy.ts for what happens when it is not ready or
 * failed to load).
 */
import type { Worker } from 'node:worker_threads';
import type { SafetyLevel } from '../../config/index.ts';
import { decodeRaw } from '../../images/index.ts';
import { startWorker } from '../../workers/start-worker.ts';
import { INPUT_SIZE, type FromNsfwWorker, type NsfwClass, type NsfwScores, type ToNsfwWorker } from './nsfw-protocol.ts';

export type { NsfwClass, NsfwScores } from './nsfw-protocol.ts';

export interface ImageClassifier {
  readonly state: 'loading' | 'ready' | 'failed';
  /** Resolves true when loaded, false when loading failed or `waitMs` passed first. */
  ready(waitMs: number): Promise<boolean>;
  classify(bytes: Uint8Array): Promise<NsfwScores>;
}

let shared: ImageClassifier | undefined;

/** The process-wide classifier; the first call starts loading it. */
export function imageClassifier(): ImageClassifier {
  shared ??= loadClassifier();
  return shared;
}

function loadClassifier(): ImageClassifier {
  let state: ImageClassifier['state'] = 'loading';
  const worker: Worker = startWorker(import.meta.url, 'nsfw-worker');
  const waiting = new Map<number, { resolve(scores: NsfwScores): void; reject(error: Error): void }>();
  let nextId = 1;
  let markLoaded: (ok: boolean) => void = () => {};
  const loaded = new Promise<boolean>((resolve) => (markLoaded = resolve));

  const fail = (message: string) => {
    if (state !== 'failed') console.error(JSON.stringify({ level: 'error', msg: 'image safety classifier failed', error: message }));
    state = 'failed';
    markLoaded(false);
    for (const pending of waiting.values()) pending.reject(new Error(`image safety classifier failed: ${message}`));
    waiting.clear();
  };
  worker.on('message', (message: FromNsfwWorker) => {
    if (message.type === 'ready') {
      state = 'ready';
      markLoaded(true);
    } else if (message.type === 'failed') fail(message.message);
    else {
      const pending = waiting.get(message.id);
      waiting.delete(message.id);
      if (waiting.size === 0) worker.unref();
      if (message.type === 'scores') pending?.resolve(message.scores);
      else pending?.reject(new Error(`image safety classifier: ${message.message}`));
    }
  });
  worker.on('error', (error) => fail(String(error)));
  worker.on('exit', (code) => fail(`the worker exited with code ${code}`));
  // Loading alone keeps no process alive (a CLI run may end first); a classification in flight does.
  worker.unref();

  return {
    get state() {
      return state;
    },
    async ready(waitMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), waitMs);
      });
      const ok = await Promise.race([loaded, timeout]);
      clearTimeout(timer);
      // A worker that loaded and died since is not ready either.
      return ok && state === 'ready';
    },
    async classify(bytes) {
      if (!(await loaded)) throw new Error('image safety classifier is not loaded');
      const raw = await decodeRaw(bytes, 'image', { channels: 3, size: { width: INPUT_SIZE, height: INPUT_SIZE } });
      const rgb = new Uint8Array(raw.data);
      // Posting to a worker that has exited is silently dropped: the answer would never come.
      if (state !== 'ready') throw new Error('image safety classifier is not running');
      return new Promise<NsfwScores>((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        worker.ref();
        const message: ToNsfwWorker = { type: 'classify', id, rgb };
        worker.postMessage(message, [rgb.buffer as ArrayBuffer]);
      });
    },
  };
}

export interface ImageThresholds {
  strict: { porn: number; hentai: number; sexy: number };
  moderate: { porn: number; hentai: number };
}

/** The class that withholds an image at this level, or undefined when it may be shown. */
export function imageVerdict(level: SafetyLevel, scores: NsfwScores, thresholds: ImageThresholds): NsfwClass | undefined {
  if (level === 'off') return undefined;
  const limits: Partial<Record<NsfwClass, number>> = thresholds[level];
  return (Object.keys(limits) as NsfwClass[]).find((cls) => scores[cls] >= limits[cls]!);
}
