/**
 * How the CLI reaches the service: over HTTP to a daemon, or `--local`, through the same app in
 * process (no port). Either way the CLI speaks the HTTP contract, so both paths answer alike.
 */
import { resolveConfig } from '../config/index.ts';
import { createEngine } from '../engine.ts';
import { createApp } from '../server/app.ts';

export interface Answer {
  status: number;
  contentType: string;
  json?: unknown;
  bytes?: Uint8Array;
}

export interface Client {
  call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  /** Server-Sent Events from a GET, until the server ends the stream. */
  events(path: string): AsyncIterable<{ event: string; data: string }>;
  /** The same request, answered as a streaming Response (progress lines of `kimaging upscale`). */
  open(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** The daemon did not answer at all (refused, unresolvable, reset before any answer). */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
}

export interface ClientOptions {
  url: string;
  apiKey?: string;
  local?: boolean;
  configPath?: string;
}

export async function createClient(options: ClientOptions): Promise<Client> {
  let fetchFn: (request: Request) => Promise<Response>;
  let close = async () => {};
  if (options.local) {
    const engine = await createEngine(await resolveConfig({ configPath: options.configPath }));
    const app = createApp(engine);
    fetchFn = async (request) => app.fetch(request);
    close = () => engine.close();
  } else {
    fetchFn = (request) => fetch(request);
  }
  const base = options.local ? 'http://local' : options.url.replace(/\/+$/, '');
  const open: Client['open'] = async (method, path, body, headers = {}) => {
    const request = new Request(base + path, {
      method,
      headers: {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    try {
      return await fetchFn(request);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new UnreachableError(`cannot reach ${base}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
  };
  return {
    open,
    async *events(path) {
      const response = await open('GET', path, undefined, { accept: 'text/event-stream' });
      if (!response.ok || !response.body) return;
      let buffer = '';
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        buffer += chunk.value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trimStart()]));
          if (fields.data !== undefined) yield { event: fields.event ?? 'message', data: fields.data };
        }
      }
    },
    async call(method, path, body, headers = {}) {
      const response = await open(method, path, body, headers);
      const contentType = response.headers.get('content-type') ?? '';
      if (contentType.includes('json')) return { status: response.status, contentType, json: await response.json() };
      return { status: response.status, contentType, bytes: new Uint8Array(await response.arrayBuffer()) };
    },
    close,
  };
}
