/**
 * Google's error body, `{"error": {code, message, status, details}}` (backends.md 5.1), and the
 * reasons an answer carries no image: a blocked prompt or a safety finish reason mean the content
 * was refused (content_blocked), anything else is the backend's failure.
 */
import type { ParsedError } from '../http.ts';

export function parseGeminiError(body: unknown): ParsedError | undefined {
  const error = (body as { error?: { message?: unknown; status?: unknown } } | undefined)?.error;
  if (!error || typeof error.message !== 'string') return undefined;
  return { message: typeof error.status === 'string' ? `${error.status}: ${error.message}` : error.message };
}

/** finishReason / blockReason values that mean "refused for its content". */
export const CONTENT_FINISH_REASONS: ReadonlySet<string> = new Set([
  'SAFETY',
  'PROHIBITED_CONTENT',
  'BLOCKLIST',
  'SPII',
  'RECITATION',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
  'OTHER_BLOCKED',
]);
