/**
 * A streamed OpenAI Images answer (`stream: true`, `text/event-stream`) read into the shape of the
 * JSON answer, its partial images reported as progress previews on the way.
 *
 * The events, as openai-node declares them (src/resources/images.ts @ 7b7d6ca, ImageGenStreamEvent
 * and ImageEditStreamEvent): `image_generation.partial_image` / `image_edit.partial_image` with
 * `b64_json` and a 0-based `partial_image_index`, then `image_generation.completed` /
 * `image_edit.completed` with `b64_json` and `usage`; both also carry background, created_at,
 * output_format, quality and size. No event says which of n images it belongs to, so the model
 * streams only calls with n = 1 (openai-image-model.ts). The SDK tells events apart by `data.type`
 * (the `event:` line names the same), and stops at a `[DONE]` data line.
 */
import { ImagegenError, type CallOptions } from '../../imagegen/index.ts';
import { inspectImage, type DecodeLimits } from '../../images/index.ts';
import { excerpt } from '../http.ts';
import { bytesFromBase64 } from '../provider-utils.ts';
import { readServerSentEvents } from '../sse.ts';
import { openAIStreamError } from './openai-error.ts';

export type ImagesRoute = '/images/generations' | '/images/edits';

/** The event types of each route. */
const EVENTS: Record<ImagesRoute, { partial: string; completed: string }> = {
  '/images/generations': { partial: 'image_generation.partial_image', completed: 'image_generation.completed' },
  '/images/edits': { partial: 'image_edit.partial_image', completed: 'image_edit.completed' },
};

export interface StreamOptions {
  provider: string;
  route: ImagesRoute;
  /** The partial_images asked for: partial i of p is progress (i + 1) / (p + 1). */
  partials: number;
  call: CallOptions;
  decodeLimits?: DecodeLimits;
}

/** The completed event as a one-image JSON answer (`{data: [{b64_json}], usage, ...}`). */
export async function readImageStream(response: Response, options: StreamOptions): Promise<unknown> {
  const { provider, call } = options;
  const names = EVENTS[options.route];
  for await (const sse of readServerSentEvents(response, { provider, signal: call.signal })) {
    if (sse.data === '[DONE]') break;
    const data = parseEvent(sse.data, provider);
    const event = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
    if (sse.event === 'error' || event.error) throw openAIStreamError(provider, data);
    const type = typeof event.type === 'string' ? event.type : sse.event;
    if (type === names.partial) await reportPartial(event, options);
    else if (type === names.completed) {
      // Leaving the loop here closes the connection; nothing the API sends after this is needed.
      const { b64_json, type: _type, ...rest } = event;
      return { ...rest, data: [{ b64_json }] };
    }
    // Other event types (ones added later) carry nothing this reader uses.
  }
  throw new ImagegenError('provider_error', `${provider} ended its stream without ${names.completed}`, { provider, retryable: true });
}

async function reportPartial(event: Record<string, unknown>, { provider, partials, call, decodeLimits }: StreamOptions): Promise<void> {
  const index = event.partial_image_index;
  if (typeof index !== 'number' || typeof event.b64_json !== 'string') {
    throw new ImagegenError('provider_error', `${provider} sent a partial image without b64_json or partial_image_index`, { provider, retryable: true });
  }
  if (!call.onProgress) return;
  const bytes = bytesFromBase64(event.b64_json);
  // A preview that does not decode is skipped, not fatal: the completed image is what counts.
  const info = await inspectImage(bytes, 'output', decodeLimits).catch(() => undefined);
  call.onProgress({
    fraction: Math.min(1, (index + 1) / (partials + 1)),
    message: `partial image ${index + 1} of ${partials}`,
    ...(info && { preview: { bytes, mimeType: info.mimeType, width: info.width, height: info.height } }),
  });
}

function parseEvent(data: string, provider: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    throw new ImagegenError('provider_error', `${provider} sent a stream event that is not JSON: ${excerpt(data)}`, { provider, retryable: true });
  }
}
