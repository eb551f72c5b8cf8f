/**
 * What the hosted fakes (OpenAI, Gemini, Replicate) share: a node:http server on 127.0.0.1 port 0
 * that records every request (method, path, headers, JSON body or multipart fields) so tests can
 * assert the native request, and small helpers to answer and to paint PNGs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export interface FilePart {
  filename: string;
  type: string;
  bytes: Buffer;
}

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  /** Parsed JSON body, when the body was JSON. */
  json?: any;
  /** Multipart fields (repeated names collected in order), when the body was a form. */
  form?: Record<string, (string | FilePart)[]>;
}

export type Handler = (request: Recorded, response: ServerResponse) => Promise<void> | void;

export interface FakeServer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

export async function startFakeServer(handle: Handler): Promise<FakeServer> {
  const requests: Recorded[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer(async (req, res) => {
    try {
      const recorded = await record(req);
      requests.push(recorded);
      await handle(recorded, res);
    } catch (error) {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(error), type: 'server_error', param: null, code: null } });
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function record(req: IncomingMessage): Promise<Recorded> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
  const url = new URL(req.url ?? '/', 'http://fake');
  const recorded: Recorded = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers };
  const type = headers['content-type'] ?? '';
  if (type.startsWith('application/json') && body.length > 0) recorded.json = JSON.parse(body.toString('utf8'));
  if (type.startsWith('multipart/form-data')) {
    const form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': type }, body }).formData();
    recorded.form = {};
    const entries: [string, FormDataEntryValue][] = [];
    form.forEach((value, name) => entries.push([name, value]));
    for (const [name, value] of entries) {
      const part: string | FilePart =
        typeof value === 'string' ? value : { filename: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) };
      (recorded.form[name] ??= []).push(part);
    }
  }
  return recorded;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A solid PNG whose colour is derived from `key`, so different requests give different bytes. */
export async function paintPng(width: number, height: number, key: string): Promise<Buffer> {
  let hash = 2166136261;
  for (const char of key) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  return sharp({ create: { width, height, channels: 3, background: { r: hash & 255, g: (hash >> 8) & 255, b: (hash >> 16) & 255 } } })
    .png()
    .toBuffer();
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
