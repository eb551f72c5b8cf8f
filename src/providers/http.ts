/**
 * What every HTTP backend shares: one fetch with a timeout and the caller's AbortSignal, and a
 * backend's failure turned into a typed error. Whether another try could help follows the status
 * (408, 409, 429, >= 500) and connection failures, as in the AI SDK's providers.
 */
import { ImagegenError, isRetryableStatus, type ErrorCode } from '../imagegen/index.ts';

export type FetchFunction = typeof globalThis.fetch;

export interface HttpCallOptions {
  provider: string;
  fetch?: FetchFunction;
  /** Per-call timeout in ms; generations are slow, so providers choose generous defaults. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What a provider's error parser may say about a failed answer. */
export interface ParsedError {
  message: string;
  /** A more precise code than the status gives (content_blocked for a policy refusal). */
  code?: ErrorCode;
}

export async function httpCall(url: string, init: RequestInit, options: HttpCallOptions): Promise<Response> {
  const signals = [options.signal, options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined].filter(
    (s): s is AbortSignal => s !== undefined,
  );
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  try {
    return await (options.fetch ?? globalThis.fetch)(url, { ...init, signal });
  } catch (error) {
    throw connectionError(error, url, options, signal);
  }
}

/** Read an answer's body as JSON, or fail as the backend's fault (it promised JSON). */
export async function readJson(response: Response, provider: string): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ImagegenError('provider_error', `${provider} answered with malformed JSON: ${excerpt(text)}`, {
      provider,
      status: response.status,
      retryable: true,
    });
  }
}

/**
 * A non-2xx answer as a typed error. `parse` reads the backend's own error body shape; without
 * it, or if it finds nothing, the body's first characters are the message.
 */
export async function errorFromResponse(
  response: Response,
  provider: string,
  parse?: (body: unknown) => ParsedError | undefined,
): Promise<ImagegenError> {
  const text = await response.text().catch(() => '');
  let parsed: ParsedError | undefined;
  try {
    parsed = parse?.(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  const status = response.status;
  const message = `${provider} answered ${status}: ${parsed?.message ?? (excerpt(text) || response.statusText)}`;
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  const code: ErrorCode =
    parsed?.code ?? (status === 408 || status === 504 ? 'provider_timeout' : status === 429 ? 'rate_limited' : 'provider_error');
  return new ImagegenError(code, message, {
    provider,
    status,
    retryable: code === 'content_blocked' ? false : isRetryableStatus(status),
    ...(retryAfter !== undefined && { retryAfter }),
    details: excerpt(text, 2000),
  });
}

function connectionError(error: unknown, url: string, options: HttpCallOptions, signal: AbortSignal | undefined): ImagegenError {
  if (options.signal?.aborted) {
    return new ImagegenError('cancelled', `${options.provider} call cancelled`, { provider: options.provider, cause: error, retryable: false });
  }
  if (signal?.aborted) {
    return new ImagegenError('provider_timeout', `${options.provider} did not answer within ${options.timeoutMs} ms`, {
      provider: options.provider,
      cause: error,
    });
  }
  const cause = (error as { cause?: { code?: string } }).cause;
  const host = safeHost(url);
  // A code (ECONNREFUSED) or the error's kind, never its text: fetch's messages can quote the URL.
  return new ImagegenError('provider_error', `cannot reach ${options.provider} at ${host}: ${cause?.code ?? (error as Error).name}`, {
    provider: options.provider,
    retryable: true,
    cause: error,
  });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, (date - Date.now()) / 1000) : undefined;
}

export function excerpt(text: string, length = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length)}...` : flat;
}

/** The provider's API key from the environment variable the config names, read when needed. */
export function apiKeyFrom(env: NodeJS.ProcessEnv, variable: string | undefined, provider: string): string {
  const key = variable ? env[variable] : undefined;
  if (!key) {
    throw new ImagegenError('provider_error', `${provider} has no API key: set the environment variable ${variable ?? '(api_key_env is not configured)'}`, {
      provider,
      retryable: true,
    });
  }
  return key;
}
