/**
 * ComfyUI's HTTP and websocket protocol (backends.md 4.1, 4.2), one call per function: submit a
 * prompt, read its history, fetch an output from /view, upload an input, cancel, and discover the
 * node lists. Nothing here knows about canonical requests.
 */
import WebSocket from 'ws';
import { ImagegenError, untilAborted } from '../../imagegen/index.ts';
import { errorFromResponse, httpCall, readJson, type FetchFunction } from '../http.ts';
import { parseComfyUIError, type ExecutionErrorData } from './comfyui-error.ts';
import type { Graph } from './comfyui-workflow.ts';

export interface ComfyUIClientOptions {
  provider: string;
  baseURL: string;
  headers: () => Record<string, string>;
  fetch?: FetchFunction;
  /** Per HTTP call (not per generation). */
  requestTimeoutMs: number;
  /** How long node lists from /object_info are trusted. */
  discoveryTtlMs: number;
}

export interface FileRef {
  filename: string;
  subfolder?: string;
  type?: string;
}

export interface HistoryEntry {
  outputs?: Record<string, { images?: FileRef[] }>;
  status?: { status_str?: string; completed?: boolean; messages?: [string, Record<string, unknown>][] };
}

export type SubmitAnswer = { ok: true; promptId: string; nodeErrors: Record<string, unknown> } | { ok: false; status: number; body: unknown };

export class ComfyUIClient {
  private readonly discovery = new Map<string, { at: number; info: Promise<Record<string, unknown>> }>();

  constructor(readonly options: ComfyUIClientOptions) {}

  private url(path: string): string {
    return `${this.options.baseURL.replace(/\/+$/, '')}${path}`;
  }

  private async call(path: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const { provider, fetch, requestTimeoutMs } = this.options;
    const headers = { ...this.options.headers(), ...(init.headers as Record<string, string> | undefined) };
    return httpCall(this.url(path), { ...init, headers }, { provider, fetch, timeoutMs: requestTimeoutMs, signal });
  }

  private async json(path: string, init: RequestInit, signal?: AbortSignal): Promise<unknown> {
    const response = await this.call(path, init, signal);
    if (!response.ok) throw await errorFromResponse(response, this.options.provider, parseComfyUIError);
    return readJson(response, this.options.provider);
  }

  /** POST /prompt. A 400 is returned, not thrown: only the caller knows which input was whose. */
  async submit(graph: Graph, promptId: string, clientId: string, signal?: AbortSignal): Promise<SubmitAnswer> {
    const body = JSON.stringify({ prompt: graph, client_id: clientId, prompt_id: promptId });
    const response = await this.call('/prompt', { method: 'POST', headers: { 'content-type': 'application/json' }, body }, signal);
    if (response.status === 400) {
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // a proxy's page, not ComfyUI's JSON: the text is the message
      }
      return { ok: false, status: 400, body };
    }
    if (!response.ok) throw await errorFromResponse(response, this.options.provider, parseComfyUIError);
    const answer = (await readJson(response, this.options.provider)) as { prompt_id?: unknown; node_errors?: Record<string, unknown> };
    if (typeof answer.prompt_id !== 'string') throw this.malformed('POST /prompt gave no prompt_id');
    return { ok: true, promptId: answer.prompt_id, nodeErrors: answer.node_errors ?? {} };
  }

  /** GET /history/{id}: undefined until the prompt has finished (ComfyUI answers `{}`). */
  async history(promptId: string, signal?: AbortSignal): Promise<HistoryEntry | undefined> {
    const body = (await this.json(`/history/${encodeURIComponent(promptId)}`, { method: 'GET' }, signal)) as Record<string, HistoryEntry>;
    return body?.[promptId];
  }

  /** GET /view: an output file's bytes. */
  async view(ref: FileRef, signal?: AbortSignal): Promise<Uint8Array> {
    const query = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder ?? '', type: ref.type ?? 'output' });
    const response = await this.call(`/view?${query}`, { method: 'GET' }, signal);
    if (!response.ok) throw await errorFromResponse(response, this.options.provider, parseComfyUIError);
    return new Uint8Array(await response.arrayBuffer());
  }

  /**
   * POST /upload/image into input/. The server keeps the name for identical bytes and renames
   * different bytes under a taken name to "x (1).png", so the answer's name is the one to use.
   */
  async upload(bytes: Uint8Array, filename: string, signal?: AbortSignal): Promise<string> {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), filename);
    form.append('type', 'input');
    const answer = (await this.json('/upload/image', { method: 'POST', body: form }, signal)) as { name?: unknown; subfolder?: unknown };
    if (typeof answer.name !== 'string') throw this.malformed('POST /upload/image gave no name');
    return typeof answer.subfolder === 'string' && answer.subfolder !== '' ? `${answer.subfolder}/${answer.name}` : answer.name;
  }

  /**
   * Stop prompts. A server with the jobs API takes `POST /api/jobs/{id}/cancel`, which dequeues a
   * waiting prompt or interrupts a running one, that one only (server.py `cancel_job_by_id`, answer
   * `{cancelled}`). An older server 404s it; there we delete from the queue and interrupt only after
   * seeing the prompt in queue_running, so one whose /interrupt ignores prompt_id cannot stop
   * another client's prompt.
   */
  async cancel(promptIds: string[]): Promise<void> {
    if (promptIds.length === 0) return;
    const quiet = async (path: string, body?: unknown) => {
      const init: RequestInit = { method: body === undefined ? 'GET' : 'POST' };
      if (body !== undefined) Object.assign(init, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const response = await this.call(path, init).catch(() => undefined);
      return response?.ok ? response : undefined;
    };
    const viaJobs = await Promise.all(promptIds.map((id) => quiet(`/api/jobs/${encodeURIComponent(id)}/cancel`, {})));
    const left = promptIds.filter((_, i) => !viaJobs[i]);
    if (left.length === 0) return;
    await quiet('/queue', { delete: left });
    const queue = (await (await quiet('/queue'))?.json().catch(() => undefined)) as { queue_running?: unknown[][] } | undefined;
    const running = new Set((queue?.queue_running ?? []).map((item) => item?.[1]));
    for (const id of left) if (running.has(id)) await quiet('/interrupt', { prompt_id: id });
  }

  /** GET /object_info/{class}, cached for discoveryTtlMs (node lists change only when files do). */
  async nodeInfo(nodeClass: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const cached = this.discovery.get(nodeClass);
    if (cached && Date.now() - cached.at < this.options.discoveryTtlMs) return untilAborted(cached.info, signal);
    // Shared by concurrent callers, so it runs without any one caller's signal; each waits on its own.
    const info = this.json(`/object_info/${encodeURIComponent(nodeClass)}`, { method: 'GET' }).then((body) => {
      const node = (body as Record<string, unknown>)?.[nodeClass];
      if (typeof node !== 'object' || node === null) throw this.malformed(`the server has no ${nodeClass} node`);
      return node as Record<string, unknown>;
    });
    this.discovery.set(nodeClass, { at: Date.now(), info });
    info.catch(() => this.discovery.delete(nodeClass));
    return untilAborted(info, signal);
  }

  /** The choices of a combo input (`[[choices...], {meta}]`), e.g. KSampler's sampler_name. */
  async choices(nodeClass: string, input: string, signal?: AbortSignal): Promise<string[]> {
    const info = await this.nodeInfo(nodeClass, signal);
    const spec = (info.input as { required?: Record<string, unknown>; optional?: Record<string, unknown> } | undefined);
    const entry = spec?.required?.[input] ?? spec?.optional?.[input];
    const list = Array.isArray(entry) ? entry[0] : undefined;
    if (!Array.isArray(list)) throw this.malformed(`${nodeClass}.${input} is not a list of choices`);
    return list.filter((choice): choice is string => typeof choice === 'string');
  }

  /** Forget discovered lists (after the server refused a name it had listed). */
  forgetDiscovery(): void {
    this.discovery.clear();
  }

  /** Open /ws?clientId=...; undefined when the socket cannot be opened (polling takes over). */
  async openEvents(clientId: string, timeoutMs: number): Promise<PromptEvents | undefined> {
    const url = new URL(this.url(`/ws?clientId=${encodeURIComponent(clientId)}`));
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url, { headers: this.options.headers(), handshakeTimeout: timeoutMs });
    const opened = await new Promise<boolean>((resolve) => {
      socket.once('open', () => resolve(true));
      socket.once('error', () => resolve(false));
      socket.once('unexpected-response', (_request, response) => {
        response.resume();
        resolve(false);
      });
    });
    if (!opened) {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      return undefined;
    }
    return new PromptEvents(socket);
  }

  private malformed(message: string): ImagegenError {
    return new ImagegenError('provider_error', `${this.options.provider}: ${message}`, { provider: this.options.provider, retryable: true });
  }
}

export interface ProgressData {
  value: number;
  max: number;
  node?: string;
}

/**
 * The websocket's events, sorted by prompt id. Events may arrive before POST /prompt has
 * answered with the id, so they are kept until someone asks. A wake-up means "look at the
 * history now"; the history stays the one source of outputs and errors.
 */
export class PromptEvents {
  private readonly finished = new Set<string>();
  private readonly errors = new Map<string, ExecutionErrorData>();
  private readonly waiters = new Map<string, () => void>();
  private closed = false;
  onProgress?: (promptId: string, progress: ProgressData) => void;

  constructor(private readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      if (!isBinary) this.handle(String(data));
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const wake of this.waiters.values()) wake();
    });
  }

  get connected(): boolean {
    return !this.closed;
  }

  private handle(text: string): void {
    let message: { type?: string; data?: Record<string, unknown> };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const data = message.data ?? {};
    const id = typeof data.prompt_id === 'string' ? data.prompt_id : undefined;
    if (!id) return;
    switch (message.type) {
      case 'progress':
        this.onProgress?.(id, { value: Number(data.value), max: Number(data.max), node: data.node as string | undefined });
        return;
      case 'executing':
        // node null: the prompt is done and its history written (main.py sends it after task_done).
        if (data.node !== null) return;
        this.finished.add(id);
        break;
      case 'execution_error':
        this.errors.set(id, data as ExecutionErrorData);
        break;
      default:
        return;
    }
    this.waiters.get(id)?.();
  }

  /** The error the socket reported for a prompt, if any. */
  errorOf(promptId: string): ExecutionErrorData | undefined {
    return this.errors.get(promptId);
  }

  /** Resolve when the prompt is done or failed, the socket closes, or after `ms`. */
  wait(promptId: string, ms: number, signal: AbortSignal): Promise<void> {
    if (this.finished.has(promptId) || this.errors.has(promptId) || this.closed) return Promise.resolve();
    return sleepUntil(ms, signal, (wake) => this.waiters.set(promptId, wake)).finally(() => this.waiters.delete(promptId));
  }

  close(): void {
    this.socket.removeAllListeners('message');
    this.socket.close();
  }
}

/** Sleep `ms`, or less when `register`'s wake-up is called; reject when the signal fires. */
export function sleepUntil(ms: number, signal: AbortSignal, register?: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', onAbort, { once: true });
    register?.(done);
  });
}
