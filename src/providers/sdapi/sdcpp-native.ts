/**
 * A generation through sd-server's native async API (/sdcpp/v1, examples/server/api.md): the
 * request is submitted as a job (`POST /sdcpp/v1/img_gen` -> 202 `{id, poll_url}`), the job is
 * polled (`GET /sdcpp/v1/jobs/{id}`: queued with a queue position, generating, completed, failed,
 * cancelled) and a caller's cancel becomes `POST /sdcpp/v1/jobs/{id}/cancel`, so it reaches the GPU
 * instead of only closing our socket (the /sdapi/v1 routes have no way to stop a generation).
 *
 * The body is built as for /sdapi/v1 and renamed here, so knob handling stays in one place.
 */
import { ImagegenError, abortError, untilAborted, type CallOptions } from '../../imagegen/index.ts';
import { errorFromResponse, readJson } from '../http.ts';
import { parseSdapiError } from './sdapi-error.ts';

export interface SdcppNativeOptions {
  provider: string;
  /** One short HTTP call; `path` already carries the llama-swap `/upstream/<model>` prefix. */
  send(method: 'GET' | 'POST', path: string, body: unknown, signal?: AbortSignal): Promise<Response>;
  /** Time between job readings (default 250 ms). */
  pollMs: number;
  /** The longest a job may take from submission to its images, like the /sdapi call's timeout. */
  timeoutMs: number;
}

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);

/** /sdapi/v1 field -> where the native schema (api.md "Request Body") keeps it. Unlisted fields are not sent. */
const NATIVE_FIELDS: Record<string, { path: string[]; value?: (v: unknown) => unknown }> = {
  prompt: { path: ['prompt'] },
  negative_prompt: { path: ['negative_prompt'] },
  seed: { path: ['seed'] },
  width: { path: ['width'] },
  height: { path: ['height'] },
  batch_size: { path: ['batch_count'] },
  denoising_strength: { path: ['strength'] },
  init_images: { path: ['init_image'], value: (v) => (Array.isArray(v) ? v[0] : undefined) },
  mask: { path: ['mask_image'] },
  steps: { path: ['sample_params', 'sample_steps'] },
  sampler_name: { path: ['sample_params', 'sample_method'] },
  scheduler: { path: ['sample_params', 'scheduler'] },
  cfg_scale: { path: ['sample_params', 'guidance', 'txt_cfg'] },
};

export function toNativeBody(sdapiBody: Loose): Loose {
  const native: Loose = {};
  for (const [key, raw] of Object.entries(sdapiBody)) {
    const field = NATIVE_FIELDS[key];
    const value = field?.value ? field.value(raw) : raw;
    if (!field || value === undefined) continue;
    let target = native;
    for (const part of field.path.slice(0, -1)) target = (target[part] ??= {}) as Loose;
    target[field.path.at(-1)!] = value;
  }
  return native;
}

interface Job {
  status: string;
  queuePosition?: number;
  result?: Loose;
  error?: { code?: string; message?: string };
}

function readJob(body: unknown): Job | undefined {
  if (!isObject(body) || typeof body.status !== 'string') return undefined;
  const error = isObject(body.error) ? body.error : undefined;
  return {
    status: body.status,
    ...(typeof body.queue_position === 'number' && { queuePosition: body.queue_position }),
    ...(isObject(body.result) && { result: body.result }),
    ...(error && { error: { ...(typeof error.code === 'string' && { code: error.code }), ...(typeof error.message === 'string' && { message: error.message }) } }),
  };
}

/** Resolves after `ms`, or early when the signal fires (the caller then sees `signal.aborted`). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Polls in a row that may fail (a dropped connection) before the job is given up. */
const POLL_FAILURES_ALLOWED = 3;

/**
 * Runs `sdapiBody` as a native job. The answer has the /sdapi/v1 shape (`images` in batch order,
 * `info.seed`/`all_seeds`), so the caller reads it as any other: the job reports no seeds, but the
 * seed sent is always explicit and sd-server gives image i the seed `seed + i` (its batch rule).
 */
export async function generateNative(sdapiBody: Loose, prefix: string, call: CallOptions, options: SdcppNativeOptions): Promise<Loose> {
  const provider = options.provider;
  const body = toNativeBody(sdapiBody);
  if (call.signal?.aborted) throw abortError(call.signal);
  // Sent without the caller's signal: a job the server created as we gave up would run unseen.
  // The caller stops waiting at once; the cancel follows the submission's answer.
  const submission = submit(body, prefix, options);
  const id = await untilAborted(submission, call.signal).catch((error: unknown) => {
    if (call.signal?.aborted) void submission.then((jobId) => cancelJob(jobId, prefix, options), () => undefined);
    throw error;
  });
  const jobPath = `${prefix}/sdcpp/v1/jobs/${encodeURIComponent(id)}`;
  const cancel = () => cancelJob(id, prefix, options);

  const deadline = Date.now() + options.timeoutMs;
  let reported = '';
  let failures = 0;
  for (;;) {
    if (call.signal?.aborted) {
      // Not awaited: a caller who gives up waits no longer, even on a server slow to answer the cancel.
      void cancel();
      throw abortError(call.signal);
    }
    if (Date.now() > deadline) {
      await cancel();
      throw new ImagegenError('provider_timeout', `${provider} job ${id} did not finish within ${options.timeoutMs} ms`, { provider });
    }
    let job: Job | undefined;
    try {
      job = await pollJob(jobPath, id, call.signal, options);
      failures = 0;
    } catch (error) {
      if (call.signal?.aborted) continue; // the loop's top sends the cancel
      // A 404/410 (expired or unknown job) will not get better; a dropped connection may.
      if (!ImagegenError.is(error) || error.status !== undefined || ++failures >= POLL_FAILURES_ALLOWED) {
        await cancel();
        throw error;
      }
    }
    if (job) {
      const done = settle(job, id, provider);
      if (done) return done;
      reported = report(job, reported, call);
    }
    await pause(options.pollMs, call.signal);
  }

  function settle(job: Job, jobId: string, name: string): Loose | undefined {
    if (job.status === 'completed') return sdapiAnswer(job, jobId, sdapiBody, name);
    if (job.status === 'failed') {
      throw new ImagegenError('provider_error', `${name} job failed: ${job.error?.message ?? job.error?.code ?? 'no reason given'}`, { provider: name, retryable: true, details: job.error });
    }
    if (job.status === 'cancelled') {
      // Not by us (our abort never polls again): someone else cancelled it, or the server did.
      throw new ImagegenError('provider_error', `${name} cancelled job ${jobId}: ${job.error?.message ?? 'no reason given'}`, { provider: name, retryable: true, details: job.error });
    }
    return undefined;
  }
}

async function submit(body: Loose, prefix: string, options: SdcppNativeOptions): Promise<string> {
  const provider = options.provider;
  const submitted = await options.send('POST', `${prefix}/sdcpp/v1/img_gen`, body);
  if (submitted.status === 429) {
    // The server's own backpressure: its queue (64 jobs) is full, so another backend or a later try can succeed.
    const error = await errorFromResponse(submitted, provider, parseSdapiError);
    throw new ImagegenError('overloaded', error.message, { provider, status: 429, retryable: true, ...(error.retryAfter !== undefined && { retryAfter: error.retryAfter }), details: error.details });
  }
  if (!submitted.ok) throw await errorFromResponse(submitted, provider, parseSdapiError);
  const accepted = await readJson(submitted, provider);
  if (!isObject(accepted) || typeof accepted.id !== 'string' || accepted.id === '') {
    throw new ImagegenError('provider_error', `${provider} accepted the job without an id`, { provider, retryable: true });
  }
  return accepted.id;
}

/** A job nobody waits for any more would still hold the GPU. Best effort: a finished job answers 409/410. */
function cancelJob(id: string, prefix: string, options: SdcppNativeOptions): Promise<void> {
  return options
    .send('POST', `${prefix}/sdcpp/v1/jobs/${encodeURIComponent(id)}/cancel`, {})
    .then((response) => response.body?.cancel())
    .catch(() => undefined);
}

async function pollJob(path: string, id: string, signal: AbortSignal | undefined, options: SdcppNativeOptions): Promise<Job> {
  const response = await options.send('GET', path, undefined, signal);
  if (response.status === 410 || response.status === 404) {
    await response.body?.cancel();
    // Finished jobs are kept 600 s; a 404 means the server forgot it (a restart).
    throw new ImagegenError('provider_error', `${options.provider} no longer has job ${id} (${response.status === 410 ? 'expired' : 'unknown'})`, {
      provider: options.provider,
      status: response.status,
      retryable: true,
    });
  }
  if (!response.ok) throw await errorFromResponse(response, options.provider, parseSdapiError);
  const job = readJob(await readJson(response, options.provider));
  if (!job) throw new ImagegenError('provider_error', `${options.provider} answered job ${id} without a status`, { provider: options.provider, status: response.status, retryable: true });
  return job;
}

/** A progress event when the job's state or queue position changes; the job itself reports no steps. */
function report(job: Job, last: string, call: CallOptions): string {
  const message = job.status === 'queued' ? `queued${job.queuePosition !== undefined ? ` at position ${job.queuePosition}` : ''}` : job.status;
  if (message !== last) call.onProgress?.({ ...(job.status === 'queued' && { fraction: 0 }), message });
  return message;
}

/** `{output_format, images: [{index, b64_json}]}` -> the /sdapi/v1 answer shape. */
function sdapiAnswer(job: Job, id: string, sdapiBody: Loose, provider: string): Loose {
  const list = Array.isArray(job.result?.images) ? job.result.images.filter(isObject) : [];
  const images = list
    .map((image, position) => ({ index: typeof image.index === 'number' ? image.index : position, b64: image.b64_json }))
    .sort((a, b) => a.index - b.index)
    .map((image) => image.b64);
  if (images.length === 0) throw new ImagegenError('provider_error', `${provider} completed job ${id} with no images`, { provider, retryable: true });
  const seed = sdapiBody.seed as number;
  return {
    images,
    info: { seed, all_seeds: images.map((_, i) => seed + i) },
    sdcpp_job: { id, output_format: job.result?.output_format },
  };
}
