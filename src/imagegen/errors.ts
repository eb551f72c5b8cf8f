/**
 * Typed errors with stable codes. Every layer throws these; only server/ turns a code into an
 * HTTP status. `retryable` says whether another attempt or another backend could succeed, which
 * is what the router's fallback reads.
 */
export const ERROR_CODES = [
  'invalid_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'quota_exceeded',
  'rate_limited',
  'content_blocked',
  'payload_too_large',
  'unsupported',
  'provider_error',
  'provider_timeout',
  'overloaded',
  'cancelled',
  'store_unavailable',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes that another attempt (or another backend) may get past. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set([
  'rate_limited',
  'provider_error',
  'provider_timeout',
  'overloaded',
]);

export interface ImagegenErrorOptions {
  /** The request parameter at fault, in the wire's snake_case (`size`, `image`, `n`). */
  param?: string;
  retryable?: boolean;
  /** Seconds a caller should wait before trying again (quota resets, queue estimates). */
  retryAfter?: number;
  /** For provider errors: the backend's HTTP status and a short excerpt of its body. */
  status?: number;
  provider?: string;
  details?: unknown;
  cause?: unknown;
}

export class ImagegenError extends Error {
  readonly code: ErrorCode;
  readonly param?: string;
  readonly retryable: boolean;
  readonly retryAfter?: number;
  readonly status?: number;
  readonly provider?: string;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options: ImagegenErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ImagegenError';
    this.code = code;
    this.param = options.param;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.retryAfter = options.retryAfter;
    this.status = options.status;
    this.provider = options.provider;
    this.details = options.details;
  }

  static is(value: unknown, code?: ErrorCode): value is ImagegenError {
    return value instanceof ImagegenError && (code === undefined || value.code === code);
  }
}

export const invalidRequest = (message: string, param?: string): ImagegenError =>
  new ImagegenError('invalid_request', message, { param });

/** A backend answered with an HTTP status: 408, 409, 429 and >= 500 are worth another try. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** The error for an AbortSignal that fired: its reason if it is already one of ours. */
export function abortError(signal: AbortSignal): ImagegenError {
  const reason: unknown = signal.reason;
  if (reason instanceof ImagegenError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new ImagegenError('provider_timeout', 'the request timed out', { cause: reason });
  }
  return new ImagegenError('cancelled', 'the request was cancelled', { cause: reason, retryable: false });
}
