/**
 * OpenAI's error body, `{"error": {message, type, param, code}}` (backends.md 1.5), as a
 * ParsedError. Gateways in front of other servers answer in near shapes: llama-swap adds `src`,
 * stable-diffusion.cpp sends `{"error": "<string>"}` or `{"error": "server_error", "message"}`.
 */
import type { ParsedError } from '../http.ts';

/** Codes OpenAI uses when its safety system refuses a prompt or an image. */
const CONTENT_CODES = new Set(['content_policy_violation', 'moderation_blocked']);

export function parseOpenAIError(body: unknown): ParsedError | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { error, message } = body as { error?: unknown; message?: unknown };
  if (typeof error === 'string') return { message: typeof message === 'string' ? `${error}: ${message}` : error };
  if (!error || typeof error !== 'object') return undefined;
  const fields = error as { message?: unknown; type?: unknown; param?: unknown; code?: unknown };
  if (typeof fields.message !== 'string') return undefined;
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  const details = [code ?? (typeof fields.type === 'string' ? fields.type : undefined), typeof fields.param === 'string' ? `param ${fields.param}` : undefined]
    .filter(Boolean)
    .join(', ');
  return {
    message: details ? `${fields.message} (${details})` : fields.message,
    ...(code && CONTENT_CODES.has(code) && { code: 'content_blocked' as const }),
  };
}
