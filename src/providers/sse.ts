/**
 * Server-Sent Events from a backend's answer, framed as the WHATWG spec says: lines end in \n,
 * \r\n or \r; `event:` names the event, `data:` lines are joined with \n, a line starting with ":"
 * is a comment (keepalive), a blank line ends the event. A read that fails (the caller aborted, the
 * timeout fired, the connection dropped) becomes one of our typed errors.
 */
import { ImagegenError, abortError } from '../imagegen/index.ts';

export interface ServerSentEvent {
  /** The `event:` field, or "message" when the event named none (the spec's default). */
  event: string;
  data: string;
}

export interface SseOptions {
  provider: string;
  /** The caller's signal: a read failing after it fired is a cancel, not a backend fault. */
  signal?: AbortSignal;
  /** One event larger than this many characters is the backend's fault (a stream with no blank lines). */
  maxEventChars?: number;
}

/** A 4K PNG in base64 is ~30 MB; this leaves room and still bounds what one event may buffer. */
const DEFAULT_MAX_EVENT_CHARS = 96 * 1024 * 1024;

/** Leaving the loop early (break, throw) cancels the body, which closes the connection. */
export async function* readServerSentEvents(response: Response, options: SseOptions): AsyncGenerator<ServerSentEvent> {
  if (!response.body) return;
  const max = options.maxEventChars ?? DEFAULT_MAX_EVENT_CHARS;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let size = 0;
  try {
    for (;;) {
      const chunk = await read(reader, options);
      if (chunk === undefined) return;
      buffer += chunk;
      let end: number;
      while ((end = lineEnd(buffer)) >= 0) {
        const line = buffer.slice(0, end);
        // \r\n is one line end; a lone \r at the very end of the buffer may be followed by \n.
        const skip = buffer[end] === '\r' && buffer[end + 1] === '\n' ? 2 : 1;
        if (buffer[end] === '\r' && end + 1 === buffer.length) break;
        buffer = buffer.slice(end + skip);
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
          [event, data, size] = ['', [], 0];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
        if (field === 'event') event = value;
        else if (field === 'data') {
          data.push(value);
          size += value.length;
        }
      }
      if (size + buffer.length > max) {
        throw new ImagegenError('provider_error', `${options.provider} sent a stream event larger than ${max} characters`, { provider: options.provider, retryable: true });
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

function lineEnd(text: string): number {
  const lf = text.indexOf('\n');
  const cr = text.indexOf('\r');
  if (lf < 0) return cr;
  if (cr < 0) return lf;
  return Math.min(lf, cr);
}

async function read(reader: ReadableStreamDefaultReader<string>, options: SseOptions): Promise<string | undefined> {
  try {
    const { done, value } = await reader.read();
    return done ? undefined : value;
  } catch (error) {
    if (options.signal?.aborted) throw abortError(options.signal);
    if (error instanceof Error && error.name === 'TimeoutError') {
      throw new ImagegenError('provider_timeout', `${options.provider} did not finish its stream in time`, { provider: options.provider, cause: error });
    }
    throw new ImagegenError('provider_error', `${options.provider} closed its stream early: ${(error as Error).name}`, { provider: options.provider, retryable: true, cause: error });
  }
}
