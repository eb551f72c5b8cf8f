/**
 * `kimaging upscale`: the request streams progress lines (Accept: application/x-ndjson), so the
 * same bar works against a daemon and with --local (the same app in process).
 */
import { basename, extname } from 'node:path';
import type { Answer, Client } from './client.ts';

export type ProgressSink = (done: number, total: number) => void;

/**
 * POST /v1/upscale and read its progress lines. A refusal before the work starts is an ordinary
 * error answer; one reported in the stream (the status was already sent) becomes status 500 here,
 * its `code` saying what it was.
 */
export async function streamUpscale(client: Client, body: Record<string, unknown>, onProgress: ProgressSink): Promise<Answer> {
  const response = await client.open('POST', '/v1/upscale', body, { accept: 'application/x-ndjson' });
  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.includes('ndjson')) return { status: response.status, contentType, json: await response.json() };
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, newline)) as { progress?: { done: number; total: number }; result?: unknown; error?: unknown };
      buffered = buffered.slice(newline + 1);
      if (line.progress) onProgress(line.progress.done, line.progress.total);
      if (line.result) return { status: 200, contentType: 'application/json', json: line.result };
      if (line.error) return { status: 500, contentType: 'application/json', json: { error: line.error } };
    }
  }
  return { status: 500, contentType: 'application/json', json: { error: { code: 'internal_error', message: 'the upscale answer ended early' } } };
}

/** `[########........] 12/32 tiles` redrawn in place on a terminal; nothing when not a terminal. */
export function progressBar(stream: NodeJS.WriteStream, width = 30): ProgressSink & { end(): void } {
  let drawn = false;
  const sink = (done: number, total: number) => {
    if (!stream.isTTY) return;
    const filled = Math.round((done / total) * width);
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} tiles`);
    drawn = true;
  };
  return Object.assign(sink, { end: () => drawn && stream.write('\n') });
}

const EXTENSION_BY_MIME: Record<string, string> = { 'image/png': '.png', 'image/webp': '.webp', 'image/jpeg': '.jpg' };

/** `photo.jpg` at 4x in PNG -> `photo-x4.png` in the current folder. */
export function defaultUpscalePath(input: string, scale: number, mimeType: string): string {
  return `${basename(input, extname(input))}-x${scale}${EXTENSION_BY_MIME[mimeType] ?? '.png'}`;
}
