/**
 * OpenAI's error body, `{"error": {message, type, param, code}}` (backends.md 1.5), as a
 * ParsedError. Gateways in front of other servers answer in near shapes: llama-swap adds `src`,
 * stable-diffusion.cpp sends `{"error": "<string>"}` or `{"error": "server_error", "message"}`.
 */
import { ImagegenError, type ErrorCode } from '../../imagegen/index.ts';
import { excerpt, type ParsedError } from '../http.ts';

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

/**
 * An `error` event inside a stream, as a typed error. openai-node (src/core/streaming.ts,
 * Stream.fromSSEResponse) throws on `event: error` or on any event whose data has `error`, reading
 * `data.error ?? data`: the body may be nested (`{error: {message, code}}`) or flat
 * (`{type: "error", message, code}`), so both are read. A stream that already started has no
 * status to go by; an invalid request will not get better on a retry, anything else might.
 */
export function openAIStreamError(provider: string, data: unknown): ImagegenError {
  const nested = data && typeof data === 'object' && 'error' in data && typeof data.error === 'object' ? data : { error: data };
  const parsed = parseOpenAIError(nested);
  const fields = (nested as { error?: { type?: unknown; code?: unknown } }).error ?? {};
  const code = parsed?.code ?? STREAM_CODES[String(fields.code)] ?? 'provider_error';
  return new ImagegenError(code, `${provider} failed mid-stream: ${parsed?.message ?? excerpt(JSON.stringify(data))}`, {
    provider,
    retryable: code !== 'content_blocked' && fields.type !== 'invalid_request_error',
    details: excerpt(JSON.stringify(data), 2000),
  });
}

/** OpenAI codes with a typed error of their own, beyond the content codes parseOpenAIError knows. */
const STREAM_CODES: Record<string, ErrorCode> = { rate_limit_exceeded: 'rate_limited' };
