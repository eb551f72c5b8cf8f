/**
 * Fake SDAPI servers on 127.0.0.1, faithful to the quirks in ../shared/reference/backends.md
 * (sections 2, 3.4 and 3.7), recording the native bodies they receive:
 * - A1111 (v1.9+, or `legacy` for < 1.9): `info` as a JSON string, seed -1 -> a random 32-bit seed,
 *   all_seeds = seed + i, an unknown sampler silently replaced by the first one and an unknown
 *   scheduler by Automatic, a grid at index 0 with save_images + return_grid, extra images after the
 *   batch, FastAPI's 422 `{detail: [...]}` for a wrong type, 404 "Init image not found", 500 "Invalid
 *   encoded image", the 401 body of --api-auth, an unknown override checkpoint as a 500, one
 *   generation at a time (queue_lock). Tasks as in modules/progress.py: `force_task_id` names the
 *   task, `POST /internal/progress {id_task}` answers active/queued/completed for it, and
 *   `POST /sdapi/v1/interrupt` stops whatever runs (shared.state.interrupt), whoever sent it.
 * - sd-server: string errors `{error: "..."}`, batch_size clamped to 1..8 and steps to 1..100 without
 *   a word, unknown sampler/scheduler names ignored (schedulers case-sensitive), `info` with seed and
 *   all_seeds (or "" as before #1426), the model field ignored.
 * - sd-server's native async API (3.1, 3.5; off with `native: false` to play a server before #1407):
 *   GET /sdcpp/v1/capabilities, POST /sdcpp/v1/img_gen -> 202 job (429 "job queue is full" past
 *   `queueLimit` queued jobs), GET /sdcpp/v1/jobs/{id} with queue_position and a completed result
 *   `{output_format, images: [{index, b64_json}]}` or a failed `{code, message}`, POST .../cancel
 *   (200, 404 unknown, 409 finished), jobs run one at a time through the same context mutex.
 * - llama-swap: routes /sdapi POSTs by the body's `model`, GETs through /upstream/<model>/, 404
 *   "no model id could be identified" in its own envelope.
 * Each image is a solid colour derived from its seed, so a test can tell which seed made it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body?: Record<string, unknown>;
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  /** A1111 tasks: the ids that ran to the end, and the id running when each interrupt came. */
  tasks: { finished: string[]; interrupted: (string | null)[] };
  /** sd-server native jobs by id, in submission order; `cancels` lists every cancel asked for. */
  jobs: Map<string, FakeJob>;
  cancels: string[];
  /** Highest number of generations that ran at the same time. */
  maxConcurrent: number;
  /** Highest number of generation requests open at the same time (the server queues them inside). */
  maxInFlight: number;
  close(): Promise<void>;
}

export interface FakeJob {
  id: string;
  status: 'queued' | 'generating' | 'completed' | 'failed' | 'cancelled';
  body: Record<string, unknown>;
  created: number;
  started: number | null;
  completed: number | null;
  result: { output_format: string; images: { index: number; b64_json: string }[] } | null;
  error: { code: string; message: string } | null;
}

export interface SdapiFakeOptions {
  flavor: 'a1111' | 'sdcpp';
  /** A1111 before 1.9: combined sampler labels ("DPM++ 2M Karras"), no /schedulers, no scheduler field. */
  legacy?: boolean;
  /** A1111 --api-auth user:pass. */
  apiAuth?: string;
  /** A1111 opts.return_grid (only matters with save_images and 2+ images). */
  returnGrid?: boolean;
  /** Images appended after the batch (return_mask, ControlNet detect maps). */
  extraImages?: number;
  /** sd-server before #1426 answered `info: ""`. */
  emptyInfo?: boolean;
  checkpoints?: string[];
  /** Time each generation takes. */
  delayMs?: number;
  /** Time the discovery routes (samplers, schedulers, sd-models) take, as for a cold llama-swap model. */
  discoveryDelayMs?: number;
  /** A1111 without /internal/progress (a build before the task queue): it answers 404. */
  noTaskProgress?: boolean;
  /** sd-server: offer the native /sdcpp/v1 API (default true; false plays a server before #1407). */
  native?: boolean;
  /** sd-server native: most jobs queued (not yet generating) before img_gen answers 429 (the server's is 64). */
  queueLimit?: number;
  /** sd-server native: time img_gen takes to answer 202 (the job exists from the start). */
  submitDelayMs?: number;
  /** sd-server native: the next job fails with this message (`generation_failed`). */
  failNext?: string;
  /** The next generation answers this instead (an error body, or a recorded answer). */
  answerNext?: { status: number; body: unknown };
}

const A1111_SAMPLERS = ['DPM++ 2M', 'DPM++ SDE', 'DPM++ 2M SDE', 'DPM++ 2M SDE Heun', 'DPM++ 2S a', 'DPM++ 3M SDE', 'Euler a', 'Euler', 'LMS', 'Heun', 'DPM2', 'DPM2 a', 'DPM fast', 'DPM adaptive', 'Restart', 'DDIM', 'PLMS', 'UniPC', 'LCM'];
const A1111_LEGACY_SAMPLERS = ['DPM++ 2M Karras', 'DPM++ SDE Karras', 'DPM++ 2M SDE Exponential', 'DPM++ 2M SDE Karras', 'Euler a', 'Euler', 'LMS', 'Heun', 'DPM2', 'DPM2 a', 'DPM++ 2S a', 'DPM++ 2M', 'DPM++ SDE', 'DPM++ 2M SDE', 'DPM fast', 'DPM adaptive', 'LMS Karras', 'DPM2 Karras', 'DPM2 a Karras', 'DPM++ 2S a Karras', 'DDIM', 'PLMS', 'UniPC'];
const A1111_SCHEDULERS: [string, string][] = [['automatic', 'Automatic'], ['uniform', 'Uniform'], ['karras', 'Karras'], ['exponential', 'Exponential'], ['polyexponential', 'Polyexponential'], ['sgm_uniform', 'SGM Uniform'], ['kl_optimal', 'KL Optimal'], ['align_your_steps', 'Align Your Steps'], ['simple', 'Simple'], ['normal', 'Normal'], ['ddim', 'DDIM'], ['beta', 'Beta']];
const SDCPP_SAMPLERS = ['euler', 'euler_a', 'heun', 'dpm2', 'dpm++2s_a', 'dpm++2m', 'dpm++2mv2', 'ipndm', 'ipndm_v', 'lcm', 'ddim_trailing', 'tcd', 'res_multistep', 'res_2s', 'er_sde', 'euler_cfg_pp', 'euler_a_cfg_pp', 'euler_ge', 'dpm++2m_sde', 'dpm++2m_sde_bt', 'lms'];
const SDCPP_ALIASES: Record<string, string> = { 'euler a': 'euler_a', k_euler_a: 'euler_a', 'dpm++ 2m': 'dpm++2m', ddim: 'ddim_trailing' };
const SDCPP_SCHEDULERS = ['discrete', 'karras', 'exponential', 'ays', 'gits', 'sgm_uniform', 'simple', 'smoothstep', 'kl_optimal', 'lcm', 'bong_tangent', 'ltx2', 'logit_normal', 'flux2', 'flux', 'beta'];

/** The colour a fake paints for a seed: tests read it back to learn which seed made an image. */
export function colourOfSeed(seed: number): [number, number, number] {
  return [seed % 251, Math.floor(seed / 251) % 251, Math.floor(seed / 63001) % 251];
}

export async function pngOf(width: number, height: number, rgb: [number, number, number]): Promise<string> {
  const png = await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toBuffer();
  return png.toString('base64');
}

export function startSdapiFake(options: SdapiFakeOptions): Promise<FakeServer & { options: SdapiFakeOptions }> {
  let running = 0;
  let queue: Promise<void> = Promise.resolve();
  const state = { maxConcurrent: 0, inFlight: 0, maxInFlight: 0 };
  // modules/progress.py: pending_tasks, current_task, finished_tasks; the interrupt flag of shared.state.
  const tasks = { pending: new Set<string>(), current: undefined as string | undefined, started: 0, finished: [] as string[], interrupted: [] as (string | null)[] };
  let interrupt: (() => void) | undefined;
  // async_jobs.cpp: the job table, one worker through the context mutex, cancel by id.
  const jobs = new Map<string, FakeJob>();
  const cancels: string[] = [];
  const jobWakers = new Map<string, () => void>();

  async function runJob(job: FakeJob) {
    if (job.status !== 'queued') return; // cancelled while queued
    running++;
    state.maxConcurrent = Math.max(state.maxConcurrent, running);
    Object.assign(job, { status: 'generating', started: Math.floor(Date.now() / 1000) });
    try {
      if (options.delayMs) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.delayMs);
          jobWakers.set(job.id, () => {
            clearTimeout(timer);
            resolve();
          });
        });
        jobWakers.delete(job.id);
      }
      if ((job.status as FakeJob['status']) === 'cancelled') return;
      if (options.failNext !== undefined) {
        const message = options.failNext;
        options.failNext = undefined;
        return Object.assign(job, { status: 'failed', completed: Math.floor(Date.now() / 1000), error: { code: 'generation_failed', message } });
      }
      const b = job.body;
      const seed = typeof b.seed === 'number' && b.seed >= 0 ? b.seed : Math.floor(Math.random() * 2147483647);
      const count = Math.min(8, Math.max(1, typeof b.batch_count === 'number' ? b.batch_count : 1));
      let width = typeof b.width === 'number' ? b.width : undefined;
      let height = typeof b.height === 'number' ? b.height : undefined;
      if (typeof b.init_image === 'string') {
        const meta = await sharp(Buffer.from(b.init_image, 'base64')).metadata().catch(() => undefined);
        width ??= meta?.width;
        height ??= meta?.height;
      }
      const images = await Promise.all(Array.from({ length: count }, async (_, index) => ({ index, b64_json: await pngOf(width ?? 512, height ?? 512, colourOfSeed(seed + index)) })));
      Object.assign(job, { status: 'completed', completed: Math.floor(Date.now() / 1000), result: { output_format: 'png', images } });
    } finally {
      running--;
    }
  }

  function jobAnswer(method: string, id: string, cancel: boolean, res: ServerResponse) {
    const job = jobs.get(id);
    if (cancel) {
      if (method !== 'POST') return send(res, 404, { error: { code: 'not_found', message: 'not found' } });
      cancels.push(id);
      if (!job) return send(res, 404, { error: { code: 'job_not_found', message: 'job not found' } });
      if (!['queued', 'generating'].includes(job.status)) return send(res, 409, { error: { code: 'job_finished', message: 'job already finished' } });
      // cancel_generating: the worker's sampling stops at its next step.
      Object.assign(job, { status: 'cancelled', completed: Math.floor(Date.now() / 1000), error: { code: 'cancelled', message: 'job cancelled by client' } });
      jobWakers.get(id)?.();
      return send(res, 200, view(job));
    }
    if (method !== 'GET' || !job) return send(res, 404, { error: { code: 'job_not_found', message: 'job not found' } });
    return send(res, 200, view(job));
  }

  /** The job as GET /sdcpp/v1/jobs/{id} shows it: queue_position counts the queued jobs ahead (0 once it runs). */
  function view(job: FakeJob) {
    const ahead = [...jobs.values()].filter((j) => j.status === 'queued');
    const queue_position = job.status === 'queued' ? ahead.indexOf(job) + 1 : 0;
    const { body: _body, ...shown } = job;
    return { ...shown, kind: 'img_gen', queue_position };
  }

  const handler = async (req: RecordedRequest, res: ServerResponse) => {
    if (options.apiAuth && req.headers.authorization !== `Basic ${Buffer.from(options.apiAuth).toString('base64')}`) {
      // A1111's own exception handler: no WWW-Authenticate header, its four-field body.
      return send(res, 401, { error: 'HTTPException', detail: 'Not authenticated', body: '', errors: '' });
    }
    const route = `${req.method} ${req.path.split('?')[0]}`;
    const sdcpp = options.flavor === 'sdcpp';
    if (req.method === 'GET' && options.discoveryDelayMs && !route.startsWith('GET /sdcpp/v1/jobs/')) await new Promise((resolve) => setTimeout(resolve, options.discoveryDelayMs));
    const jobRoute = /^(GET|POST) \/sdcpp\/v1\/jobs\/([^/]+)(\/cancel)?$/.exec(route);
    if (jobRoute && sdcpp && options.native !== false) return jobAnswer(jobRoute[1]!, decodeURIComponent(jobRoute[2]!), jobRoute[3] !== undefined, res);
    switch (route) {
      case 'GET /sdapi/v1/samplers':
        if (sdcpp) return send(res, 200, ['default', ...SDCPP_SAMPLERS].map((name) => ({ name, aliases: [name], options: {} })));
        return send(res, 200, (options.legacy ? A1111_LEGACY_SAMPLERS : A1111_SAMPLERS).map((name) => ({ name, aliases: [], options: {} })));
      case 'GET /sdapi/v1/schedulers':
        if (sdcpp) return send(res, 200, ['default', 'discrete', 'normal', ...SDCPP_SCHEDULERS.slice(1)].map((name) => ({ name, label: name })));
        if (options.legacy) return send(res, 404, { detail: 'Not Found' });
        return send(res, 200, A1111_SCHEDULERS.map(([name, label]) => ({ name, label, aliases: null, default_rho: -1, need_inner_model: false })));
      case 'GET /sdapi/v1/sd-models': {
        const names = sdcpp ? ['sd-model'] : (options.checkpoints ?? ['v1-5-pruned-emaonly.safetensors [6ce0161689]']);
        return send(res, 200, names.map((title) => ({ title, model_name: title.replace(/\.safetensors.*$/, ''), hash: null, filename: `/models/${title}` })));
      }
      case 'POST /internal/progress': {
        if (sdcpp || options.noTaskProgress) break;
        const id = String(req.body?.id_task);
        const active = id === tasks.current;
        const progress = active && options.delayMs ? Math.min(1, (Date.now() - tasks.started) / options.delayMs) : 0;
        return send(res, 200, {
          active,
          queued: tasks.pending.has(id),
          completed: tasks.finished.includes(id),
          ...(active && { progress, eta: ((options.delayMs ?? 0) * (1 - progress)) / 1000 }),
          id_live_preview: -1,
          textinfo: active ? 'Sampling' : tasks.pending.has(id) ? 'In queue' : 'Waiting...',
        });
      }
      case 'POST /sdapi/v1/interrupt':
        if (sdcpp) break;
        tasks.interrupted.push(tasks.current ?? null);
        interrupt?.();
        return send(res, 200, {});
      case 'GET /sdcpp/v1/capabilities':
        if (!sdcpp || options.native === false) break;
        return send(res, 200, {
          model: { name: 'sd-model', stem: 'sd-model', path: '/models/sd-model.safetensors' },
          current_mode: 'img_gen',
          supported_modes: ['img_gen'],
          samplers: SDCPP_SAMPLERS,
          schedulers: SDCPP_SCHEDULERS,
          features_by_mode: { img_gen: { init_image: true, mask_image: true, cancel_queued: true, cancel_generating: true } },
          limits: { min_width: 64, max_width: 4096, min_height: 64, max_height: 4096, max_batch_count: 8, max_queue_size: options.queueLimit ?? 64 },
        });
      case 'POST /sdcpp/v1/img_gen': {
        if (!sdcpp || options.native === false) break;
        if (!req.body) return send(res, 400, { error: { code: 'invalid_request', message: 'empty body' } });
        // SDGenerationParams::validate runs at submission: strength in [0,1], cfg >= 0.
        const sample = (req.body.sample_params ?? {}) as { guidance?: { txt_cfg?: unknown } };
        const strength = typeof req.body.strength === 'number' ? req.body.strength : 0.75;
        const cfg = typeof sample.guidance?.txt_cfg === 'number' ? sample.guidance.txt_cfg : 7;
        if (strength < 0 || strength > 1 || cfg < 0) return send(res, 400, { error: { code: 'invalid_request', message: 'invalid params' } });
        const queued = [...jobs.values()].filter((j) => j.status === 'queued').length;
        if (queued >= (options.queueLimit ?? 64)) return send(res, 429, { error: { code: 'queue_full', message: 'job queue is full' } });
        const job: FakeJob = { id: `job_${jobs.size + 1}_${Math.random().toString(36).slice(2, 8)}`, status: 'queued', body: req.body, created: Math.floor(Date.now() / 1000), started: null, completed: null, result: null, error: null };
        jobs.set(job.id, job);
        const turn = queue.then(() => runJob(job));
        queue = turn.then(() => undefined, () => undefined);
        if (options.submitDelayMs) await new Promise((resolve) => setTimeout(resolve, options.submitDelayMs));
        return send(res, 202, { id: job.id, kind: 'img_gen', status: 'queued', created: job.created, poll_url: `/sdcpp/v1/jobs/${job.id}` });
      }
      case 'POST /sdapi/v1/txt2img':
      case 'POST /sdapi/v1/img2img': {
        state.maxInFlight = Math.max(state.maxInFlight, ++state.inFlight);
        res.once('close', () => state.inFlight--);
        const taskId = typeof req.body?.force_task_id === 'string' ? req.body.force_task_id : `task(${Math.random().toString(36).slice(2)})`;
        if (!sdcpp) tasks.pending.add(taskId);
        const generate = async () => {
          running++;
          state.maxConcurrent = Math.max(state.maxConcurrent, running);
          if (!sdcpp) {
            tasks.pending.delete(taskId);
            Object.assign(tasks, { current: taskId, started: Date.now() });
          }
          try {
            // An interrupt ends the sampling early; A1111 still answers with what it has.
            if (options.delayMs) {
              await new Promise<void>((resolve) => {
                interrupt = resolve;
                setTimeout(resolve, options.delayMs);
              });
            }
            interrupt = undefined;
            if (options.answerNext) {
              const { status, body } = options.answerNext;
              options.answerNext = undefined;
              return send(res, status, body);
            }
            const answer = sdcpp ? await sdcppGenerate(req.body, route.endsWith('img2img')) : await a1111Generate(req.body, route.endsWith('img2img'), options);
            return send(res, answer.status, answer.body);
          } finally {
            running--;
            if (!sdcpp) {
              tasks.finished.push(taskId);
              tasks.current = undefined;
            }
          }
        };
        // One generation at a time, like A1111's queue_lock and sd-server's context mutex.
        const turn = queue.then(generate);
        queue = turn.then(() => undefined, () => undefined);
        return turn;
      }
    }
    return sdcpp ? send(res, 404, 'Not Found', 'text/plain') : send(res, 404, { detail: 'Not Found' });

    async function sdcppGenerate(body: Record<string, unknown> | undefined, img2img: boolean) {
      if (!body) return { status: 400, body: { error: 'empty body' } };
      // nlohmann's j.value() throws on a wrong JSON type: the catch-all answers 500.
      for (const key of ['width', 'height', 'steps', 'seed', 'batch_size']) {
        if (body[key] !== undefined && typeof body[key] !== 'number') {
          return { status: 500, body: { error: 'server_error', message: `[json.exception.type_error.302] type must be number, but is ${typeof body[key]}` } };
        }
      }
      if (typeof body.prompt !== 'string' || body.prompt === '') return { status: 400, body: { error: 'prompt required' } };
      const cfg = (body.cfg_scale as number | undefined) ?? 7;
      if (cfg < 0) return { status: 400, body: { error: 'invalid params' } };
      let width = body.width as number | undefined;
      let height = body.height as number | undefined;
      if (img2img && Array.isArray(body.init_images) && typeof body.init_images[0] === 'string') {
        const meta = await sharp(Buffer.from(body.init_images[0], 'base64')).metadata().catch(() => undefined);
        width ??= meta?.width;
        height ??= meta?.height;
      }
      width ??= 512;
      height ??= 512;
      const asked = typeof body.sampler_name === 'string' ? body.sampler_name : '';
      const sampler = SDCPP_SAMPLERS.includes(asked) ? asked : (SDCPP_ALIASES[asked.toLowerCase()] ?? 'euler_a');
      const scheduler = SDCPP_SCHEDULERS.includes(body.scheduler as string) ? (body.scheduler as string) : 'discrete';
      const seed = typeof body.seed === 'number' && body.seed >= 0 ? body.seed : Math.floor(Math.random() * 2147483647);
      const count = Math.min(8, Math.max(1, (body.batch_size as number | undefined) ?? 1));
      const steps = Math.min(100, Math.max(1, (body.steps as number | undefined) ?? 20));
      const images = await Promise.all(Array.from({ length: count }, (_, i) => pngOf(width!, height!, colourOfSeed(seed + i))));
      const info = {
        prompt: body.prompt,
        seed,
        cfg_scale: cfg,
        width,
        height,
        steps,
        sampler_name: sampler,
        extra_generation_params: { 'Schedule type': scheduler },
        ...(img2img && { denoising_strength: Math.min(1, (body.denoising_strength as number | undefined) ?? 0.75) }),
        version: 'stable-diffusion.cpp',
        all_seeds: images.map((_, i) => seed + i),
      };
      return { status: 200, body: { images, parameters: body, info: options.emptyInfo ? '' : JSON.stringify(info) } };
    }
  };

  const server = createServer((request, res) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      let body: Record<string, unknown> | undefined;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        return send(res, options.flavor === 'sdcpp' ? 500 : 422, options.flavor === 'sdcpp' ? { error: 'server_error', message: 'parse error' } : { detail: [{ loc: ['body'], msg: 'Expecting value', type: 'value_error.jsondecode' }] });
      }
      const recorded = { method: request.method!, path: request.url!, headers: request.headers, ...(body && { body }) };
      fake.requests.push(recorded);
      handler(recorded, res).catch((error: unknown) => send(res, 500, { error: String(error) }));
    });
  });
  const fake = { url: '', requests: [] as RecordedRequest[], options, tasks, jobs, cancels, get maxConcurrent() { return state.maxConcurrent; }, get maxInFlight() { return state.maxInFlight; }, close: () => {
    // A job still sampling would keep the test process alive for its whole delay.
    for (const wake of jobWakers.values()) wake();
    return closeServer(server);
  } };
  return listen(server, fake);
}

/** A1111's txt2img/img2img handler, reduced to what changes the answer's shape. */
async function a1111Generate(body: Record<string, unknown> | undefined, img2img: boolean, options: SdapiFakeOptions) {
  const b = body ?? {};
  // FastAPI's own validation answers first, in its own shape.
  const typeErrors = ['width', 'height', 'steps', 'seed', 'batch_size', 'n_iter']
    .filter((key) => b[key] !== undefined && !Number.isInteger(b[key]))
    .map((key) => ({ loc: ['body', key], msg: 'value is not a valid integer', type: 'type_error.integer' }));
  if (typeErrors.length > 0) return { status: 422, body: { detail: typeErrors } };

  const checkpoint = (b.override_settings as { sd_model_checkpoint?: string } | undefined)?.sd_model_checkpoint;
  const checkpoints = options.checkpoints ?? ['v1-5-pruned-emaonly.safetensors [6ce0161689]'];
  if (checkpoint !== undefined && !checkpoints.includes(checkpoint)) {
    return { status: 500, body: { error: 'RuntimeError', detail: '', body: '', errors: `model "${checkpoint}" not found` } };
  }

  let width = (b.width as number | undefined) ?? 512;
  let height = (b.height as number | undefined) ?? 512;
  if (img2img) {
    if (!Array.isArray(b.init_images)) return { status: 404, body: { error: 'HTTPException', detail: 'Init image not found', body: '', errors: '' } };
    const init = await sharp(Buffer.from(String(b.init_images[0]).replace(/^data:[^,]*,/, ''), 'base64')).metadata().catch(() => undefined);
    if (!init?.width) return { status: 500, body: { error: 'HTTPException', detail: 'Invalid encoded image', body: '', errors: '' } };
    // "Only masked" pastes the inpainted crop back into the init image: the init image's size.
    if (b.mask !== undefined && b.inpaint_full_res !== false) [width, height] = [init.width, init.height!];
  }

  const samplers = options.legacy ? A1111_LEGACY_SAMPLERS : A1111_SAMPLERS;
  const asked = (b.sampler_name as string | undefined) ?? (b.sampler_index as string | undefined) ?? 'Euler';
  const sampler = samplers.includes(asked) ? asked : samplers[0]!;
  const scheduler = A1111_SCHEDULERS.find(([name, label]) => name === b.scheduler || label === b.scheduler)?.[1] ?? 'Automatic';

  const seed = typeof b.seed === 'number' && b.seed !== -1 ? b.seed : Math.floor(Math.random() * 4294967294);
  const count = ((b.batch_size as number | undefined) ?? 1) * ((b.n_iter as number | undefined) ?? 1);
  const allSeeds = Array.from({ length: count }, (_, i) => seed + i);
  const images = await Promise.all(allSeeds.map((s) => pngOf(width, height, colourOfSeed(s))));
  let first = 0;
  if (b.save_images === true && options.returnGrid && count >= 2) {
    images.unshift(await pngOf(width * 2, height, [255, 255, 255]));
    first = 1;
  }
  for (let i = 0; i < (options.extraImages ?? 0); i++) images.push(await pngOf(width, height, [0, 0, 0]));
  const info = {
    prompt: b.prompt ?? '',
    all_prompts: allSeeds.map(() => b.prompt ?? ''),
    negative_prompt: b.negative_prompt ?? '',
    seed,
    all_seeds: allSeeds,
    subseed: 0,
    width,
    height,
    sampler_name: sampler,
    cfg_scale: (b.cfg_scale as number | undefined) ?? 7,
    steps: (b.steps as number | undefined) ?? 50,
    batch_size: b.batch_size ?? 1,
    sd_model_name: (checkpoint ?? checkpoints[0]!).replace(/\.safetensors.*$/, ''),
    denoising_strength: img2img ? ((b.denoising_strength as number | undefined) ?? 0.75) : 0,
    extra_generation_params: options.legacy ? {} : { 'Schedule type': scheduler },
    index_of_first_image: first,
    infotexts: allSeeds.map((s) => `${b.prompt}\nSteps: ..., Seed: ${s}`),
  };
  const parameters = img2img ? { ...b, init_images: null, mask: null } : b;
  return { status: 200, body: { images, parameters, info: JSON.stringify(info) } };
}

/**
 * llama-swap in front of several servers: POST /sdapi/* is routed by the body's `model`, anything
 * under /upstream/<model>/ is passed through with the prefix stripped.
 */
export function startLlamaSwapFake(upstreams: Record<string, string>): Promise<FakeServer> {
  const server = createServer((request, res) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const path = request.url!;
      let body: Record<string, unknown> | undefined;
      try {
        body = raw.length ? JSON.parse(raw.toString()) : undefined;
      } catch {
        body = undefined;
      }
      fake.requests.push({ method: request.method!, path, headers: request.headers, ...(body && { body }) });
      let model: string | undefined;
      let upstreamPath = path;
      if (path.startsWith('/upstream/')) {
        model = Object.keys(upstreams).find((id) => path.startsWith(`/upstream/${id}/`));
        if (model) upstreamPath = path.slice(`/upstream/${model}`.length);
      } else if (request.method === 'POST' && ['/sdapi/v1/txt2img', '/sdapi/v1/img2img'].includes(path)) {
        model = typeof body?.model === 'string' && body.model !== '' ? body.model : undefined;
      } else {
        return sendLlamaSwapError(res, 404, 'not found');
      }
      if (!model) return sendLlamaSwapError(res, 404, 'no model id could be identified');
      const target = upstreams[model];
      if (!target) return sendLlamaSwapError(res, 404, 'no local server found for requested model');
      try {
        const answer = await fetch(target + upstreamPath, {
          method: request.method,
          headers: { 'content-type': 'application/json' },
          ...(raw.length && { body: raw }),
        });
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      } catch (error) {
        sendLlamaSwapError(res, 502, `upstream failed: ${(error as Error).message}`);
      }
    });
  });
  const fake = { url: '', requests: [] as RecordedRequest[], tasks: { finished: [], interrupted: [] }, jobs: new Map<string, FakeJob>(), cancels: [], maxConcurrent: 0, maxInFlight: 0, close: () => closeServer(server) };
  return listen(server, fake);
}

/** llama-swap's own errors: `{src, error: {message, type, param, code}}` (internal/swaputil/httperror.go). */
function sendLlamaSwapError(res: ServerResponse, status: number, message: string) {
  const [type, code] = status === 404 ? ['invalid_request_error', 'not_found'] : ['server_error', 'bad_gateway'];
  send(res, status, { src: 'llama-swap', error: { message, type, param: null, code } });
}

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json') {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': contentType });
  res.end(typeof body === 'string' && contentType !== 'application/json' ? body : JSON.stringify(body));
}

function listen<T extends { url: string }>(server: Server, fake: T): Promise<T> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve(fake);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
