/**
 * SDAPI error bodies -> a message. Four shapes reach us:
 * - A1111's handler: `{error: "HTTPException", detail: "Not authenticated", body, errors}`, or for
 *   other exceptions `{error: "RuntimeError", detail: "", errors: "<str(e)>"}`;
 * - FastAPI's request validation (422): `{detail: [{loc, msg, type}]}`;
 * - sd-server: `{error: "invalid params"}` (a string), or `{error: "server_error", message}`;
 * - llama-swap itself: `{src: "llama-swap", error: {message, type, param, code}}`, and before its
 *   OpenAI-style envelope `{src: "llama-swap", error: "<message>"}`.
 */
import type { ParsedError } from '../http.ts';

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);

export function parseSdapiError(body: unknown): ParsedError | undefined {
  if (!isObject(body)) return text(body) ? { message: text(body)! } : undefined;
  if (isObject(body.error) && text(body.error.message)) {
    return { message: `${body.src === 'llama-swap' ? 'llama-swap: ' : ''}${text(body.error.message)}` };
  }
  if (Array.isArray(body.detail)) {
    const issues = body.detail.filter(isObject).map((issue) => {
      const where = Array.isArray(issue.loc) ? issue.loc.filter((part) => part !== 'body').join('.') : '';
      return `${where ? `${where}: ` : ''}${text(issue.msg) ?? 'invalid'}`;
    });
    return { message: `request rejected: ${issues.join('; ') || 'validation failed'}` };
  }
  const name = text(body.error);
  if (body.src === 'llama-swap' && name) return { message: `llama-swap: ${name}` };
  const detail = text(body.detail) ?? text(body.message) ?? text(body.errors);
  if (detail) return { message: name && name !== 'HTTPException' ? `${name}: ${detail}` : detail };
  if (name) return { message: name };
  return undefined;
}
