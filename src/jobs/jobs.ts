/**
 * Async jobs: any long piece of work (a generation, an edit, an upscale) run in the background
 * with an id, a status, its place in a queue, its progress and, when done, its result or error.
 * Finished jobs stay readable for `ttlMs`. The runner knows nothing of images (beyond carrying a
 * progress preview as base64): a kind, a tenant and a function that gets a signal and two callbacks.
 */
import { randomUUID } from 'node:crypto';
import { ImagegenError, type Image, type ProgressEvent } from '../imagegen/index.ts';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

const FINISHED: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);

export const isFinished = (status: JobStatus): boolean => FINISHED.has(status);

/** What a job's work gets: cancel on `signal`; say where it stands with `queue` and `progress`. */
export interface JobContext {
  signal: AbortSignal;
  /** 1-based place in a line while waiting; 0 when the work starts (the job becomes running). */
  queue(position: number): void;
  /** Progress of running work; the first report also marks the job running. */
  progress(event: ProgressEvent): void;
  /**
   * The quota reservation the work took, kept with the job so that whoever finds the job
   * abandoned (its replica died) can refund it. Awaited before the work goes on.
   */
  reserved(reservation: unknown): Promise<void>;
}

/** A progress preview on the wire, in the shape of an answer's image. */
export interface PreviewView {
  b64_json: string;
  mime_type: string;
  width?: number;
  height?: number;
}

/** The wire view of a job (snake_case); `result` only once it succeeded. */
export interface JobView {
  id: string;
  object: 'job';
  kind: string;
  status: JobStatus;
  created_at: string;
  started_at?: string;
  finished_at?: string;
  queue_position?: number;
  progress?: { fraction?: number; step?: number; total_steps?: number; message?: string; preview?: PreviewView };
  result?: unknown;
  error?: { code: string; message: string; param?: string };
}

interface Job {
  view: JobView;
  tenant: string;
  onChange?: (view: JobView) => void;
  controller: AbortController;
  listeners: Set<(view: JobView) => void>;
}

export interface JobRunnerSettings {
  ttlMs: number;
  maxJobs: number;
  /** Called once per finished job (metrics). */
  onFinish?: (kind: string, status: JobStatus) => void;
  /** A job failed with something that is not one of our errors (a bug): for the log. */
  onUnexpected?: (kind: string, error: unknown) => void;
}

export interface SubmitOptions<T> {
  kind: string;
  tenant: string;
  run: (context: JobContext) => Promise<T>;
  /** The id to use (a shared job table picks it first); default a new one. */
  id?: string;
  /** Every change of the job's view, finished included (a shared job table mirrors them). */
  onChange?: (view: JobView) => void;
  /** See JobContext.reserved. */
  onReserved?: (reservation: unknown) => Promise<void>;
}

/** Same key, same tenant: the same job, not a second one (and not a second bill). */
export interface IdempotentSubmit<T> extends Omit<SubmitOptions<T>, 'id' | 'onChange' | 'onReserved'> {
  idempotencyKey?: string;
}

/**
 * Jobs as the routes see them: in this process (JobRunner) or in a table every replica shares
 * (jobs/postgres-jobs.ts). Asynchronous, as the shared one reads the database.
 */
export interface Jobs {
  submit<T>(options: IdempotentSubmit<T>): Promise<JobView>;
  get(id: string, tenant: string): Promise<JobView | undefined>;
  subscribe(id: string, tenant: string, listener: (view: JobView) => void): Promise<(() => void) | undefined>;
  cancel(id: string, tenant: string): Promise<JobView | undefined>;
  close(): Promise<void>;
}

/** The in-process jobs of one daemon (the embedded default), with idempotency keys kept in memory. */
export function localJobs(runner: JobRunner): Jobs {
  const byKey = new Map<string, string>();
  return {
    async submit(options) {
      const { idempotencyKey, ...rest } = options;
      const key = idempotencyKey === undefined ? undefined : `${options.tenant}\0${idempotencyKey}`;
      const known = key === undefined ? undefined : byKey.get(key);
      const existing = known === undefined ? undefined : runner.get(known, options.tenant);
      if (existing) return existing;
      const view = runner.submit(rest);
      if (key !== undefined) byKey.set(key, view.id);
      return view;
    },
    get: async (id, tenant) => runner.get(id, tenant),
    subscribe: async (id, tenant, listener) => runner.subscribe(id, tenant, listener),
    cancel: async (id, tenant) => runner.cancel(id, tenant),
    close: () => runner.close(),
  };
}

export class JobRunner {
  private readonly jobs = new Map<string, Job>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The work of every unfinished job, so close() can wait for their refunds and records. */
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly settings: JobRunnerSettings) {}

  /** Starts the work now and returns its view at once (status `queued`). */
  submit<T>({ kind, tenant, run, id, onChange, onReserved }: SubmitOptions<T>): JobView {
    this.makeRoom();
    const view: JobView = { id: id ?? `job_${randomUUID()}`, object: 'job', kind, status: 'queued', created_at: new Date().toISOString() };
    const job: Job = { view, tenant, onChange, controller: new AbortController(), listeners: new Set() };
    this.jobs.set(view.id, job);
    const context: JobContext = {
      signal: job.controller.signal,
      queue: (position) => {
        if (this.finished(job)) return;
        if (position === 0) return this.start(job);
        // Every change in a line re-announces each place; only a new place is news.
        if (job.view.status !== 'queued' || job.view.queue_position !== position) this.update(job, { status: 'queued', queue_position: position });
      },
      progress: (event) => {
        if (this.finished(job)) return;
        this.start(job);
        this.update(job, {
          progress: {
            ...(event.fraction !== undefined && { fraction: Math.round(event.fraction * 1000) / 1000 }),
            ...(event.step !== undefined && { step: event.step }),
            ...(event.totalSteps !== undefined && { total_steps: event.totalSteps }),
            ...(event.message !== undefined && { message: event.message }),
            ...(event.preview !== undefined && { preview: previewView(event.preview) }),
          },
        });
      },
      reserved: async (reservation) => onReserved?.(reservation),
    };
    const work = run(context).then(
      (result) => this.finish(job, { status: 'succeeded', result }),
      (error: unknown) => {
        if (!(error instanceof ImagegenError)) this.settings.onUnexpected?.(kind, error);
        this.finish(job, { status: job.controller.signal.aborted ? 'cancelled' : 'failed', error: describe(error) });
      },
    );
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
    return { ...view };
  }

  /** The job as its tenant sees it; another tenant's job is not found. */
  get(id: string, tenant: string): JobView | undefined {
    const job = this.jobs.get(id);
    return job && job.tenant === tenant ? { ...job.view } : undefined;
  }

  /** Calls `listener` with every change until the job finishes; returns the unsubscribe. */
  subscribe(id: string, tenant: string, listener: (view: JobView) => void): (() => void) | undefined {
    const job = this.jobs.get(id);
    if (!job || job.tenant !== tenant) return undefined;
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  cancel(id: string, tenant: string): JobView | undefined {
    const job = this.jobs.get(id);
    if (!job || job.tenant !== tenant) return undefined;
    if (!this.finished(job)) job.controller.abort(new ImagegenError('cancelled', 'the job was cancelled', { retryable: false }));
    return { ...job.view };
  }

  /** Cancels every unfinished job and waits until each has wound down (refunded, recorded). */
  async close(): Promise<void> {
    for (const job of this.jobs.values()) job.controller.abort(new ImagegenError('cancelled', 'the service is shutting down', { retryable: false }));
    await Promise.all(this.running);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private finished(job: Job): boolean {
    return FINISHED.has(job.view.status);
  }

  private start(job: Job): void {
    if (job.view.status === 'running') return;
    const { queue_position: _gone, ...rest } = job.view;
    job.view = { ...rest, status: 'running', started_at: new Date().toISOString() };
    this.emit(job);
  }

  private update(job: Job, change: Partial<JobView>): void {
    job.view = { ...job.view, ...change };
    this.emit(job);
  }

  private finish(job: Job, change: Partial<JobView>): void {
    const { queue_position: _gone, ...rest } = job.view;
    job.view = { ...rest, ...change, finished_at: new Date().toISOString() };
    this.settings.onFinish?.(job.view.kind, job.view.status);
    this.emit(job);
    job.listeners.clear();
    const timer = setTimeout(() => {
      this.jobs.delete(job.view.id);
      this.timers.delete(timer);
    }, this.settings.ttlMs);
    timer.unref();
    this.timers.add(timer);
  }

  private emit(job: Job): void {
    job.onChange?.({ ...job.view });
    for (const listener of job.listeners) listener({ ...job.view });
  }

  /** At the cap, the oldest finished job goes early; if none has finished, 429 overloaded. */
  private makeRoom(): void {
    if (this.jobs.size < this.settings.maxJobs) return;
    for (const [id, job] of this.jobs) {
      if (this.finished(job)) {
        this.jobs.delete(id);
        return;
      }
    }
    throw new ImagegenError('overloaded', `${this.jobs.size} jobs are already queued or running`, { retryAfter: 10 });
  }
}

function describe(error: unknown): NonNullable<JobView['error']> {
  if (error instanceof ImagegenError) return { code: error.code, message: error.message, ...(error.param !== undefined && { param: error.param }) };
  return { code: 'internal_error', message: 'internal error; see the daemon log' };
}

function previewView({ bytes, mimeType, width, height }: Image): PreviewView {
  return { b64_json: Buffer.from(bytes).toString('base64'), mime_type: mimeType, ...(width !== undefined && { width }), ...(height !== undefined && { height }) };
}
