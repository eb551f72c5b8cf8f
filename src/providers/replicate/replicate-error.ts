/**
 * Replicate's API errors are RFC 7807 problem details, `{type, title, status, detail, instance}`
 * (backends.md 6.3). A failed prediction is not an HTTP error: it is `status: "failed"` with an
 * `error` string, read by `predictionError`.
 */
import { ImagegenError } from '../../imagegen/index.ts';
import type { ParsedError } from '../http.ts';

export function parseReplicateError(body: unknown): ParsedError | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { title, detail } = body as { title?: unknown; detail?: unknown };
  const parts = [title, detail].filter((part): part is string => typeof part === 'string' && part.length > 0);
  return parts.length > 0 ? { message: parts.join(': ') } : undefined;
}

/** cog-sdxl and cog-flux fail a prediction whose every output the safety checker dropped. */
const NSFW = /nsfw/i;

export function predictionError(provider: string, id: string, status: string, error: unknown): ImagegenError {
  const message = typeof error === 'string' && error ? error : `prediction ${status}`;
  if (NSFW.test(message)) {
    return new ImagegenError('content_blocked', `${provider} prediction ${id}: ${message}`, { provider, retryable: false });
  }
  return new ImagegenError('provider_error', `${provider} prediction ${id} ${status}: ${message}`, {
    provider,
    // A model that crashed may run next time; one that was canceled was canceled on purpose.
    retryable: status === 'failed',
  });
}
