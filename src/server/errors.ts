/** The one place an error becomes an HTTP status and the `{error: {code, message, param}}` body. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { ImagegenError, type ErrorCode } from '../imagegen/index.ts';
import { issueMessage, issueParam } from '../zod-messages.ts';

const STATUS_BY_CODE: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  payload_too_large: 413,
  unsupported: 422,
  content_blocked: 422,
  quota_exceeded: 429,
  rate_limited: 429,
  overloaded: 429,
  provider_error: 502,
  provider_timeout: 504,
  // The shared store (PostgreSQL) is down: budgets fail closed rather than hand out free images.
  store_unavailable: 503,
  // The caller went away; the status is for logs, nobody reads the body.
  cancelled: 499 as ContentfulStatusCode,
};

/**
 * OpenAI's error `type` for each code, so every error body has OpenAI's shape too
 * ({message, type, param, code}) and OpenAI clients read ours as their own.
 */
const TYPE_BY_CODE: Record<ErrorCode, string> = {
  invalid_request: 'invalid_request_error',
  unauthorized: 'authentication_error',
  forbidden: 'permission_error',
  not_found: 'invalid_request_error',
  payload_too_large: 'invalid_request_error',
  unsupported: 'invalid_request_error',
  content_blocked: 'invalid_request_error',
  quota_exceeded: 'insufficient_quota',
  rate_limited: 'rate_limit_error',
  overloaded: 'rate_limit_error',
  provider_error: 'server_error',
  provider_timeout: 'server_error',
  store_unavailable: 'server_error',
  cancelled: 'invalid_request_error',
};

/** The wire body of an error; anything not ours is an internal error, with no detail. */
export function errorBody(error: unknown): { error: { code: string; type: string; message: string; param?: string } } {
  const known = toImagegenError(error);
  if (!known) return { error: { code: 'internal_error', type: 'server_error', message: 'internal error; see the daemon log' } };
  return { error: { code: known.code, type: TYPE_BY_CODE[known.code], message: known.message, ...(known.param !== undefined && { param: known.param }) } };
}

/** A zod failure at the route edge, worded from its first issue and the value that was sent. */
export function validationError(error: z.ZodError, input?: unknown): ImagegenError {
  const issue = error.issues[0]!;
  return new ImagegenError('invalid_request', issueMessage(issue, input), { param: issueParam(issue) });
}

/** What was thrown, as our error; undefined for a fault of our own (a bug: answered 500). */
export function toImagegenError(error: unknown): ImagegenError | undefined {
  if (error instanceof ImagegenError) return error;
  if (error instanceof z.ZodError) return validationError(error);
  if (error instanceof HTTPException) {
    if (error.status === 413) return new ImagegenError('payload_too_large', error.message || 'request body too large', { param: 'body' });
    if (error.status === 415) {
      return new ImagegenError('invalid_request', 'unsupported Content-Type: send application/json (or multipart/form-data for /v1/edit)', {
        param: 'content-type',
      });
    }
    if (error.status < 500) {
      const message = /malformed json/i.test(error.message) ? 'request body is not valid JSON' : error.message || 'bad request';
      return new ImagegenError('invalid_request', message, { param: 'body' });
    }
  }
  return undefined;
}

export function errorResponse(c: Context, error: ImagegenError): Response {
  const status = STATUS_BY_CODE[error.code];
  if (error.retryAfter !== undefined) c.header('Retry-After', String(Math.max(1, Math.ceil(error.retryAfter))));
  if (error.code === 'unauthorized') c.header('WWW-Authenticate', 'Bearer');
  return c.json(errorBody(error), status);
}

/** Never a stack trace on the wire: the detail goes to the log with the request id. */
export function internalErrorResponse(c: Context, error: unknown): Response {
  console.error(JSON.stringify({ level: 'error', msg: 'internal error', request_id: c.get('requestId'), error: String((error as Error)?.stack ?? error) }));
  return c.json(errorBody(undefined), 500);
}
