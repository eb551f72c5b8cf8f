import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImagegenError } from '../../src/imagegen/index.ts';
import { readServerSentEvents } from '../../src/providers/sse.ts';

/** A response whose body arrives in exactly these chunks. */
function chunked(chunks: string[]): Response {
  const encoder = new TextEncoder();
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    }),
  );
}

async function collect(response: Response, maxEventChars?: number) {
  const events = [];
  for await (const event of readServerSentEvents(response, { provider: 'p', maxEventChars })) events.push(event);
  return events;
}

describe('server-sent events from a backend', () => {
  it('reads event names, joins data lines, skips comments, and takes \\n, \\r\\n or \\r line ends split anywhere', async () => {
    const events = await collect(
      chunked([': keepalive\n\nevent: a\nda', 'ta: {"x":1}\n\n', 'data: one\r', '\ndata:two\r\n\r', '\nevent: c\rdata: 3\r\r', 'data: no end']),
    );
    assert.deepEqual(events, [
      { event: 'a', data: '{"x":1}' },
      { event: 'message', data: 'one\ntwo' },
      { event: 'c', data: '3' },
    ]);
  });

  it('refuses an event that grows past the cap', async () => {
    await assert.rejects(collect(chunked(['data: ', 'x'.repeat(50), 'y'.repeat(50)]), 64), (error: unknown) => ImagegenError.is(error, 'provider_error'));
  });

  it('turns a read that fails after the caller aborted into cancelled, and a dropped stream into a retryable provider_error', async () => {
    const controller = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(stream) {
        stream.enqueue(new TextEncoder().encode('data: 1\n\n'));
      },
      pull(stream) {
        controller.abort();
        stream.error(new DOMException('aborted', 'AbortError'));
      },
    });
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of readServerSentEvents(new Response(body), { provider: 'p', signal: controller.signal })) seen.push(event.data);
      })(),
      (error: unknown) => ImagegenError.is(error, 'cancelled'),
    );
    assert.deepEqual(seen, ['1']);

    const dropped = new ReadableStream<Uint8Array>({ pull: (stream) => stream.error(new TypeError('terminated')) });
    await assert.rejects(collect(new Response(dropped)), (error: unknown) => ImagegenError.is(error, 'provider_error') && error.retryable);
  });
});
