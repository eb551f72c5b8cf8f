/**
 * A tiny configurable image backend for router fault tests: a real HTTP server on 127.0.0.1 that,
 * per call, answers after a fixed latency, fails with a status, hangs, resets the connection,
 * sends malformed JSON, dies half-way through its body, or refuses the content. Its client is a
 * provider type (`flaky`) written the way a real provider maps such faults to typed errors.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { ImagegenError, abortError, defineImageModel, isRetryableStatus, type Provider } from '../../src/imagegen/index.ts';
import type { ProviderType } from '../../src/providers/registry.ts';

export type Behaviour =
  | { kind: 'ok'; latencyMs?: number }
  | { kind: 'status'; status: number; latencyMs?: number }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'malformed' }
  | { kind: 'die_mid_body' }
  | { kind: 'blocked' };

/** A 1x1 PNG: the router never looks inside. */
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';

export interface FlakyBackend {
  url: string;
  /** Calls received, whatever the answer. */
  calls: number;
  /** Calls whose client went away before the answer (interrupted). */
  aborted: number;
  /** The behaviour of every later call (until changed). */
  behave(behaviour: Behaviour): void;
  close(): Promise<void>;
}

export async function startFlakyBackend(initial: Behaviour = { kind: 'ok' }): Promise<FlakyBackend> {
  let behaviour = initial;
  const state = { calls: 0, aborted: 0 };
  const server: Server = createServer((req, res) => {
    state.calls++;
    const current = behaviour;
    let done = false;
    res.on('close', () => {
      if (!done) state.aborted++;
    });
    const finish = (status: number, body: string) => {
      done = true;
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    };
    req.resume();
    req.on('end', () => {
      switch (current.kind) {
        case 'ok':
          return void setTimeout(() => finish(200, JSON.stringify({ images: [PNG_1X1], seed: 1 })), current.latencyMs ?? 0);
        case 'status':
          return void setTimeout(() => finish(current.status, JSON.stringify({ error: `status ${current.status}` })), current.latencyMs ?? 0);
        case 'hang':
          return; // never answers; the router's timeout has to end it
        case 'reset':
          done = true;
          return void req.socket.destroy();
        case 'malformed':
          return finish(200, '{"images": ["iVBOR');
        case 'die_mid_body':
          done = true;
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4000' });
          res.write('{"images": ["iVBORw0KGgo');
          return void setTimeout(() => req.socket.destroy(), 10);
        case 'blocked':
          return finish(400, JSON.stringify({ error: 'nsfw content detected' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get calls() {
      return state.calls;
    },
    get aborted() {
      return state.aborted;
    },
    behave(next) {
      behaviour = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The client side, as a provider type: `{type: flaky, url}`, model ids are free. */
export const flakyProviderType = {
  settings: z.object({ type: z.literal('flaky'), url: z.string().url() }).strict(),
  create: (settings: { url: string }, context: { name: string }): Provider => ({
    name: context.name,
    /** The health check: any answer at all from GET /models counts as up. */
    async listModels(options) {
      try {
        await (await fetch(`${settings.url}/models`, { signal: options?.signal })).text();
      } catch (error) {
        throw new ImagegenError('provider_error', `cannot reach ${context.name}: ${describeFault(error)}`, { provider: context.name });
      }
      return [];
    },
    imageModel: (id) =>
      defineImageModel({
        id,
        provider: context.name,
        capabilities: ['txt2img', 'img2img', 'inpaint'],
        knobs: ['size', 'n', 'seed'],
        async doGenerate(request, call) {
          let response: Response;
          try {
            response = await fetch(`${settings.url}/generate`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ prompt: request.prompt, seed: request.seed }),
              signal: call.signal,
            });
          } catch (error) {
            if (call.signal?.aborted) throw abortError(call.signal);
            throw new ImagegenError('provider_error', `cannot reach ${context.name}: ${describeFault(error)}`, { provider: context.name, cause: error });
          }
          let text: string;
          try {
            text = await response.text();
          } catch (error) {
            if (call.signal?.aborted) throw abortError(call.signal);
            throw new ImagegenError('provider_error', `${context.name} broke off its answer: ${describeFault(error)}`, { provider: context.name, cause: error });
          }
          if (response.status === 400 && text.includes('nsfw')) {
            throw new ImagegenError('content_blocked', `${context.name} refused the prompt`, { provider: context.name, status: 400 });
          }
          if (!response.ok) {
            throw new ImagegenError('provider_error', `${context.name} answered HTTP ${response.status}`, {
              provider: context.name,
              status: response.status,
              retryable: isRetryableStatus(response.status),
            });
          }
          let body: { images: string[] };
          try {
            body = JSON.parse(text) as { images: string[] };
          } catch {
            throw new ImagegenError('provider_error', `${context.name} answered with malformed JSON`, { provider: context.name });
          }
          const images = body.images.map((b64) => ({ bytes: new Uint8Array(Buffer.from(b64, 'base64')), mimeType: 'image/png', width: 1, height: 1, seed: request.seed }));
          return { images };
        },
      }),
  }),
} as unknown as ProviderType<unknown>;

function describeFault(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
