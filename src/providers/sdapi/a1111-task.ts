/**
 * An A1111/Forge generation as a task of our own. A1111's `/sdapi/v1/progress` and `/interrupt` are
 * global: they describe and stop whatever is running, whoever sent it. But every txt2img/img2img
 * takes `force_task_id` (api.py: `task_id = req.force_task_id or create_task_id(...)`), and
 * `POST /internal/progress {id_task}` (modules/progress.py `progressapi`) answers for that one task:
 * `active` (running now), `queued`, `completed`, and `progress`/`eta` while active. So we name each
 * call's task, read its own progress, and on cancel send `/interrupt` only while it is ours that runs.
 *
 * A queued task of ours cannot be taken out of A1111's queue (the HTTP request is already in), so a
 * cancel keeps watching and interrupts it the moment it starts, instead of letting the GPU draw an
 * image nobody will read. One race remains, in A1111's API itself: between our "active" reading and
 * the interrupt arriving, our task could end and the next begin; A1111's `state.begin()` clears the
 * flag for a new job, so this only bites if the interrupt lands after that begin (milliseconds).
 */
import { randomUUID } from 'node:crypto';
import type { CallOptions } from '../../imagegen/index.ts';

/** POST a control route: the parsed JSON, or undefined when the route is not there (404). */
export type ControlPost = (path: string, body: Record<string, unknown>) => Promise<unknown>;

export interface TaskWatchOptions {
  post: ControlPost;
  /** Time between /internal/progress readings. */
  intervalMs: number;
  /** How long a cancelled, still-queued task is watched for its start (A1111 queues can be long). */
  cancelWatchMs: number;
}

interface TaskState {
  active: boolean;
  queued: boolean;
  completed: boolean;
  progress?: number;
  eta?: number;
  textinfo?: string;
}

export const newTaskId = (): string => `kimaging-${randomUUID()}`;

async function readTask(post: ControlPost, id: string): Promise<TaskState | undefined> {
  const answer = await post('/internal/progress', { id_task: id, id_live_preview: -1, live_preview: false });
  if (typeof answer !== 'object' || answer === null) return undefined;
  const a = answer as Record<string, unknown>;
  return {
    active: a.active === true,
    queued: a.queued === true,
    completed: a.completed === true,
    ...(typeof a.progress === 'number' && { progress: a.progress }),
    ...(typeof a.eta === 'number' && { eta: a.eta }),
    ...(typeof a.textinfo === 'string' && { textinfo: a.textinfo }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Watches task `id` while its generation request is in flight: reports its own progress, and if the
 * call is cancelled, interrupts it once it is the one running. `stop()` when the request settles.
 */
export function watchTask(id: string, call: CallOptions, options: TaskWatchOptions): { stop(): void } {
  let stopped = false;
  let cancelled = false;
  // Progress and interrupt are best effort: their failure must never fail or hang the generation.
  const guard = <T>(work: Promise<T>) => work.catch(() => undefined);

  async function reportProgress() {
    while (!stopped && !cancelled) {
      await sleep(options.intervalMs);
      if (stopped || cancelled) return;
      const state = await readTask(options.post, id);
      if (!state) return; // no /internal/progress on this server
      if (state.active && state.progress !== undefined && !stopped) {
        call.onProgress?.({ fraction: state.progress, ...(state.textinfo && { message: state.textinfo }) });
      }
    }
  }

  async function interruptWhenOurs() {
    const deadline = Date.now() + options.cancelWatchMs;
    // A request cancelled as it was sent may not have registered its task yet: look twice more.
    let unseen = 0;
    while (Date.now() < deadline) {
      const state = await readTask(options.post, id);
      // No /internal/progress (an old server) or finished: nothing of ours to stop.
      if (!state || state.completed) return;
      if (!state.active && !state.queued && ++unseen > 2) return;
      if (state.active) {
        await options.post('/sdapi/v1/interrupt', {});
        return;
      }
      await sleep(options.intervalMs);
    }
  }

  const onAbort = () => {
    cancelled = true;
    void guard(interruptWhenOurs());
  };
  if (call.signal?.aborted) onAbort();
  else call.signal?.addEventListener('abort', onAbort, { once: true });
  if (call.onProgress) void guard(reportProgress());

  return {
    stop() {
      stopped = true;
      call.signal?.removeEventListener('abort', onAbort);
    },
  };
}
